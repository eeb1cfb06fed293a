"""The demo next to other data: it asks first, and ``clean_demo`` takes back exactly what it wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.demo import DEMO_SOURCE, OtherDataError, clean_demo, other_data, run_demo
from graph.db.connection import ConnectionInfo, GraphClient
from graph.kg.loader import LoadConfig, load_kg
from graph.watch.config import IngestConfig, WatchConfig
from graph.watch.ingest import ingest_path
from graph.watch.plugins import register_plugin
from graph.watch.worker import run_watcher_once

#: The model-free built-in plugins (the demo's own, registered here by the other data's owner first).
PLUGINS = ("gazetteer-ner", "kg-linker", "cooccurrence-relations")


def dump(client: GraphClient) -> tuple[list[Any], dict[tuple[str, str, str], dict[str, Any]]]:
    """Every node (labels, all properties) and relationship (type, ends, all properties), sorted."""
    rows = client.read("internal/dump_graph_nodes")
    nodes = sorted(((sorted(r["labels"]), sorted(r["props"].items())) for r in rows), key=repr)
    rels = {}
    for row in client.read("internal/dump_graph_relationships"):
        key = (row["type"], row["head"], row["tail"])
        assert key not in rels, key  # one relationship per (type, head, tail): the dict loses nothing
        rels[key] = row["props"]
    return nodes, rels


def without_updated_at(rels: dict[tuple[str, str, str], dict[str, Any]]) -> dict[tuple[str, str, str], Any]:
    return {key: {k: v for k, v in props.items() if k != "updated_at"} for key, props in rels.items()}


@pytest.fixture
def other_graph(client: GraphClient, tmp_path: Path) -> GraphClient:
    """A KG that shares concepts and a relationship with the demo's, and one processed record of its own."""
    kg = tmp_path / "textbook.tsv"
    kg.write_text("糖尿病\tDisease\tHAS_SYMPTOM\t多饮\tSymptom\n"  # also in the demo's KG
                  "糖尿病\tDisease\tCOMMON_DRUG\t二甲双胍\tDrug\n"  # also in the demo's KG
                  "脑梗死\tDisease\tHAS_SYMPTOM\t言语不清\tSymptom\n"  # in the demo's KG, only its records support it
                  "糖尿病\tDisease\tHAS_SYMPTOM\t视物模糊\tSymptom\n", encoding="utf-8")
    load_kg(client, kg, LoadConfig(format="triples", source="textbook"))
    for name in PLUGINS:
        register_plugin(client, name, enable=True)
    records = tmp_path / "ward.jsonl"
    records.write_text(json.dumps({"id": "ward-1", "text": "患者多饮、视物模糊，诊断：糖尿病。予二甲双胍口服。"},
                                  ensure_ascii=False) + "\n", encoding="utf-8")
    ingest_path(client, records, IngestConfig(source="ward"))
    cycle = run_watcher_once(client, WatchConfig(batch_size=4, device="cpu"))
    assert cycle.done == 1
    return client


def test_demo_next_to_other_data_is_taken_back_exactly(other_graph: GraphClient,
                                                        neo4j_env: ConnectionInfo) -> None:
    client = other_graph
    before_nodes, before_rels = dump(client)
    treated = ("TREATED_WITH", "Disease:糖尿病", "Drug:二甲双胍")
    assert before_rels[treated]["record_count"] == 1  # the other record's own evidence
    found = other_data(client)
    assert found is not None and found["records"] == 1 and found["kg_sources"] == 1

    refusal = r"already holds other data \(records: 1, concepts: 6, kg sources: 1\).*medkg demo --clean"
    with pytest.raises(OtherDataError, match=refusal):
        run_demo()
    assert dump(client) == (before_nodes, before_rels)  # asked first: nothing written

    payload = run_demo(allow_other_data=True)
    assert payload["other_data"] == found and payload["ingest"]["created"] == 8
    assert payload["embedding"]["trained"] is False and payload["embedding"]["skipped"]
    assert payload["watch"]["done"] == 8 and payload["trace"]["record"].startswith(f"{DEMO_SOURCE}/emr-")
    assert "context-assertion@1" in payload["watch"]["extractors"]  # on by default in the demo
    during = dump(client)[1]
    assert during[treated]["record_count"] == 2  # the demo's emr-0001 supports the other record's fact
    shared = ("HAS_SYMPTOM", "Disease:糖尿病", "Symptom:多饮")
    assert set(during[shared]["sources"]) == {"textbook", DEMO_SOURCE, "cooccurrence-relations@1"}
    only_demo_records = ("HAS_SYMPTOM", "Disease:脑梗死", "Symptom:言语不清")
    assert "record_count" not in before_rels[only_demo_records] and during[only_demo_records]["record_count"] == 1

    removed = clean_demo(client)
    assert removed["records"] == 8 and removed["mentions"] == 59 and removed["relation_mentions"] == 32
    assert removed["kg_sources"] == 1 and removed["runs"] == len(payload["watch"]["runs"])
    # the demo stored context-assertion (the other data had no assertion plugin) and takes it back; the other
    # data's own extractors stay, and no embedding run was trained
    assert (removed["extractors"], removed["embedding_runs"]) == (1, 0)
    after_nodes, after_rels = dump(client)
    assert after_nodes == before_nodes
    assert without_updated_at(after_rels) == without_updated_at(before_rels)
    untouched = ("HAS_SYMPTOM", "Disease:糖尿病", "Symptom:视物模糊")
    assert after_rels[untouched]["updated_at"] == before_rels[untouched]["updated_at"]

    again = clean_demo(client)
    assert not any(again.values())
    assert dump(client) == (after_nodes, after_rels)
