"""The lease protocol on ``(:EMR)`` nodes: claim, release, fail, and the ``(:Run)`` records.

One write transaction claims up to ``batch_size`` records (NEW, or PROCESSING with an expired lease),
locking each candidate before checking it again, and records the claim as a ``(:Run)`` with the
extractors it uses. The claim is idempotent per run id: when a commit reaches the server but its answer
is lost (a restart at the wrong moment raises ``IncompleteCommit``), the watcher claims again under
the same run id and gets back the records the first try leased, instead of leaving them PROCESSING
under a run nobody holds until their lease expires. Before claiming, records whose lease expired on
their last allowed attempt are FAILED (a record that kills every worker must not loop for ever).
Nothing but the database coordinates workers, so any number of them, on any number of machines, can
share one queue.

Example:
    >>> claim = claim_batch(client, WatchConfig(), ["gazetteer-ner@1"])  # doctest: +SKIP
    >>> [r.id for r in claim.records]  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from neo4j import ManagedTransaction, unit_of_work

from graph.about import package_versions
from graph.db.connection import GraphClient
from graph.db.queries import query
from graph.watch.config import WatchConfig

__all__ = ["Claim", "ClaimedRecord", "adopt_new", "claim_batch", "fail_records", "finish_run", "new_run_id",
           "release_records"]


@dataclass(frozen=True)
class ClaimedRecord:
    """A record this run holds."""

    id: str
    text: Any
    sha256: str | None
    attempts: int


@dataclass
class Claim:
    """The outcome of one claim transaction."""

    run_id: str
    records: list[ClaimedRecord] = field(default_factory=list)
    abandoned_failed: int = 0


@functools.cache
def _versions() -> str:
    # package metadata does not change while the process runs; reading it is not free
    return json.dumps(package_versions("medkg", "neo4j", "torch"), sort_keys=True)


def new_run_id() -> str:
    """``run-<UTC time>-<random>``: sortable by start, unique across workers."""
    return f"run-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}"


def adopt_new(client: GraphClient) -> int:
    """Put records created without a status (by other writers) in the queue; returns how many."""
    rows, _ = client.write("internal/adopt_new_emrs")
    return int(rows[0]["adopted"]) if rows else 0


def _claimed(row: Any) -> ClaimedRecord:  # noqa: ANN401 - a neo4j Record or a map from Cypher
    return ClaimedRecord(row["id"], row["text"], row["sha256"], int(row["attempts"]))


def claim_batch(client: GraphClient, config: WatchConfig, extractor_ids: list[str], device: str = "cpu",
                run_id: str | None = None) -> Claim:
    """Claim one batch and record its run, in one write transaction.

    Calling it again with the same ``run_id`` is safe: when an earlier call committed (even if its
    answer was lost), the records that run still holds are returned and nothing more is claimed.
    """
    run_id = run_id or new_run_id()
    find_text, fail_text, claim_text, run_text = (query(f"internal/{name}") for name in (
        "find_run_claim", "fail_abandoned_emrs", "claim_emrs", "start_run"))
    versions = _versions()

    @unit_of_work(metadata=client.metadata("internal/claim_emrs", worker=config.worker, run=run_id))
    def work(tx: ManagedTransaction) -> Claim:
        earlier = tx.run(find_text, run_id=run_id).single(strict=True)
        if earlier["committed"]:  # an earlier try committed: hand back what it claimed, claim nothing more
            return Claim(run_id, [_claimed(r) for r in earlier["records"]])
        failed = tx.run(fail_text, max_attempts=config.max_attempts).single(strict=True)["failed"]
        records = [_claimed(r)
                   for r in tx.run(claim_text, limit=config.batch_size, worker=config.worker, run_id=run_id,
                                   lease_seconds=config.lease_seconds)]
        if records:
            tx.run(run_text, run_id=run_id, worker=config.worker, record_ids=[r.id for r in records],
                   lease_seconds=config.lease_seconds, extractors=extractor_ids, device=device,
                   versions=versions).consume()
        return Claim(run_id, records, int(failed))

    with client.session() as session:
        return session.execute_write(work)


def release_records(client: GraphClient, run_id: str, rows: list[dict[str, Any]]) -> int:
    """Give records back to the queue (``rows``: ``{id, error, retry_after_ms, uncount}``)."""
    if not rows:
        return 0
    result, _ = client.write("internal/release_emrs", rows=rows, run_id=run_id)
    return int(result[0]["released"])


def fail_records(client: GraphClient, run_id: str, rows: list[dict[str, Any]]) -> int:
    """Mark records FAILED with their errors (``rows``: ``{id, error}``)."""
    if not rows:
        return 0
    result, _ = client.write("internal/fail_emrs", rows=rows, run_id=run_id)
    return int(result[0]["failed"])


def finish_run(client: GraphClient, run_id: str, status: str, **figures: Any) -> None:  # noqa: ANN401
    """Close a run (``figures``: records, done_ids, failed, released, mentions, relations, timings, error)."""
    params = {"records": 0, "done_ids": [], "failed": 0, "released": 0, "mentions": 0, "relations": 0,
              "timings": None, "error": None} | figures
    if isinstance(params["timings"], dict):
        params["timings"] = json.dumps(params["timings"], sort_keys=True)
    client.write("internal/finish_run", run_id=run_id, status=status, **params)
