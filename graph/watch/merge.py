"""Provenance merges: one batch's facts and its records' DONE status in ONE write transaction.

The transaction (a function the driver may retry, so every write is a MERGE on a constrained key):

1. lock the batch's records and keep those this run still holds with the text it extracted;
2. supersede the records' current facts that this processing did not produce again;
3. merge candidate concepts, mentions, links and relation mentions;
4. recompute the record evidence (``sources``, ``record_count``, ``evidence_count``, ``confidence``)
   of every concept-level relationship whose current relation mentions changed, except one a curator
   pruned: its relation mentions are kept, but it is not created again until the prune is restored;
5. mark the records DONE.

So a record is DONE if and only if its facts are in the graph; a batch that fails leaves the graph
as it was.

Example:
    >>> outcome = write_batch(client, run_id, worker, build_rows(facts, {}))  # doctest: +SKIP
    >>> outcome.done_ids  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from neo4j import ManagedTransaction, unit_of_work

from graph.db.connection import GraphClient, QuietRows
from graph.db.queries import query
from graph.kg.relations import static_relationship_statement
from graph.watch.facts import BatchRows

__all__ = ["WriteOutcome", "recompute_record_evidence", "write_batch"]


@dataclass
class WriteOutcome:
    """What one batch transaction wrote."""

    done_ids: list[str] = field(default_factory=list)
    lost_ids: list[str] = field(default_factory=list)
    """Records this run no longer held (lease taken over, text replaced): nothing written for them."""
    mentions_created: int = 0
    links_created: int = 0
    relations_changed: int = 0
    candidates_created: int = 0
    facts_updated: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per statement of the (last try of the) transaction."""


class _Clock:
    """``with clock(name):`` adds the block's seconds to ``timings[name]``."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started


def _keep(rows: list[dict[str, Any]], owned: set[str], key: str = "record_id") -> QuietRows:
    return QuietRows(row for row in rows if row[key] in owned)


def recompute_record_evidence(tx: ManagedTransaction, facts: Iterable[dict[str, Any]]) -> int:
    """Recompute the record evidence of concept-level relationships inside ``tx``; returns the rows sent.

    Args:
        tx: The write transaction.
        facts: ``{key, head, tail, type, extractor}`` rows, one per relationship and relation extractor.
            A relationship a curator pruned (and has not restored) is not created again
            (``internal/update_record_relationships``).
    """
    text = query("internal/update_record_relationships")
    # One statement per (type, extractor): a statement must not hold two rows of one relationship, since
    # each row rewrites the relationship's source lists by position and a second row in the same statement
    # may read them before the first row's write (a requeue that swaps relation extractors sends both).
    groups: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for row in facts:
        groups.setdefault((row["type"], row["extractor"]), {})[row["key"]] = row
    updated = 0
    for (rel_type, _), rows in sorted(groups.items()):
        tx.run(static_relationship_statement(text, rel_type), rows=QuietRows(list(rows.values()))).consume()
        updated += len(rows)
    return updated


def write_batch(client: GraphClient, run_id: str, worker: str, rows: BatchRows) -> WriteOutcome:
    """Write one batch's facts and mark its records DONE, atomically."""
    texts = {name: query(f"internal/{name}") for name in (
        "lock_claimed_emrs", "supersede_record_facts", "merge_candidate_concepts", "merge_mentions",
        "merge_links", "merge_relation_mentions", "mark_emrs_done")}

    @unit_of_work(metadata=client.metadata("internal/mark_emrs_done", worker=worker, run=run_id))
    def work(tx: ManagedTransaction) -> WriteOutcome:
        out = WriteOutcome()
        clock = _Clock(out.timings)
        locks = QuietRows({"id": r["id"], "sha256": r["sha256"]} for r in rows.records)
        with clock("lock"):
            locked = list(tx.run(texts["lock_claimed_emrs"], rows=locks, run_id=run_id, worker=worker))
        owned = {r["id"] for r in locked if r["held"]}
        processed_before = {r["id"] for r in locked if r["held"] and r["has_facts"]}
        already = [r["id"] for r in locked if r["done_by_this_run"]]
        out.lost_ids = [r["id"] for r in rows.records if r["id"] not in owned and r["id"] not in already]
        records = _keep(rows.records, owned, "id")
        if not records:
            out.done_ids = already
            return out
        with clock("supersede"):
            again = QuietRows(r for r in records if r["id"] in processed_before)
            stale = [(r["fact_key"], r["extractor"])
                     for r in tx.run(texts["supersede_record_facts"], rows=again, run_id=run_id)] if again else []
        mentions = _keep(rows.mentions, owned)
        relations = _keep(rows.relations, owned)
        wanted_mentions = {m["id"] for m in mentions}
        links = QuietRows(link for link in rows.links if link["mention_id"] in wanted_mentions)
        used_candidates = {link["concept_id"] for link in links}
        candidates = QuietRows(c for c in rows.candidates if c["id"] in used_candidates)
        with clock("candidates"):
            if candidates:
                created = tx.run(texts["merge_candidate_concepts"], rows=candidates).single(strict=True)
                out.candidates_created = created["created"]
        with clock("mentions"):
            if mentions:
                created = tx.run(texts["merge_mentions"], rows=mentions, run_id=run_id).single(strict=True)
                out.mentions_created = created["created"]
        with clock("links"):
            if links:
                created = tx.run(texts["merge_links"], rows=links, run_id=run_id).single(strict=True)
                out.links_created = created["created"]
        with clock("relation_mentions"):
            changed = [(r["fact_key"], r["extractor"])
                       for r in tx.run(texts["merge_relation_mentions"], rows=relations, run_id=run_id)]
        out.relations_changed = len(changed)
        facts: dict[tuple[str, str], dict[str, Any]] = {}
        for key, extractor in (*stale, *changed):
            if key:
                head, rel_type, tail = key.split("|", 2)
                facts[(key, extractor)] = {"key": key, "head": head, "tail": tail, "type": rel_type,
                                           "extractor": extractor}
        with clock("relationships"):
            if facts:
                out.facts_updated = recompute_record_evidence(tx, facts.values())
        with clock("done"):
            done = tx.run(texts["mark_emrs_done"], rows=records, run_id=run_id).single(strict=True)["done"]
        if done != len(records):  # cannot happen while the locks are held; never report a record DONE wrongly
            raise RuntimeError(f"run {run_id}: {done} of {len(records)} locked records marked DONE")
        out.done_ids = [r["id"] for r in records] + already
        return out

    with client.session() as session:
        return session.execute_write(work)
