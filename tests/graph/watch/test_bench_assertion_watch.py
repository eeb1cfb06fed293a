"""The watcher-figures benchmark (benchmarks/bench_assertion_watch.py) on the sample graph: its read-back
statements and figure functions, before and after re-processing with the assertion step."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from graph.db.connection import GraphClient
from graph.watch.claims import requeue_records
from graph.watch.config import WatchConfig
from graph.watch.plugins import register_plugin
from graph.watch.worker import Watcher

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = "患者否认高血压、糖尿病病史。无发热、咳嗽、咳痰，无胸痛。诊断：脑梗死。予阿司匹林口服。"  # the issue's
NEGATED_IN_EXAMPLE = ("发热", "咳嗽", "咳痰", "胸痛")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_assertion_watch",
                                                  REPO / "benchmarks" / "bench_assertion_watch.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sample_texts() -> list[str]:
    lines = (REPO / "data" / "sample" / "emr.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["originalText"] for line in lines if line.strip()] + [EXAMPLE]


def test_figures_before_and_after_reprocessing(kg_graph: GraphClient, bench: ModuleType) -> None:
    client, corpus = kg_graph, sample_texts()
    for name in bench.BEFORE_PLUGINS:
        register_plugin(client, name, enable=True)
    watcher = Watcher(client, WatchConfig(batch_size=4, device="cpu", backoff_seconds=0.0))
    bench.ingest(client, corpus)
    before_run = bench.process(client, watcher)
    before = bench.graph_figures(client, after=False)
    assert (before_run["done"], before_run["failed"], before_run["statuses"]) == (len(corpus), 0, {"DONE": len(corpus)})
    mentions = before["mentions"]
    # no assertion step: every mention is 'unknown', and the library query says as much
    assert mentions["current"] > 0 and mentions["superseded"] == 0
    assert mentions["per_certainty"] == {"unknown": mentions["current"]} == mentions["per_experiencer"]
    assert mentions["current_without_certainty"] == mentions["current"] == before["diseases_by_records"]["unasserted"]
    assert before["relations"]["pertinent_negatives"] == 0
    assert before["relations"]["relation_mentions_per_polarity"] == {"positive": sum(
        before["relations"]["relation_mentions_per_polarity"].values())}
    hypertension = next(r for r in before["diseases_by_records"]["rows"] if r["name"] == "高血压")
    assert hypertension["records"] == 4  # emr-0001 has it; emr-0002 and the example deny it; emr-0005: the father

    register_plugin(client, bench.ASSERTION_PLUGIN, enable=True)
    assert requeue_records(client, "DONE", None)["requeued"] == len(corpus)
    after_run = bench.process(client, watcher)
    after = bench.graph_figures(client, after=True)
    assert (after_run["done"], after_run["statuses"]) == (len(corpus), {"DONE": len(corpus)})
    # re-processing superseded every mention without an assertion by one with it
    assert after["mentions"]["current"] == mentions["current"] == after["mentions"]["superseded"]
    assert after["mentions"]["current_without_certainty"] == 0 == after["diseases_by_records"]["unasserted"]
    assert after["mentions"]["per_type_x_certainty"]["Symptom"]["negated"] >= len(NEGATED_IN_EXAMPLE)
    assert after["mentions"]["per_type_x_certainty"]["Disease"]["negated"] >= 2  # 否认高血压、糖尿病
    assert after["mentions"]["per_experiencer"]["family"] >= 1  # 其父有高血压病史
    # the example's negated symptoms became pertinent negatives and left the evidence
    relations = after["relations"]
    assert relations["pertinent_negatives_per_type"]["HAS_SYMPTOM"] >= len(NEGATED_IN_EXAMPLE)
    symptom_before = before["relations"]["per_type"]["HAS_SYMPTOM"]["evidence"]
    assert symptom_before - relations["per_type"].get("HAS_SYMPTOM", {"evidence": 0})["evidence"] >= 4
    assert relations["record_evidence"] < before["relations"]["record_evidence"]
    assert all(r["record_count"] >= 1 for r in relations["top_record_facts"])
    by_name = {r["name"]: r["records"] for r in after["diseases_by_records"]["rows"]}
    assert by_name["高血压"] == 1
    assert {r["name"]: r["records"] for r in after["diseases_by_records_any_certainty"]["rows"]}["高血压"] == 4
    change = next(r for r in bench.disease_changes(client, before["diseases_by_records"]["rows"])
                  if r["name"] == "高血压")
    assert (change["before"], change["after"]) == (4, 1)

    loaded = watcher.load_extractors()
    timing = bench.timing(after_run, {x.id: x.stored.kind for x in loaded})
    assert timing["records"] == len(corpus) and timing["ms_per_record"]["context-assertion@1"] > 0
    assert 0 < timing["assertion_share_of_record_time"] < timing["assertion_share_of_steps"] < 1
    alone = bench.assertion_alone(next(x for x in loaded if x.stored.kind == "ner"), corpus, repeats=1)
    assert (alone["records"], alone["mentions"]) == (len(corpus), after["mentions"]["current"])
    assert alone["mentions_per_s"] > 0 and len(alone["rules_sha256"]) == 64
