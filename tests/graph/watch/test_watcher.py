"""The watcher against the real Neo4j: provenance merges, re-runs, versions, plugins, bad input, leases."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest
from graph_helpers import add_records, one, rows
from plugin_helpers import StubPlugin, registered

from extractor.plugin import ExtractionRecord, RecordResult, SpanResult
from extractor.plugins.gazetteer_ner import GazetteerNER
from graph.analyst.library import run_library_query
from graph.db.connection import GraphClient
from graph.watch.claims import adopt_new, claim_batch
from graph.watch.config import IngestConfig, WatchConfig
from graph.watch.facts import build_rows
from graph.watch.ingest import ingest_path
from graph.watch.merge import write_batch
from graph.watch.plugins import PluginError, register_plugin, set_enabled
from graph.watch.status import watch_status
from graph.watch.worker import Watcher, run_watcher_once

REPO = Path(__file__).resolve().parents[3]
FAST = {"device": "cpu", "backoff_seconds": 0.0}
EVERY_ASSERTION = {"certainty": "any", "experiencer": "any", "temporality": "any"}


def ingest_sample(client: GraphClient) -> None:
    ingest_path(client, REPO / "data" / "sample" / "emr.jsonl", IngestConfig(format="ccks"))


def counts(client: GraphClient) -> dict[str, int]:
    return {label: one(client, "MATCH (n) WHERE $label IN labels(n) RETURN count(n)", label=label)
            for label in ("Mention", "RelationMention", "Concept", "Run")} | {
        "REFERS_TO": one(client, "MATCH ()-[r:REFERS_TO]->() RETURN count(r)"),
        "rels": one(client, "MATCH (:Concept)-[r]->(:Concept) RETURN count(r)")}


def test_cycle_merges_mentions_links_relations_with_provenance(watch_graph: GraphClient) -> None:
    client = watch_graph
    ingest_sample(client)
    result = run_watcher_once(client, WatchConfig(batch_size=3, pipeline=True, **FAST))
    assert (result.claimed, result.done, result.failed, result.batches) == (8, 8, 0, 3)
    assert one(client, "MATCH (e:EMR) WHERE e.status = 'DONE' AND e.lease_owner IS NULL RETURN count(e)") == 8
    mentions = rows(client, "MATCH (e:EMR)-[:HAS_MENTION]->(m:Mention) RETURN e.id AS record, e.text AS text, "
                            "m.start AS start, m.end AS end, m.text AS mention, m.type AS type, m.extractor AS x, "
                            "m.run_id AS run, m.current AS current")
    assert len(mentions) == result.mentions_created > 30
    assert all(m["text"][m["start"]:m["end"]] == m["mention"] and m["x"] == "gazetteer-ner@1" and m["current"]
               for m in mentions)
    assert set(m["run"] for m in mentions) == set(result.runs)
    used = rows(client, "MATCH (r:Run)-[:USED]->(x:Extractor) RETURN r.id AS run, collect(x.id) AS xs, "
                        "r.status AS status, r.records AS records, size(r.done_ids) AS done")
    assert len(used) == 3 and all(sorted(u["xs"]) == ["cooccurrence-relations@1", "gazetteer-ner@1", "kg-linker@1"]
                                  and u["status"] == "done" and u["records"] == u["done"] for u in used)
    # the 2型糖尿病 record: 糖尿病 links to the KG by name, 高血压病 by alias, both found by the gazetteer
    linked = {(r["mention"], r["concept"], r["method"]) for r in rows(
        client, "MATCH (:EMR {id: 'emr-0001'})-[:HAS_MENTION]->(m)-[l:REFERS_TO]->(c) "
                "RETURN m.text AS mention, c.id AS concept, l.method AS method")}
    assert {("糖尿病", "Disease:糖尿病", "exact"), ("高血压病", "Disease:高血压", "alias"),
            ("二甲双胍", "Drug:二甲双胍", "exact")} <= linked
    # a record relation landing on a KG-asserted relationship appends its source and combines confidences
    fact = rows(client, "MATCH (:Concept {id: 'Disease:脑梗死'})-[r:HAS_SYMPTOM]->(:Concept {id: 'Symptom:言语不清'}) "
                        "RETURN r.sources AS sources, r.source_confidence AS conf, r.record_count AS records, "
                        "r.evidence_count AS evidence, r.confidence AS confidence, r.record_sources AS rs")[0]
    rm = rows(client, "MATCH (rm:RelationMention {fact_key: 'Disease:脑梗死|HAS_SYMPTOM|Symptom:言语不清'}) "
                      "RETURN rm.score AS score, rm.precision AS p, rm.record_id AS record")
    assert len(rm) == 1 and rm[0]["record"] == "emr-0002"
    c_rec = rm[0]["p"] * rm[0]["score"]
    assert fact["sources"] == ["sample", "cooccurrence-relations@1"] and fact["rs"] == ["cooccurrence-relations@1"]
    assert fact["conf"] == pytest.approx([0.8, c_rec]) and (fact["records"], fact["evidence"]) == (1, 2)
    assert fact["confidence"] == pytest.approx(1 - (1 - 0.8) * (1 - c_rec))
    trace = client.read("analyst/trace_record_fact", fact_key="Disease:脑梗死|HAS_SYMPTOM|Symptom:言语不清",
                        polarity="positive", limit=5)
    assert [(t["record"], t["subject"], t["object"], t["ner_extractor"]) for t in trace] == [
        ("emr-0002", "脑梗死", "言语不清", "gazetteer-ner@1")]
    by_type = {r["type"]: r for r in run_library_query(client, "mentions_by_type", EVERY_ASSERTION).rows}
    assert sum(r["mentions"] for r in by_type.values()) == len(mentions)
    assert all(r["linked_kg"] + r["linked_candidate"] + r["unlinked"] == r["mentions"] for r in by_type.values())
    status = watch_status(client)
    assert status.records["DONE"] == 8 and status.throughput["records"] == 8 and len(status.runs) == 3


def test_rerun_of_the_same_versions_writes_nothing_new(watch_graph: GraphClient) -> None:
    client = watch_graph
    ingest_sample(client)
    run_watcher_once(client, WatchConfig(**FAST))
    before = counts(client)
    facts = rows(client, "MATCH (:Concept)-[r]->(:Concept) WHERE r.record_count > 0 "
                         "RETURN elementId(r) AS r, properties(r) AS p ORDER BY r")
    rows_before = rows(client, "MATCH (m:Mention) RETURN m.id AS id, properties(m) AS p ORDER BY id")
    requeued, _ = client.write("internal/requeue_emrs", status="DONE", ids=None)
    assert requeued[0]["requeued"] == 8
    again = run_watcher_once(client, WatchConfig(**FAST))
    assert again.done == 8 and (again.mentions_created, again.links_created, again.relations_changed) == (0, 0, 0)
    after = counts(client)
    assert after == before | {"Run": before["Run"] + 1}
    assert rows(client, "MATCH (m:Mention) RETURN m.id AS id, properties(m) AS p ORDER BY id") == rows_before
    refreshed = rows(client, "MATCH (:Concept)-[r]->(:Concept) WHERE r.record_count > 0 "
                             "RETURN elementId(r) AS r, properties(r) AS p ORDER BY r")
    assert [f["p"] for f in facts] == [f["p"] for f in refreshed]


class GazetteerV2(GazetteerNER):
    """A new version of the dictionary NER with another score."""

    version: ClassVar[str] = "2"


def test_a_new_version_supersedes_old_facts_traceably(watch_graph: GraphClient) -> None:
    client = watch_graph
    ingest_sample(client)
    first = run_watcher_once(client, WatchConfig(**FAST))
    old = one(client, "MATCH (m:Mention) RETURN count(m)")
    with registered(GazetteerV2):
        register_plugin(client, "gazetteer-ner", "2", {"score": 0.75}, enable=True)
        set_enabled(client, "gazetteer-ner@1", False)
        client.write("internal/requeue_emrs", status="DONE", ids=None)
        second = run_watcher_once(client, WatchConfig(**FAST))
    assert second.done == 8 and second.extractors[0] == "gazetteer-ner@2"
    states = rows(client, "MATCH (m:Mention) RETURN m.extractor AS x, m.current AS current, "
                          "m.superseded_by_run AS by, count(*) AS n ORDER BY x")
    assert [(s["x"], s["current"], s["n"]) for s in states] == [("gazetteer-ner@1", False, old),
                                                                 ("gazetteer-ner@2", True, old)]
    assert states[0]["by"] in second.runs and states[1]["by"] is None
    assert one(client, "MATCH ()-[l:REFERS_TO]->() WHERE l.current RETURN count(l)") == old
    assert one(client, "MATCH ()-[l:REFERS_TO]->() WHERE NOT l.current RETURN count(l)") == old
    current = run_library_query(client, "mentions_by_type", EVERY_ASSERTION).rows
    assert sum(r["mentions"] for r in current) == old  # current facts only
    # relation evidence moved to the new mentions: the same records still support the same facts
    fact = rows(client, "MATCH (:Concept {id: 'Disease:脑梗死'})-[r:HAS_SYMPTOM]->(:Concept {id: 'Symptom:言语不清'}) "
                        "RETURN r.record_count AS n, r.sources AS s")[0]
    assert fact == {"n": 1, "s": ["sample", "cooccurrence-relations@1"]}
    assert one(client, "MATCH (rm:RelationMention) WHERE NOT rm.current RETURN count(rm)") == first.relations_changed


def test_enable_and_disable_take_effect_at_the_next_cycle(watch_graph: GraphClient) -> None:
    client = watch_graph
    watcher = Watcher(client, WatchConfig(**FAST))
    set_enabled(client, "kg-linker", False)
    add_records(client, {"r1": "诊断糖尿病。"})
    assert watcher.run_once().extractors == ["gazetteer-ner@1", "cooccurrence-relations@1"]
    assert one(client, "MATCH (:EMR {id: 'r1'})-[:HAS_MENTION]->()-[l:REFERS_TO]->() RETURN count(l)") == 0
    set_enabled(client, "kg-linker", True)
    add_records(client, {"r2": "诊断糖尿病。"})
    assert watcher.run_once().done == 1
    assert one(client, "MATCH (:EMR {id: 'r2'})-[:HAS_MENTION]->()-[l:REFERS_TO]->() RETURN count(l)") == 1


class FixedNER(StubPlugin):
    """Finds 2型糖尿病 wherever it occurs, with a high score (a second NER plugin for the overlap rule)."""

    name: ClassVar[str] = "fixed-ner"
    kind: ClassVar[str] = "ner"

    def extract(self, records: list[ExtractionRecord]) -> list[RecordResult]:
        out = []
        for rec in records:
            at = rec.text.find("2型糖尿病")
            spans = (SpanResult(at, at + 5, "Disease", 0.99, "2型糖尿病"),) if at >= 0 else ()
            out.append(RecordResult(rec.id, spans))
        return out


def test_two_ner_plugins_are_merged_by_the_overlap_rule(watch_graph: GraphClient) -> None:
    client = watch_graph
    with registered(FixedNER):
        register_plugin(client, "fixed-ner", enable=True)
        add_records(client, {"r": "诊断：2型糖尿病，高血压。"})
        run_watcher_once(client, WatchConfig(**FAST))
    found = rows(client, "MATCH (m:Mention) RETURN m.text AS text, m.extractor AS x ORDER BY m.start")
    assert found == [{"text": "2型糖尿病", "x": "fixed-ner@1"}, {"text": "高血压", "x": "gazetteer-ner@1"}]


def test_bad_records_fail_with_their_error_and_the_rest_go_on(watch_graph: GraphClient) -> None:
    client = watch_graph
    add_records(client, {"empty": "  \n", "number": 42, "control": "糖尿病\x07", "long": "痛" * 100_001,
                         "cypher": "糖尿病'}) DETACH DELETE n; MATCH (x) SET x.pwned = true //", "fine": "高血压"})
    with client.session() as session:
        session.run("CREATE (:EMR {id: 'missing'})").consume()
    result = run_watcher_once(client, WatchConfig(**FAST))
    assert (result.done, result.failed, result.invalid) == (2, 3, 2)
    states = {r["id"]: (r["status"], r["error"]) for r in rows(
        client, "MATCH (e:EMR) RETURN e.id AS id, e.status AS status, e.error AS error")}
    assert states["empty"] == ("FAILED", "bad input: text is empty or whitespace only")
    # not a (:EMR {id, text}) record at all: INVALID, never claimed (see test_invalid_records.py)
    assert states["number"] == ("INVALID", "text is an integer (42), expected a string")
    assert states["missing"] == ("INVALID", "text is missing")
    assert states["control"] == ("FAILED", "bad input: control character U+0007 at offset 3")
    assert states["long"][1].startswith("bad input: text is 100,001 characters long")
    assert states["cypher"] == ("DONE", None) and states["fine"] == ("DONE", None)
    assert one(client, "MATCH (x) WHERE x.pwned RETURN count(x)") == 0
    assert one(client, "MATCH (e:EMR)-[:HAS_MENTION]->() WHERE e.status = 'FAILED' RETURN count(e)") == 0
    assert {f["id"] for f in watch_status(client).failures} == {"empty", "control", "long"}
    assert {r["id"] for r in watch_status(client).invalid["first"]} == {"number", "missing"}


class PoisonNER(StubPlugin):
    """Raises on records holding a skull; returns offsets outside the text on records holding a ghost."""

    name: ClassVar[str] = "poison-ner"
    kind: ClassVar[str] = "ner"

    def extract(self, records: list[ExtractionRecord]) -> list[RecordResult]:
        if any("☠" in r.text for r in records):
            raise RuntimeError("cannot read this record")
        return [RecordResult(r.id, (SpanResult(0, len(r.text) + 5, "Disease", 0.5, r.text),) if "👻" in r.text else ())
                for r in records]


@pytest.mark.parametrize("pipeline", [False, True])
def test_a_poison_record_ends_failed_after_its_attempts(watch_graph: GraphClient, pipeline: bool) -> None:
    client = watch_graph
    good = {f"good-{i}": f"患者{i}诊断糖尿病。" for i in range(10)}
    add_records(client, good | {"poison": "☠ 糖尿病", "ghost": "👻"})
    with registered(PoisonNER):
        register_plugin(client, "poison-ner", enable=True)
        result = run_watcher_once(client, WatchConfig(batch_size=4, max_attempts=2, pipeline=pipeline, **FAST))
    states = {r["id"]: r for r in rows(client, "MATCH (e:EMR) RETURN e.id AS id, e.status AS status, "
                                               "e.error AS error, e.attempts AS attempts, e.last_error AS last")}
    assert all(states[f"good-{i}"]["status"] == "DONE" for i in range(10))
    assert states["poison"]["status"] == "FAILED" and states["poison"]["attempts"] == 2
    assert states["poison"]["error"] == "extractor poison-ner@1: RuntimeError: cannot read this record"
    assert states["ghost"]["status"] == "FAILED"
    assert "extractor poison-ner@1: PluginOutputError: record 'ghost' span 0-6: offsets outside the text" in \
        states["ghost"]["error"]
    assert result.done == 10 and result.failed == 2
    assert one(client, "MATCH (e:EMR {id: 'poison'})-[:HAS_MENTION]->() RETURN count(*)") == 0


def test_an_enabled_plugin_that_cannot_load_stops_the_cycle_before_any_claim(watch_graph: GraphClient) -> None:
    client = watch_graph
    add_records(client, {"r": "糖尿病"})
    with client.session() as session:
        session.run("CREATE (:Extractor {id: 'evil@1', name: 'evil', version: '1', kind: 'ner', "
                    "entry_point: 'os:system', config: '{}', enabled: true})").consume()
    with pytest.raises(PluginError, match="'evil@1' is stored in the graph but not installed here"):
        run_watcher_once(client, WatchConfig(**FAST))
    assert one(client, "MATCH (e:EMR {id: 'r'}) RETURN coalesce(e.status, 'none')") == "none"


def test_register_is_idempotent_and_refuses_another_config_under_the_same_id(kg_graph: GraphClient) -> None:
    client = kg_graph
    first = register_plugin(client, "gazetteer-ner")
    assert register_plugin(client, "gazetteer-ner") == first and not first.enabled
    with pytest.raises(PluginError, match="already registered with another config"):
        register_plugin(client, "gazetteer-ner", config={"score": 0.5})
    with pytest.raises(PluginError, match="config field 'score'"):
        register_plugin(client, "gazetteer-ner", "1", {"score": 5}, replace=True)
    with pytest.raises(PluginError, match="config field 'colour'"):
        register_plugin(client, "kg-linker", config={"colour": "red"})
    assert register_plugin(client, "gazetteer-ner", config={"score": 0.5}, replace=True).config["score"] == 0.5
    with pytest.raises(PluginError, match="unknown plugin 'nope'"):
        register_plugin(client, "nope")


def test_claims_never_overlap_and_expired_leases_are_taken_over(watch_graph: GraphClient) -> None:
    client = watch_graph
    add_records(client, {f"r{i:02d}": f"第{i}例：糖尿病，予二甲双胍。" for i in range(6)})
    assert adopt_new(client) == 6  # records written without a status join the queue as NEW
    stale = claim_batch(client, WatchConfig(batch_size=2, lease_seconds=2.0, worker="stale"), ["gazetteer-ner@1"])
    assert len(stale.records) == 2
    fresh = claim_batch(client, WatchConfig(batch_size=10, worker="other"), ["gazetteer-ner@1"])
    assert {r.id for r in fresh.records}.isdisjoint({r.id for r in stale.records}) and len(fresh.records) == 4
    threading.Event().wait(2.1)
    taken = run_watcher_once(client, WatchConfig(worker="late", **FAST))
    assert taken.done == 2  # the expired lease was taken over; the live one (other) was not
    # the stale worker comes back: its write finds it no longer holds the records and writes nothing
    from graph.watch.facts import RecordFacts

    outcome = write_batch(client, stale.run_id, "stale", build_rows([RecordFacts(r.id, "x") for r in stale.records],
                                                                     {}))
    assert outcome.done_ids == [] and sorted(outcome.lost_ids) == sorted(r.id for r in stale.records)
    assert one(client, "MATCH (e:EMR) WHERE e.attempts = 2 RETURN count(e)") == 2
    assert one(client, "MATCH (e:EMR) WHERE e._lock IS NOT NULL RETURN count(e)") == 0


def test_a_claim_tried_again_after_its_commit_hands_back_the_same_records(watch_graph: GraphClient) -> None:
    client = watch_graph
    add_records(client, {f"r{i:02d}": f"第{i}例：糖尿病。" for i in range(5)})
    adopt_new(client)
    config = WatchConfig(batch_size=2, worker="w")
    first = claim_batch(client, config, ["gazetteer-ner@1"], run_id="run-retry")
    again = claim_batch(client, config, ["gazetteer-ner@1"], run_id="run-retry")
    assert [r.id for r in again.records] == [r.id for r in first.records] and len(first.records) == 2
    assert [r.attempts for r in again.records] == [1, 1]  # the second try did not count another attempt
    assert one(client, "MATCH (e:EMR {status: 'PROCESSING'}) RETURN count(e)") == 2
    assert one(client, "MATCH (e:EMR {status: 'NEW'}) RETURN count(e)") == 3


def test_a_claim_whose_answer_is_lost_in_an_outage_is_not_orphaned(watch_graph: GraphClient,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The claim commits, then the connection drops before its answer arrives (what a restart can do)."""
    import neo4j.exceptions

    import graph.watch.worker as worker

    client = watch_graph
    add_records(client, {f"r{i:02d}": f"第{i}例：糖尿病伴多尿，予二甲双胍。" for i in range(6)})
    real, lost = worker.claim_batch, []

    def answer_lost_once(*args: Any, **kwargs: Any) -> Any:
        claim = real(*args, **kwargs)
        if not lost and claim.records:
            lost.append(claim.run_id)
            raise neo4j.exceptions.ServiceUnavailable("connection closed after the commit was sent")
        return claim

    monkeypatch.setattr(worker, "claim_batch", answer_lost_once)
    result = Watcher(client, WatchConfig(batch_size=2, **FAST), sleep=lambda _: None).run_once()
    assert lost and result.db_waits == 1 and lost[0] in result.runs
    assert result.done == 6 and result.claimed == 6
    assert one(client, "MATCH (e:EMR) WHERE e.status <> 'DONE' RETURN count(e)") == 0
    assert one(client, "MATCH (e:EMR) WHERE e.attempts <> 1 RETURN count(e)") == 0


