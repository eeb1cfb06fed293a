"""``medkg watch status``: the queue by status, the last runs, throughput, recent failures.

Example:
    >>> watch_status(client).to_dict()["records"]  # doctest: +SKIP
    {'NEW': 0, 'PROCESSING': 0, 'DONE': 8, 'FAILED': 0}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from graph.db.connection import GraphClient

__all__ = ["WatchStatus", "watch_status"]

STATUSES = ("NEW", "PROCESSING", "DONE", "FAILED")


@dataclass(frozen=True)
class WatchStatus:
    """A snapshot of the watcher's queue and work."""

    records: dict[str, int]
    expired_leases: int
    runs: list[dict[str, Any]]
    throughput: dict[str, Any]
    failures: list[dict[str, Any]]
    extractors: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


def watch_status(client: GraphClient, runs: int = 10, failures: int = 10) -> WatchStatus:
    """Read the snapshot (read transactions only)."""
    counts = {status: 0 for status in STATUSES}
    expired = 0
    for row in client.read("internal/count_emrs_by_status"):
        counts[row["status"] or "NEW"] = counts.get(row["status"] or "NEW", 0) + row["count"]
        expired += row["expired"]
    recent = client.read("internal/recent_runs", limit=runs)
    for row in recent:
        for key in ("started_at", "finished_at"):
            row[key] = str(row[key]) if row[key] is not None else None
    rate = client.read("internal/watch_throughput")[0]
    busy, wall = rate["busy_seconds"], rate["wall_seconds"]
    throughput = {"runs": rate["runs"], "records": rate["records"], "busy_seconds": busy, "wall_seconds": wall,
                  "records_per_busy_s": round(rate["records"] / busy, 2) if busy else None,
                  "records_per_wall_s": round(rate["records"] / wall, 2) if wall else None, "window_hours": 1}
    failed = [row | {"failed_at": str(row["failed_at"]) if row["failed_at"] else None}
              for row in client.read("internal/recent_failures", limit=failures)]
    extractors = [{"id": r["id"], "kind": r["kind"], "enabled": r["enabled"], "runs": r["runs"]}
                  for r in client.read("internal/list_extractors")]
    return WatchStatus(counts, expired, recent, throughput, failed, extractors)
