"""Counts per label and per relationship type: ``medkg kg stats``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from graph.db.connection import GraphClient

__all__ = ["GraphStats", "graph_stats"]


@dataclass(frozen=True)
class GraphStats:
    """Node counts per label and relationship counts per type."""

    labels: dict[str, int]
    relationships: dict[str, int]

    @property
    def concepts(self) -> int:
        """Number of ``:Concept`` nodes."""
        return self.labels.get("Concept", 0)

    @property
    def relationships_total(self) -> int:
        """Number of relationships of every type."""
        return sum(self.relationships.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self) | {"relationships_total": self.relationships_total}


def graph_stats(client: GraphClient) -> GraphStats:
    """Read the counts (two read transactions, one pass over nodes and one over relationships)."""
    labels = {row["label"]: row["count"] for row in client.read("analyst/count_labels")}
    types = {row["type"]: row["count"] for row in client.read("analyst/count_relationship_types")}
    return GraphStats(labels, types)