def test_a_record_whose_lease_expires_on_its_last_attempt_is_failed(watch_graph: GraphClient) -> None:
    client = watch_graph
    add_records(client, {"hang": "糖尿病"})
    adopt_new(client)
    claim_batch(client, WatchConfig(lease_seconds=0.1, max_attempts=1, worker="w"), [])
    threading.Event().wait(0.2)
    result = run_watcher_once(client, WatchConfig(max_attempts=1, **FAST))
    assert result.abandoned_failed == 1 and result.done == 0
    error = one(client, "MATCH (e:EMR {id: 'hang'}) RETURN e.status + ': ' + e.error")
    assert error.startswith("FAILED: abandoned: the lease expired on attempt 1 of 1 (the worker w died")


def test_concurrent_workers_share_the_queue_without_double_claims(watch_graph: GraphClient) -> None:
    client = watch_graph
    add_records(client, {f"r{i:03d}": f"第{i}例：糖尿病伴多尿，予二甲双胍。" for i in range(60)})
    results = []

    def work(name: str) -> None:
        results.append(run_watcher_once(client, WatchConfig(batch_size=4, worker=name, pipeline=True, **FAST)))

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.done for r in results) == 60 and all(r.failed == 0 for r in results)
    runs = rows(client, "MATCH (r:Run) RETURN r.record_ids AS ids, r.done_ids AS done")
    claimed = [rid for r in runs for rid in r["ids"]]
    assert len(claimed) == len(set(claimed)) == 60  # no record in two runs: nothing expired here
    assert one(client, "MATCH (e:EMR {status: 'DONE'}) RETURN count(e)") == 60


