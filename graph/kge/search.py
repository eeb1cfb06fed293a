"""Nearest concepts by KG embedding, through the vector index: ``medkg embed neighbours``.

The query concept is found by business key (``Disease:糖尿病``) or exact name (``糖尿病``; a name
shared by concepts of two types is ambiguous and must be given as an id). Its vector is the query of
``db.index.vector.queryNodes`` (``analyst/concept_neighbours``): never a scan. With ``type``, the
index is asked for more candidates than ``k`` and the type filter runs on them; when fewer than
``k`` of that type come back, the candidate count grows (x4 each time) until ``k`` are found or every
embedded concept was a candidate.

Scores are Neo4j's cosine scores ``(1 + cos) / 2``, in [0, 1].

Example:
    >>> find_neighbours(client, "糖尿病", k=5, type="Disease").neighbours[0].name  # doctest: +SKIP
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from graph.db.connection import GraphClient
from graph.kge.index import vector_index
from graph.kge.store import EmbeddingStoreError, PropertyNames, live_run
from kgmodel.model import CONCEPT_LABELS

__all__ = ["ConceptNotFoundError", "ConceptRef", "Neighbour", "NeighbourResult", "find_neighbours"]

MAX_K = 1000


class ConceptNotFoundError(LookupError):
    """No concept has that id or name, or the name is ambiguous."""


@dataclass(frozen=True)
class ConceptRef:
    """The concept a neighbour query is about."""

    id: str
    name: str
    type: str | None


@dataclass(frozen=True)
class Neighbour:
    """One nearest concept."""

    id: str
    name: str
    type: str | None
    score: float
    run: str | None
    folded: bool


@dataclass(frozen=True)
class NeighbourResult:
    """The query concept and its nearest concepts, best first."""

    query: ConceptRef
    model: str
    property: str
    index: str
    run_id: str
    k: int
    type: str | None
    candidates: int
    """How many nodes the vector index was asked for (the last attempt)."""
    neighbours: list[Neighbour]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


def _query_concept(client: GraphClient, text: str, names: PropertyNames) -> ConceptRef:
    rows = client.read("internal/find_kge_concept", text=text, property=names.value)
    by_id = [row for row in rows if row["id"] == text]
    rows = by_id or rows
    if not rows:
        raise ConceptNotFoundError(f"no concept has the id or name {text!r}")
    if len(rows) > 1:
        ids = ", ".join(sorted(row["id"] for row in rows))
        raise ConceptNotFoundError(f"{text!r} names {len(rows)} concepts ({ids}); give one id instead")
    if not rows[0]["has_vector"]:
        raise EmbeddingStoreError(f"{rows[0]['id']} has no {names.value} vector (no relationships to embedded "
                                  "concepts, or created after the run: medkg embed refresh)")
    return ConceptRef(rows[0]["id"], rows[0]["name"], rows[0]["type"])


def find_neighbours(client: GraphClient, text: str, *, k: int = 10, type: str | None = None,
                    model: str = "TransE", prop: str | None = None) -> NeighbourResult:
    """The ``k`` nearest concepts of the concept ``text`` (id or name) by the vector index.

    Raises:
        ValueError: ``k`` out of 1..1000, ``type`` not a concept label, or a bad property name.
        UnknownModelError: the model name resolves to nothing.
        ConceptNotFoundError: no such concept, or an ambiguous name.
        EmbeddingStoreError: no finished run, no vector index, or the concept has no vector.
    """
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k must be between 1 and {MAX_K}, got {k}")
    if type is not None and type not in CONCEPT_LABELS:
        raise ValueError(f"unknown concept type {type!r}; one of: {', '.join(sorted(CONCEPT_LABELS))}")
    names = PropertyNames.for_model(model, prop)
    run = live_run(client, names)
    if run is None:
        raise EmbeddingStoreError(f"no finished embedding run for {names.value}; run medkg embed train first")
    index = vector_index(client, names)
    if index is None or index.state != "ONLINE":
        raise EmbeddingStoreError(f"no online vector index on {names.value}; run medkg embed train")
    concept = _query_concept(client, text, names)
    started = time.perf_counter()
    limit = k + 1 + 2 * (run.nodes or 0)  # trained nodes plus room for folded-in ones: every embedded node
    candidates = min(limit, k + 1 if type is None else 10 * (k + 1))
    while True:
        rows = client.read("analyst/concept_neighbours", id=concept.id, index=index.name, candidates=candidates,
                           k=k, type=type, property=names.value, run_property=names.run, folded=names.folded)
        if len(rows) >= k or candidates >= limit:
            break
        candidates = min(limit, candidates * 4)
    neighbours = [Neighbour(r["id"], r["name"], r["type"], float(r["score"]), r["run"], bool(r["folded"]))
                  for r in rows]
    return NeighbourResult(concept, run.model, names.value, index.name, run.id, k, type, candidates, neighbours,
                           round(time.perf_counter() - started, 4))
