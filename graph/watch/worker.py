"""One watcher worker: claim a batch, run the stored extractors, merge the facts back, repeat.

:func:`run_watcher_once` is the entry function: it processes batches until no record is claimable
(or ``max_batches``, or a stop request) and returns a :class:`CycleResult`. A batch whose extraction
or write fails is retried record by record; a record that fails is given back with a backoff and
becomes FAILED (with its error) once it has used ``max_attempts``; a record whose text cannot be
processed (empty, control characters, too long) is FAILED at once; a node that is not a record at all
(no string id, a shared id, no string text) is set INVALID by the claim and never reaches a batch
(see :mod:`graph.watch.claims`), so no outside writer can stop the queue. When the database
is unreachable the worker waits and retries with backoff (up to ``db_retry_seconds``) and finishes
the batch once it is back. A stop request (SIGTERM/SIGINT in the CLI) lets the current batch
finish, gives back what it did not start, and ends the cycle.

With ``pipeline`` a batch's write runs in a second thread while the next batch is
claimed and extracted: one batch in flight, its failures handled (record by record) back in the main
thread, so plugins are only ever called from one thread.

Example:
    >>> result = run_watcher_once(client, WatchConfig(batch_size=16))  # doctest: +SKIP
    >>> result.done  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import neo4j.exceptions as neo4j_errors

from extractor.plugin import ExtractionRecord
from graph.about import git_hash, medkg_version
from graph.db.connection import GraphClient
from graph.watch.claims import (
    Claim,
    ClaimedRecord,
    adopt_new,
    claim_batch,
    fail_records,
    finish_run,
    new_run_id,
    release_records,
)
from graph.watch.config import WatchConfig
from graph.watch.context import GraphResources
from graph.watch.device import select_device
from graph.watch.facts import BatchRows, build_rows
from graph.watch.merge import WriteOutcome, write_batch
from graph.watch.pipeline import LoadedExtractor, PluginFailure, run_extractors
from graph.watch.plugins import enabled_extractors, load_plugin
from graph.watch.records import text_problem, text_sha256

__all__ = ["CycleResult", "Watcher", "run_watcher_once"]

log = logging.getLogger("medkg.watch")
T = TypeVar("T")

#: Errors that mean "the database is not reachable right now", worth waiting for.
DB_DOWN = (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, neo4j_errors.TransientError,
           ConnectionError)


@dataclass
class CycleResult:
    """What one watcher cycle did (``medkg watch --once --json`` prints it)."""

    worker: str
    device: str
    extractors: list[str] = field(default_factory=list)
    batches: int = 0
    claimed: int = 0
    done: int = 0
    failed: int = 0
    released: int = 0
    lost: int = 0
    mentions_created: int = 0
    links_created: int = 0
    relations_changed: int = 0
    candidates_created: int = 0
    abandoned_failed: int = 0
    invalid: int = 0
    adopted: int = 0
    db_waits: int = 0
    stopped: bool = False
    runs: list[str] = field(default_factory=list)
    lost_runs: list[str] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    seconds: float = 0.0
    version: str = field(default_factory=medkg_version)
    git: str | None = field(default_factory=git_hash)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, with throughput."""
        data = asdict(self)
        data["timings"] = {k: round(v, 4) for k, v in self.timings.items()}
        data["records_per_s"] = round(self.done / self.seconds, 2) if self.seconds else None
        return data

    def save(self, path: str | Path) -> Path:
        """Write the result as JSON."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        return path


@dataclass
class _Prepared:
    """One claimed batch after its text checks and extraction, waiting for (or back from) its write."""

    claim: Claim
    started: float
    good: list[ClaimedRecord] = field(default_factory=list)
    bad: list[dict[str, str]] = field(default_factory=list)
    rows: BatchRows | None = None
    error: BaseException | None = None
    failed: int = 0
    db_waits: int = 0
    timings: dict[str, float] = field(default_factory=dict)


class Watcher:
    """A worker bound to one graph; reuses loaded plugins across cycles while their stored form is unchanged.

    Args:
        client: The graph.
        config: Watcher settings.
        stop: Set it to ask the worker to stop after the current batch.
        sleep: Waiting function (tests pass a fast one).
    """

    def __init__(self, client: GraphClient, config: WatchConfig | None = None,
                 stop: threading.Event | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client, self.config = client, config or WatchConfig()
        self.stop = stop or threading.Event()
        self.sleep = sleep
        # torch is imported (to look for CUDA) only when a plugin that uses it is enabled, or cuda is asked for
        self.device = select_device("cuda") if self.config.device == "cuda" else "cpu"
        self._device_resolved = self.config.device != "auto"
        self.resources = GraphResources(client, self.device, self.config.torch_threads())
        self._loaded: dict[tuple, LoadedExtractor] = {}

    # -------------------------------------------------------------------------------- extractors

    def load_extractors(self) -> list[LoadedExtractor]:
        """The enabled extractors, read from the graph now, as live plugins (cached by stored form).

        Raises:
            PluginError: An enabled extractor cannot be loaded here (not installed, another entry
                point, a config it rejects, an artifact with another checksum).
        """
        if self.resources.refresh():
            self._loaded.clear()  # the KG changed: plugins must see the new gazetteer and linker
        wanted = []
        enabled = enabled_extractors(self.client)
        if not self._device_resolved and any(_uses_torch(stored) for stored in enabled):
            self.device = self.resources.device = select_device(self.config.device)
            self._device_resolved = True
        for stored in enabled:
            key = _stored_key(stored)
            if key not in self._loaded:
                self._loaded[key] = LoadedExtractor(stored, load_plugin(stored, self.resources.context()))
            wanted.append(self._loaded[key])
        keep = {_stored_key(x.stored) for x in wanted}
        for key in [k for k in self._loaded if k not in keep]:
            del self._loaded[key]
        return wanted

    # -------------------------------------------------------------------------------- database waits

    def _db(self, what: str, fn: Callable[[], T], result: CycleResult) -> T:
        """``fn()``, waiting with backoff while the database is unreachable (up to ``db_retry_seconds``)."""
        waited, delay = 0.0, 0.5
        while True:
            try:
                return fn()
            except DB_DOWN as exc:
                if waited >= self.config.db_retry_seconds:
                    raise
                result.db_waits += 1
                log.warning("database unreachable during %s (%s: %s); retrying in %.1f s", what,
                            type(exc).__name__, exc, delay, extra={"event": "db_wait", "seconds": delay})
                self.sleep(delay)
                waited += delay
                delay = min(delay * 2, 15.0)

    # -------------------------------------------------------------------------------- one cycle

    def run_once(self) -> CycleResult:
        """Process batches until none is claimable, ``max_batches``, or a stop request.

        Raises:
            PluginError: An enabled extractor cannot be loaded (nothing was claimed).
        """
        result = CycleResult(self.config.worker, self.device)
        started = time.perf_counter()
        extractors = self._db("loading extractors", self.load_extractors, result)
        result.extractors, result.device = [x.id for x in extractors], self.device
        if not extractors:
            log.warning("no extractor is enabled (medkg plugins enable NAME); nothing to do",
                        extra={"event": "idle"})
            result.seconds = round(time.perf_counter() - started, 3)
            return result
        result.adopted = self._db("adopting records", lambda: adopt_new(self.client), result)
        with ThreadPoolExecutor(1, thread_name_prefix="medkg-writer") if self.config.pipeline else \
                contextlib.nullcontext() as writer:
            self._loop(extractors, result, writer)
        result.stopped = self.stop.is_set()
        result.seconds = round(time.perf_counter() - started, 3)
        return result

    def _loop(self, extractors: list[LoadedExtractor], result: CycleResult, writer: ThreadPoolExecutor | None) -> None:
        pending: Future[tuple[_Prepared, WriteOutcome | None]] | None = None
        empty_claims = 0
        while not self.stop.is_set():
            if self.config.max_batches is not None and result.batches >= self.config.max_batches:
                break
            # one run id for every try: a claim whose commit went through before an outage is picked up again
            run_id = new_run_id()
            claim = self._db("claiming", functools.partial(claim_batch, self.client, self.config, result.extractors,
                                                           self.device, run_id=run_id), result)
            self._note_claim(claim, result)
            if not claim.records and claim.invalid:
                continue  # the candidates were all malformed and are out of the queue now: claim again
            if not claim.records:
                # nothing claimable, or another worker locked every candidate first: look again
                result.adopted += self._db("adopting records", lambda: adopt_new(self.client), result)
                claimable = self._db("counting the queue", lambda: self.client.read(
                    "internal/count_claimable_emrs")[0]["claimable"], result)
                empty_claims += 1
                if not claimable or empty_claims > 50:
                    break
                self.sleep(random.uniform(0.01, 0.1))  # jitter, so that racing workers drift apart
                continue
            empty_claims = 0
            prepared = self._prepare(claim, extractors, result)
            if pending is not None:
                self._finish(*pending.result(), extractors, result)
                pending = None
            if writer is not None and prepared.error is None:
                # the write of this batch overlaps the claim and extraction of the next one
                pending = writer.submit(self._commit, prepared)
            else:
                self._finish(*self._commit(prepared), extractors, result)
        if pending is not None:
            self._finish(*pending.result(), extractors, result)

    @staticmethod
    def _note_claim(claim: Claim, result: CycleResult) -> None:
        """Count what the claim transaction did besides claiming: abandoned, invalid, lost runs."""
        result.abandoned_failed += claim.abandoned_failed
        result.invalid += len(claim.invalid)
        result.lost_runs.extend(claim.lost_runs)
        for bad in claim.invalid:
            log.warning("EMR node %r is INVALID, not claimed: %s", bad["node"], bad["error"],
                        extra={"event": "record_invalid", "record": bad["node"], "error": bad["error"]})
        for run_id in claim.lost_runs:
            log.warning("run %s closed as lost: its worker stopped and its records are gone", run_id,
                        extra={"event": "run_lost", "run": run_id})

    def _prepare(self, claim: Claim, extractors: list[LoadedExtractor], result: CycleResult) -> _Prepared:
        """Check the texts and run the extractors over one claimed batch (no database access)."""
        result.batches += 1
        result.claimed += len(claim.records)
        result.runs.append(claim.run_id)
        prep = _Prepared(claim, started=time.perf_counter())
        for rec in claim.records:
            problem = text_problem(rec.text, self.config.max_text_chars)
            if problem:
                prep.bad.append({"id": rec.id, "error": f"bad input: {problem}"})
            else:
                prep.good.append(rec)
        if prep.good:
            try:
                prep.rows = self._extract(prep.good, extractors, prep.timings)
            except (PluginFailure, ValueError, TypeError, RuntimeError) as exc:
                prep.error = exc
        return prep

    def _extract(self, records: list[ClaimedRecord], extractors: list[LoadedExtractor],
                 timings: dict[str, float]) -> BatchRows:
        shas = [rec.sha256 or text_sha256(rec.text) for rec in records]
        facts, spent = run_extractors([ExtractionRecord(rec.id, rec.text) for rec in records], extractors, shas)
        for key, value in spent.items():
            timings[key] = timings.get(key, 0.0) + value
        return build_rows(facts, {x.id: x.precision for x in extractors if x.stored.kind == "relation"})

    def _commit(self, prep: _Prepared) -> tuple[_Prepared, WriteOutcome | None]:
        """Fail the bad records and write the batch's facts (in the writer thread when pipelined)."""
        waits = CycleResult(self.config.worker, self.device)  # this thread's own counters
        prep.failed = self._db("failing records", lambda: fail_records(self.client, prep.claim.run_id, prep.bad),
                               waits)
        outcome = None
        if prep.rows is not None and prep.error is None:
            started = time.perf_counter()
            try:
                outcome = self._db("writing facts", functools.partial(write_batch, self.client, prep.claim.run_id,
                                                                      self.config.worker, prep.rows), waits)
            except (neo4j_errors.Neo4jError, ValueError, TypeError, RuntimeError) as exc:
                prep.error = exc
            prep.timings["write"] = prep.timings.get("write", 0.0) + time.perf_counter() - started
        prep.db_waits = waits.db_waits
        return prep, outcome

    def _finish(self, prep: _Prepared, outcome: WriteOutcome | None, extractors: list[LoadedExtractor],
                result: CycleResult) -> None:
        """Account for one batch; a failed batch is retried record by record here; close its run."""
        claim, timings = prep.claim, prep.timings
        result.db_waits += prep.db_waits
        result.failures.extend(prep.bad)
        failed, released = prep.failed, 0
        counts = {"mentions": 0, "relations": 0}
        done_ids: list[str] = []
        if outcome is not None:
            done_ids = self._account(outcome, prep.rows, result, timings, counts)
        elif prep.error is not None:
            log.warning("run %s: batch of %d failed (%s); retrying record by record", claim.run_id, len(prep.good),
                        prep.error, extra={"event": "batch_failed", "run": claim.run_id})
            done_ids, more_failed, released = self._one_by_one(claim.run_id, prep.good, extractors, result, timings,
                                                               counts)
            failed += more_failed
        error = str(prep.error) if prep.error is not None else None
        status = "done" if len(done_ids) == len(claim.records) else ("failed" if not done_ids else "partial")
        lost = len(outcome.lost_ids) if outcome is not None else 0
        if not done_ids and lost and not failed and not released:
            # past its lease, every record was taken over by another run: this worker was slow, not wrong
            status, error = "lost", error or f"lost: {lost} of its {len(claim.records)} records were taken " \
                                             "over by other runs after its lease expired"
        if self.stop.is_set() and released:
            status = "interrupted"
        for key, value in timings.items():
            result.timings[key] = result.timings.get(key, 0.0) + value
        seconds = time.perf_counter() - prep.started
        timings["total"] = seconds
        self._db("closing the run", lambda: finish_run(
            self.client, claim.run_id, status, records=len(done_ids), done_ids=done_ids, failed=failed,
            released=released, mentions=counts["mentions"], relations=counts["relations"], timings=timings,
            error=error), result)
        result.done += len(done_ids)
        result.failed += failed
        result.released += released
        log.info("run %s: %d done, %d failed, %d given back in %.2f s", claim.run_id, len(done_ids), failed,
                 released, seconds, extra={"event": "batch", "run": claim.run_id, "done": len(done_ids),
                                           "failed": failed, "released": released, "seconds": round(seconds, 3)})

    @staticmethod
    def _account(outcome: WriteOutcome, rows: BatchRows | None, result: CycleResult, timings: dict[str, float],
                 counts: dict[str, int]) -> list[str]:
        for key, value in outcome.timings.items():
            timings[f"write.{key}"] = timings.get(f"write.{key}", 0.0) + value
        result.lost += len(outcome.lost_ids)
        result.mentions_created += outcome.mentions_created
        result.links_created += outcome.links_created
        result.relations_changed += outcome.relations_changed
        result.candidates_created += outcome.candidates_created
        done = set(outcome.done_ids)
        if rows is not None:
            counts["mentions"] += sum(r["mentions"] for r in rows.records if r["id"] in done)
            counts["relations"] += sum(r["relations"] for r in rows.records if r["id"] in done)
        return outcome.done_ids

    def _batch(self, run_id: str, records: list[ClaimedRecord], extractors: list[LoadedExtractor],
               result: CycleResult, timings: dict[str, float], counts: dict[str, int]) -> list[str]:
        """Extract and write ``records`` in one go (the record-by-record path)."""
        rows = self._extract(records, extractors, timings)
        started = time.perf_counter()
        outcome = self._db("writing facts", lambda: write_batch(self.client, run_id, self.config.worker, rows), result)
        timings["write"] = timings.get("write", 0.0) + time.perf_counter() - started
        return self._account(outcome, rows, result, timings, counts)

    def _one_by_one(self, run_id: str, records: list[ClaimedRecord], extractors: list[LoadedExtractor],
                    result: CycleResult, timings: dict[str, float],
                    counts: dict[str, int]) -> tuple[list[str], int, int]:
        done: list[str] = []
        failed = released = 0
        for position, rec in enumerate(records):
            if self.stop.is_set():
                rest = [{"id": r.id, "error": None, "retry_after_ms": 0, "uncount": 1} for r in records[position:]]
                released += self._db("giving back", functools.partial(release_records, self.client, run_id, rest),
                                     result)
                break
            try:
                done.extend(self._batch(run_id, [rec], extractors, result, timings, counts))
            except (PluginFailure, neo4j_errors.Neo4jError, ValueError, TypeError, RuntimeError) as exc:
                message = f"{type(exc).__name__}: {exc}" if not isinstance(exc, PluginFailure) else str(exc)
                if rec.attempts >= self.config.max_attempts:
                    rows: list[dict[str, Any]] = [{"id": rec.id, "error": message}]
                    failed += self._db("failing a record", functools.partial(fail_records, self.client, run_id, rows),
                                       result)
                    result.failures.append({"id": rec.id, "error": message})
                    log.error("record %s FAILED after %d attempts: %s", rec.id, rec.attempts, message,
                              extra={"event": "record_failed", "record": rec.id, "run": run_id})
                else:
                    delay_ms = int(self.config.backoff(rec.attempts) * 1000)
                    rows = [{"id": rec.id, "error": message, "retry_after_ms": delay_ms, "uncount": 0}]
                    released += self._db("giving back", functools.partial(release_records, self.client, run_id, rows),
                                         result)
                    log.warning("record %s failed attempt %d of %d (%s); retry in %.1f s", rec.id, rec.attempts,
                                self.config.max_attempts, message, delay_ms / 1000,
                                extra={"event": "record_retry", "record": rec.id, "run": run_id})
        return done, failed, released


def _stored_key(stored: Any) -> tuple:  # StoredExtractor
    """What identifies a loaded plugin: a change in any part means building it again."""
    return (stored.id, json.dumps(stored.config, sort_keys=True), stored.artifact_sha256)


def _uses_torch(stored: Any) -> bool:  # StoredExtractor
    from extractor.plugins.registry import UnknownPluginError, load_class

    try:
        return bool(getattr(load_class(stored.id, stored.entry_point), "uses_torch", False))
    except UnknownPluginError:
        return False  # load_plugin reports it


def run_watcher_once(client: GraphClient, config: WatchConfig | None = None,
                     stop: threading.Event | None = None) -> CycleResult:
    """One watcher cycle: process records until none is claimable (the entry function of ``medkg watch --once``).

    Raises:
        PluginError: An enabled extractor cannot be loaded.
    """
    return Watcher(client, config, stop).run_once()