def test_a_stop_request_finishes_the_current_batch_and_ends_the_cycle(watch_graph: GraphClient) -> None:
    client = watch_graph
    add_records(client, {f"r{i}": "糖尿病" for i in range(9)})
    stop = threading.Event()

    class StopAfterFirst(GazetteerNER):
        name: ClassVar[str] = "stopper"

        def extract(self, records: list[ExtractionRecord]) -> list[RecordResult]:
            stop.set()
            return super().extract(records)

    with registered(StopAfterFirst):
        register_plugin(client, "stopper", enable=True)
        result = Watcher(client, WatchConfig(batch_size=3, **FAST), stop).run_once()
    assert result.stopped and result.batches == 1 and result.done == 3
    assert one(client, "MATCH (e:EMR) WHERE e.status = 'NEW' RETURN count(e)") == 6
    assert one(client, "MATCH (e:EMR) WHERE e.status = 'PROCESSING' RETURN count(e)") == 0


def test_requeue_of_failed_records(watch_graph: GraphClient) -> None:
    client = watch_graph
    add_records(client, {"e": " "})
    run_watcher_once(client, WatchConfig(**FAST))
    requeued, _ = client.write("internal/requeue_emrs", status="FAILED", ids=["e"])
    assert requeued[0]["requeued"] == 1
    assert rows(client, "MATCH (e:EMR {id: 'e'}) RETURN e.status AS s, e.attempts AS a, e.error AS err, "
                        "e.last_error AS last")[0] == {"s": "NEW", "a": 0, "err": None,
                                                       "last": "bad input: text is empty or whitespace only"}


