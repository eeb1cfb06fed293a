"""The cosine vector index of a KGE property: find it, create it, recreate it for a new dimension.

Index and property names cannot be Cypher parameters in ``CREATE VECTOR INDEX ... ON n.<property>``;
the property comes from :class:`graph.kge.store.PropertyNames`, validated as
``kge_<identifier>``, and replaces the ``$(property)`` placeholder of
``cypher/internal/create_kge_vector_index.cypher`` (the way ``kgmodel.model.static_relationship_type``
specialises ``$(row.type)``). The index name and the dimension are parameters.

Example:
    >>> ensure_vector_index(client, PropertyNames("kge_transe"), dim=100).action  # doctest: +SKIP
    'created'
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import neo4j

from graph.db.connection import GraphClient
from graph.db.queries import statements
from graph.kge.store import PropertyNames, check_property_name

__all__ = ["IndexSummary", "VectorIndexInfo", "ensure_vector_index", "vector_index"]

_PLACEHOLDER = "$(property)"


@dataclass(frozen=True)
class VectorIndexInfo:
    """A vector index as the database reports it."""

    name: str
    property: str
    dim: int | None
    similarity: str | None
    state: str


@dataclass(frozen=True)
class IndexSummary:
    """The vector index after a run."""

    name: str
    property: str
    dim: int
    action: str
    """``created``, ``kept`` or ``recreated`` (dimension changed)."""
    seconds: float


def vector_index(client: GraphClient, names: PropertyNames) -> VectorIndexInfo | None:
    """The vector index of the property (by name, or any on ``(:Concept {property})``), or ``None``."""
    rows = client.read("internal/show_kge_vector_index", index_name=names.index, property=names.value)
    if not rows:
        return None
    row = rows[0]
    return VectorIndexInfo(row["name"], row["property"], int(row["dim"]) if row["dim"] is not None else None,
                           row["similarity"], row["state"])


def _create_index(client: GraphClient, names: PropertyNames, dim: int) -> None:
    (template,) = statements("internal/create_kge_vector_index")
    if _PLACEHOLDER not in template:
        raise ValueError(f"create_kge_vector_index has no {_PLACEHOLDER} to specialise")
    text = template.replace(_PLACEHOLDER, check_property_name(names.value))
    with client.session() as session:
        session.run(neo4j.Query(text, metadata=client.metadata("internal/create_kge_vector_index")),
                    {"index_name": names.index, "dim": dim}).consume()


def ensure_vector_index(client: GraphClient, names: PropertyNames, dim: int, timeout_s: int = 600) -> IndexSummary:
    """Create the cosine vector index of ``names`` (or recreate it for a new dimension) and wait for it.

    Raises:
        ValueError: ``dim`` is not positive.
    """
    if dim < 1:
        raise ValueError(f"vector dimension must be positive, got {dim}")
    started = time.perf_counter()
    found = vector_index(client, names)
    if found is not None and found.dim == dim and found.property == names.value:
        action, name = "kept", found.name
    else:
        if found is not None:
            client.run("internal/drop_kge_vector_index", index_name=found.name)
        _create_index(client, names, dim)
        action, name = ("recreated" if found is not None else "created"), names.index
    client.run("internal/await_indexes", seconds=timeout_s)
    return IndexSummary(name, names.value, dim, action, round(time.perf_counter() - started, 3))
