"""The graph side of linking: build the linker's index from Neo4j, link one mention.

The index is built in one streamed read of every concept (names, aliases and, optionally, an
embedding property); the linker itself is the pure library in ``linker/``.

Example:
    >>> linker = build_linker(client)  # doctest: +SKIP
    >>> linker.link("爱若华", type="Drug", k=5).best  # doctest: +SKIP
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from graph.db.connection import GraphClient
from linker import ConceptRecord, Linker, LinkerConfig

__all__ = ["build_linker", "concept_records"]

_PROPERTY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def concept_records(client: GraphClient, vector_property: str | None = None) -> list[ConceptRecord]:
    """Every concept of the graph as a :class:`linker.ConceptRecord`, in one read transaction.

    Args:
        client: the graph.
        vector_property: node property holding an embedding (e.g. ``kge_transe``), or ``None``.

    Raises:
        ValueError: ``vector_property`` is not a plain identifier.
    """
    if vector_property is not None and not _PROPERTY.match(vector_property):
        raise ValueError(f"not a property name: {vector_property!r}")

    def record(row: dict[str, Any]) -> ConceptRecord:
        vector = np.asarray(row["vector"], dtype=np.float32) if row["vector"] else None
        return ConceptRecord(row["id"], row["type"] or "Concept", row["name"], tuple(row["aliases"]), vector)

    return [record(row) for row in client.read("internal/stream_concepts", vector_property=vector_property)
            if row["name"]]


def build_linker(client: GraphClient, config: LinkerConfig | None = None,
                 vector_property: str | None = None) -> Linker:
    """A :class:`linker.Linker` over every concept in the graph.

    Raises:
        LookupError: the graph holds no concepts (load a KG first).
    """
    records = concept_records(client, vector_property)
    if not records:
        raise LookupError("the graph holds no concepts; load a KG first (medkg kg load)")
    return Linker(records, config) if config is not None else Linker(records)