def test_device_selection() -> None:
    from graph.watch.device import DeviceError, select_device

    assert select_device("auto", cuda_available=lambda: True) == "cuda"
    assert select_device("auto", cuda_available=lambda: False) == "cpu"
    assert select_device("cpu", cuda_available=lambda: True) == "cpu"
    assert select_device("cuda", cuda_available=lambda: True) == "cuda"
    with pytest.raises(DeviceError, match="no CUDA device"):
        select_device("cuda", cuda_available=lambda: False)
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        select_device("tpu")
    assert WatchConfig().torch_threads(2) == 2 and WatchConfig(threads=3).torch_threads(2) == 3


def test_an_unreachable_database_is_waited_out_with_backoff(watch_graph: GraphClient) -> None:
    import neo4j.exceptions

    from graph.watch.worker import CycleResult

    waits: list[float] = []
    watcher = Watcher(watch_graph, WatchConfig(db_retry_seconds=5, **FAST), sleep=waits.append)
    calls = {"n": 0}

    def flaky() -> str:
        calls["n"] += 1
        if calls["n"] < 4:
            raise neo4j.exceptions.ServiceUnavailable("connection refused")
        return "ok"

    result = CycleResult("w", "cpu")
    assert watcher._db("a test", flaky, result) == "ok" and result.db_waits == 3 and waits == [0.5, 1.0, 2.0]

    def down() -> str:
        raise neo4j.exceptions.ServiceUnavailable("still down")

    with pytest.raises(neo4j.exceptions.ServiceUnavailable):
        watcher._db("a test", down, CycleResult("w", "cpu"))
    assert sum(waits[3:]) >= 5
