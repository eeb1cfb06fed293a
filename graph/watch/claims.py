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

Record statuses: ``NEW`` (queued; a node another client created without a status is adopted as NEW),
``PROCESSING`` (leased to a run), ``DONE``, ``FAILED`` (a well-formed record the watcher could not
process: bad text content, an extractor error on every attempt, abandoned leases) and ``INVALID``:
a node that breaks the ``(:EMR {id, text})`` contract, so that no run may hold it. The claim checks
each candidate on the locked node and sets it INVALID, with ``error`` naming the field, instead of
claiming it: ``id`` missing, not a string, empty, or shared with another EMR node (the uniqueness
constraint forbids equal ids of one type, but ``42`` and ``'42'`` differ, and a server without
medkg's schema has no constraint); ``text`` missing or not a string; ``sha256`` present and not a
string. An INVALID node holds no lease and used no attempt; the rest of the batch is claimed as
usual. ``medkg watch requeue --status INVALID`` sends back to NEW only the nodes that pass the check
now (after their writer fixed them); the others stay INVALID.

Runs end: a run is ``running`` until its worker closes it (``done``, ``partial``, ``failed``,
``interrupted``). A worker killed mid-batch cannot; every claim transaction therefore closes as
``lost`` (with ``finished_at`` and a note in ``error``) each running run whose lease expired and
that no longer holds a PROCESSING record (its records were taken over, failed as abandoned, or given
back by another client), and a claim tried again that finds its run holding nothing closes that
run too. A run past its lease that still holds a record stays open: a slow worker may still finish it.

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

from core.versions import package_versions
from graph.db.connection import GraphClient
from graph.db.queries import query
from graph.watch.config import WatchConfig

__all__ = ["REQUEUE_STATUSES", "Claim", "ClaimedRecord", "adopt_new", "claim_batch", "fail_records", "finish_run",
           "new_run_id", "release_records", "requeue_records"]

#: Statuses ``medkg watch requeue`` sends back to NEW (INVALID ones only once they pass the claim's check).
REQUEUE_STATUSES = ("FAILED", "DONE", "INVALID")


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
    invalid: list[dict[str, str]] = field(default_factory=list)
    """Nodes set INVALID instead of being claimed: ``{node, error}`` (``node``: the id, or its elementId)."""
    lost_runs: list[str] = field(default_factory=list)
    """Runs this transaction closed as ``lost``."""


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


def _claimed(row: Any) -> ClaimedRecord:  # a neo4j Record or a map from Cypher
    return ClaimedRecord(row["id"], row["text"], row["sha256"], int(row["attempts"]))


def claim_batch(client: GraphClient, config: WatchConfig, extractor_ids: list[str], device: str = "cpu",
                run_id: str | None = None) -> Claim:
    """Claim one batch and record its run, in one write transaction.

    Calling it again with the same ``run_id`` is safe: when an earlier call committed (even if its
    answer was lost), the records that run still holds are returned and nothing more is claimed (a
    run that holds none is closed as ``lost``). Malformed nodes among the candidates are set INVALID
    (``Claim.invalid``), never returned; open runs whose worker is gone are closed (``Claim.lost_runs``).
    """
    run_id = run_id or new_run_id()
    find_text, fail_text, claim_text, run_text, close_text = (query(f"internal/{name}") for name in (
        "find_run_claim", "fail_abandoned_emrs", "claim_emrs", "start_run", "close_lost_runs"))
    versions = _versions()

    @unit_of_work(metadata=client.metadata("internal/claim_emrs", worker=config.worker, run=run_id))
    def work(tx: ManagedTransaction) -> Claim:
        earlier = tx.run(find_text, run_id=run_id).single(strict=True)
        if earlier["committed"]:  # an earlier try committed: hand back what it claimed, claim nothing more
            claim = Claim(run_id, [_claimed(r) for r in earlier["records"]])
            if not claim.records:  # its records are gone (taken over, given back): the run ends here
                claim.lost_runs = [r["id"] for r in tx.run(close_text, run_id=run_id)]
            return claim
        failed = tx.run(fail_text, max_attempts=config.max_attempts).single(strict=True)["failed"]
        claim = Claim(run_id, abandoned_failed=int(failed))
        for row in tx.run(claim_text, limit=config.batch_size, worker=config.worker, run_id=run_id,
                          lease_seconds=config.lease_seconds):
            if row["problem"] is None:
                claim.records.append(_claimed(row))
            else:
                claim.invalid.append({"node": row["node"], "error": row["problem"]})
        if claim.records:
            tx.run(run_text, run_id=run_id, worker=config.worker, record_ids=[r.id for r in claim.records],
                   lease_seconds=config.lease_seconds, extractors=extractor_ids, device=device,
                   versions=versions).consume()
        # last, so that Run locks follow EMR locks in every claim (no lock-order deadlock between claims)
        claim.lost_runs = [r["id"] for r in tx.run(close_text, run_id=None)]
        return claim

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


def requeue_records(client: GraphClient, status: str, ids: list[str] | None = None) -> dict[str, int]:
    """Send records of ``status`` (all, or those of ``ids``) back to NEW with their attempts reset.

    An INVALID node is requeued only when it now has a string id that no other EMR node shares and a
    string text (its writer fixed it); the others are counted in ``skipped`` and keep their error.

    Raises:
        ValueError: ``status`` is not one of :data:`REQUEUE_STATUSES`.
    """
    if status not in REQUEUE_STATUSES:
        raise ValueError(f"--status must be one of {', '.join(REQUEUE_STATUSES)}, got {status!r}")
    rows, _ = client.write("internal/requeue_emrs", status=status, ids=ids or None)
    return {"requeued": int(rows[0]["requeued"]), "skipped": int(rows[0]["skipped"])}


def finish_run(client: GraphClient, run_id: str, status: str, **figures: Any) -> None:
    """Close a run (``figures``: records, done_ids, failed, released, mentions, relations, timings, error)."""
    params = {"records": 0, "done_ids": [], "failed": 0, "released": 0, "mentions": 0, "relations": 0,
              "timings": None, "error": None} | figures
    if isinstance(params["timings"], dict):
        params["timings"] = json.dumps(params["timings"], sort_keys=True)
    client.write("internal/finish_run", run_id=run_id, status=status, **params)
