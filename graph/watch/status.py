"""``medkg watch status``: the queue by status, open and recent runs, throughput, failures, invalid records.

``records`` counts every status (a node without one, not adopted yet, counts as NEW; see
:mod:`graph.watch.claims` for what each status means). ``invalid`` lists the first INVALID nodes: they
break the ``(:EMR {id, text})`` contract and wait for their writer to fix them (then
``medkg watch requeue --status INVALID``). ``open_runs`` are the runs still ``running``, with their
age in seconds and whether their lease expired; a run whose worker died is closed as ``lost`` by the
next claim once its records are taken over.

Example:
    >>> watch_status(client).to_dict()["records"]  # doctest: +SKIP
    {'NEW': 0, 'PROCESSING': 0, 'DONE': 8, 'FAILED': 0, 'INVALID': 0}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from graph.db.connection import GraphClient

__all__ = ["STATUSES", "WatchStatus", "watch_status"]

#: The statuses of a record, in queue order (always present in ``records``, even at 0).
STATUSES = ("NEW", "PROCESSING", "DONE", "FAILED", "INVALID")


@dataclass(frozen=True)
class WatchStatus:
    """A snapshot of the watcher's queue and work."""

    records: dict[str, int]
    expired_leases: int
    runs: list[dict[str, Any]]
    throughput: dict[str, Any]
    failures: list[dict[str, Any]]
    extractors: list[dict[str, Any]]
    open_runs: list[dict[str, Any]]
    invalid: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


def _text(value: Any) -> str | None:  # a neo4j temporal or None
    return str(value) if value is not None else None


def watch_status(client: GraphClient, runs: int = 10, failures: int = 10, invalid: int = 10) -> WatchStatus:
    """Read the snapshot (read transactions only).

    Args:
        client: The graph.
        runs: How many recent runs.
        failures: How many recent FAILED records.
        invalid: How many INVALID records to list (all are counted).
    """
    counts = {status: 0 for status in STATUSES}
    expired = 0
    for row in client.read("internal/count_emrs_by_status"):
        # another client may write any status value; it is shown as it is, never dropped
        key = "NEW" if row["status"] is None else str(row["status"])
        counts[key] = counts.get(key, 0) + row["count"]
        expired += row["expired"]
    recent = client.read("internal/recent_runs", limit=runs)
    for row in recent:
        for key in ("started_at", "finished_at"):
            row[key] = _text(row[key])
    rate = client.read("internal/watch_throughput")[0]
    busy, wall = rate["busy_seconds"], rate["wall_seconds"]
    throughput = {"runs": rate["runs"], "records": rate["records"], "busy_seconds": busy, "wall_seconds": wall,
                  "records_per_busy_s": round(rate["records"] / busy, 2) if busy else None,
                  "records_per_wall_s": round(rate["records"] / wall, 2) if wall else None, "window_hours": 1}
    failed = [row | {"failed_at": _text(row["failed_at"])}
              for row in client.read("internal/recent_failures", limit=failures)]
    extractors = [{"id": r["id"], "kind": r["kind"], "enabled": r["enabled"], "runs": r["runs"]}
                  for r in client.read("internal/list_extractors")]
    open_runs = [row | {"started_at": _text(row["started_at"]), "lease_until": _text(row["lease_until"]),
                        "age_seconds": round(row["age_seconds"], 1) if row["age_seconds"] is not None else None}
                 for row in client.read("internal/list_open_runs")]
    first_invalid = [row | {"invalid_at": _text(row["invalid_at"])}
                     for row in client.read("internal/list_invalid_emrs", limit=invalid)]
    return WatchStatus(counts, expired, recent, throughput, failed, extractors, open_runs,
                       {"count": counts.get("INVALID", 0), "first": first_invalid})
