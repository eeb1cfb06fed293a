"""Runs end: a run whose worker died is closed as ``lost``; ``watch status`` shows the open ones with their age."""

from __future__ import annotations

import threading
from typing import ClassVar

from graph_helpers import one, rows
from plugin_helpers import registered

from extractor.plugin import ExtractionRecord, RecordResult
from extractor.plugins.gazetteer_ner import GazetteerNER
from graph.db.connection import GraphClient
from graph.watch.claims import adopt_new, claim_batch
from graph.watch.config import WatchConfig
from graph.watch.plugins import register_plugin
from graph.watch.status import watch_status
from graph.watch.worker import run_watcher_once

FAST = {"device": "cpu", "backoff_seconds": 0.0}


def add_records(client: GraphClient, n: int) -> None:
    with client.session() as session:
        session.run("UNWIND range(1, $n) AS i CREATE (:EMR {id: 'r' + toString(i), text: '第' + toString(i) + "
                    "'例：糖尿病，予二甲双胍。'})", n=n).consume()


def run_state(client: GraphClient, run_id: str) -> dict:
    return rows(client, "MATCH (r:Run {id: $id}) RETURN r.status AS status, r.finished_at IS NOT NULL AS finished, "
                        "r.error AS error", id=run_id)[0]


def test_a_killed_workers_run_is_closed_as_lost_when_its_records_are_taken_over(watch_graph: GraphClient) -> None:
    client = watch_graph
    add_records(client, 5)
    adopt_new(client)
    # the worker claims and is then killed (SIGKILL): it never writes nor closes its run
    killed = claim_batch(client, WatchConfig(batch_size=3, lease_seconds=0.5, worker="killed"), ["gazetteer-ner@1"])
    assert len(killed.records) == 3 and run_state(client, killed.run_id)["status"] == "running"
    threading.Event().wait(0.6)
    result = run_watcher_once(client, WatchConfig(worker="survivor", **FAST))
    assert result.done == 5 and killed.run_id in result.lost_runs
    state = run_state(client, killed.run_id)
    assert state["status"] == "lost" and state["finished"]
    assert state["error"].startswith("lost: worker killed stopped before closing this run")
    assert "3 of its 3 records were taken over by other runs" in state["error"]
    assert one(client, "MATCH (r:Run {status: 'running'}) RETURN count(r)") == 0
    assert watch_status(client).open_runs == []


def test_a_run_whose_records_failed_as_abandoned_is_lost(watch_graph: GraphClient) -> None:
    client = watch_graph
    add_records(client, 1)
    adopt_new(client)
    killed = claim_batch(client, WatchConfig(lease_seconds=0.1, max_attempts=1, worker="killed"), [])
    threading.Event().wait(0.2)
    result = run_watcher_once(client, WatchConfig(max_attempts=1, **FAST))
    assert result.abandoned_failed == 1 and killed.run_id in result.lost_runs
    state = run_state(client, killed.run_id)
    assert state["status"] == "lost" and "1 of its 1 records were failed as abandoned" in state["error"]


def test_a_run_is_lost_only_once_it_holds_no_record(watch_graph: GraphClient) -> None:
    """A slow worker past its lease may still finish: its run stays open while it holds a record."""
    client = watch_graph
    add_records(client, 2)
    adopt_new(client)
    slow = claim_batch(client, WatchConfig(batch_size=2, lease_seconds=0.1, worker="slow"), [])
    threading.Event().wait(0.2)
    first = claim_batch(client, WatchConfig(batch_size=1, worker="other"), [])
    assert len(first.records) == 1 and first.lost_runs == []
    assert run_state(client, slow.run_id)["status"] == "running"  # one expired record is still its own
    second = claim_batch(client, WatchConfig(batch_size=1, worker="other"), [])
    assert len(second.records) == 1 and second.lost_runs == [slow.run_id]
    assert run_state(client, slow.run_id)["status"] == "lost"


def test_a_slow_worker_whose_records_were_taken_over_closes_its_run_as_lost(kg_graph: GraphClient) -> None:
    client = kg_graph
    others: list = []

    class Slow(GazetteerNER):
        """The dictionary NER, which outlives its lease once: another worker takes the batch over meanwhile."""

        name: ClassVar[str] = "slow-gazetteer"

        def extract(self, records: list[ExtractionRecord]) -> list[RecordResult]:
            if not others:
                others.append(None)
                threading.Event().wait(0.4)
                others[0] = run_watcher_once(client, WatchConfig(worker="other", **FAST))
            return super().extract(records)

    with registered(Slow):
        register_plugin(client, "slow-gazetteer", enable=True)
        add_records(client, 2)
        slow = run_watcher_once(client, WatchConfig(worker="slow", lease_seconds=0.3, **FAST))
    assert (slow.done, slow.lost) == (0, 2) and others[0].done == 2
    state = run_state(client, slow.runs[0])
    assert state["status"] == "lost" and state["finished"]
    assert state["error"] == "lost: 2 of its 2 records were taken over by other runs after its lease expired"


def test_a_claim_tried_again_that_finds_its_records_gone_closes_its_run(watch_graph: GraphClient) -> None:
    client = watch_graph
    add_records(client, 3)
    adopt_new(client)
    config = WatchConfig(batch_size=2, worker="w")
    first = claim_batch(client, config, ["gazetteer-ner@1"], run_id="run-retry")
    assert len(first.records) == 2
    # before the retry, the records left the run another way (a replaced text sends them back to NEW)
    with client.session() as session:
        session.run("MATCH (e:EMR {lease_run: 'run-retry'}) SET e.status = 'NEW', e.lease_run = null, "
                    "e.lease_owner = null, e.lease_until = null").consume()
    again = claim_batch(client, config, ["gazetteer-ner@1"], run_id="run-retry")
    assert again.records == [] and again.lost_runs == ["run-retry"]
    state = run_state(client, "run-retry")
    assert state["status"] == "lost" and state["finished"] and "tried again" in state["error"]


def test_a_run_left_open_with_no_records_is_closed(watch_graph: GraphClient) -> None:
    client = watch_graph
    with client.session() as session:
        session.run("CREATE (:Run {id: 'run-empty', worker: 'gone', status: 'running', record_ids: [], claimed: 0, "
                    "started_at: datetime() - duration('PT1H'), lease_until: datetime() - duration('PT55M')})"
                    ).consume()
    add_records(client, 1)
    result = run_watcher_once(client, WatchConfig(**FAST))
    assert result.done == 1 and result.lost_runs == ["run-empty"]
    assert run_state(client, "run-empty")["status"] == "lost"


def test_status_shows_open_runs_with_their_age(watch_graph: GraphClient) -> None:
    client = watch_graph
    add_records(client, 3)
    adopt_new(client)
    live = claim_batch(client, WatchConfig(batch_size=2, lease_seconds=600, worker="live"), [])
    expired = claim_batch(client, WatchConfig(batch_size=1, lease_seconds=0.1, worker="stuck"), [])
    threading.Event().wait(1.1)
    status = watch_status(client)
    by_id = {r["id"]: r for r in status.open_runs}
    assert set(by_id) == {live.run_id, expired.run_id}
    assert by_id[live.run_id]["worker"] == "live" and by_id[live.run_id]["holding"] == 2
    assert by_id[live.run_id]["age_seconds"] >= 1.0 and not by_id[live.run_id]["lease_expired"]
    assert by_id[expired.run_id]["lease_expired"] and by_id[expired.run_id]["holding"] == 1
    assert isinstance(by_id[live.run_id]["started_at"], str)
