"""The `medkg` command, run in-process against the test server through NEO4J_URI."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import invoke_json
from typer.testing import CliRunner

from app.cli import app
from graph.db.connection import ConnectionInfo, GraphClient

runner = CliRunner()


def test_kg_load_and_stats(client: GraphClient, neo4j_env: ConnectionInfo, sample_dir: Path) -> None:
    code, loaded = invoke_json("kg", "load", str(sample_dir / "kg.tsv"), "--format", "triples",
                               "--source", "sample")
    assert code == 0 and loaded["source"] == "sample"
    assert loaded["written"]["relationships_created"] == loaded["relationships_total"] == 145
    code, stats = invoke_json("kg", "stats")
    assert code == 0
    assert stats["relationships_total"] == 145
    assert stats["labels"]["Disease"] == loaded["concepts"]["Disease"]


def test_kg_load_bad_input_exit_2(client: GraphClient, neo4j_env: ConnectionInfo, tmp_path: Path) -> None:
    code, payload = invoke_json("kg", "load", str(tmp_path / "x.tsv"), "--format", "owl")
    assert code == 2 and "unknown --format 'owl'" in payload["error"]
    bad = tmp_path / "bad.tsv"
    bad.write_text("糖尿病\tDisease\n", encoding="utf-8")
    code, payload = invoke_json("kg", "load", str(bad), "--format", "triples")
    assert code == 2 and f"{bad}:1" in payload["error"]
    code, payload = invoke_json("kg", "load", str(bad), "--format", "triples", "--skip-invalid")
    assert code == 0 and payload["units_skipped"] == 1
    code, payload = invoke_json("kg", "load", str(bad), "--format", "triples", "--confidence", "2")
    assert code == 2 and "confidence" in payload["error"]


def test_demo_runs_on_the_configured_server(client: GraphClient, neo4j_env: ConnectionInfo) -> None:
    empty = client.read("internal/dump_graph_nodes")  # the test server's sentinel only
    code, payload = invoke_json("demo")
    assert code == 0 and payload["other_data"] is None and payload["clean_command"] == "medkg demo --clean"
    assert payload["database"]["uri"] == neo4j_env.uri and payload["database"]["embedded"] is False
    assert payload["load"]["relationships_total"] == 145 and payload["load"]["written"]["nodes_created"] == 125
    assert payload["stats"]["labels"]["Concept"] == 125  # the sample's names all link: no candidate concepts
    assert payload["embedding"]["trained"] and payload["ingest"]["created"] == 8
    watch = payload["watch"]
    assert (watch["done"], watch["failed"]) == (8, 0)
    assert watch["extractors"] == ["gazetteer-ner@1", "context-assertion@1", "kg-linker@1", "cooccurrence-relations@1"]
    # pinned: the sample records, the gazetteer and the rule-based relations are deterministic
    assert sum(r["mentions"] for r in payload["mentions"]) == watch["mentions_created"] == 59
    assert {r["type"]: r["mentions"] for r in payload["mentions"]} == {
        "Symptom": 17, "Drug": 13, "Disease": 14, "LabTest": 10, "ImagingExam": 5}
    assert payload["stats"]["labels"]["RelationMention"] == 32
    assert payload["stats"]["relationships_total"] == 363  # 145 from the KG + record-derived ones + provenance
    negated = payload["negated"]  # emr-0002's 无头痛、头晕: denied, so no evidence for the KG's 脑梗死 -> 头晕
    assert (negated["record"], negated["text"], negated["certainty"], negated["cue"]) == (
        "medkg-sample/emr-0002", "头晕", "negated", "无")
    assert negated["positive_relation_mentions"] == 0
    assert negated["facts"] == [{"head": "脑梗死", "type": "HAS_SYMPTOM", "tail": "头晕", "record_count": 0,
                                 "sources": ["medkg-sample"], "from_this_record": 0}]
    trace = payload["trace"]
    assert trace["record"].startswith("medkg-sample/emr-") and trace["run"] in watch["runs"]
    assert trace["ner_extractor"] == "gazetteer-ner@1" and trace["relation_extractor"] == "cooccurrence-relations@1"
    query = payload["query"]  # the demo ends with one library query, as medkg query runs it
    disease = query["command"].rsplit("=", 1)[1]
    assert query["command"].startswith("medkg query top_treatments --param disease=Disease:")
    assert query["rows"] and all(r["records"] >= 1 and r["type"] == "Drug" for r in query["rows"])
    code, same = invoke_json("query", "top_treatments", "--param", f"disease={disease}", "--limit", "5")
    assert code == 0 and same["rows"] == query["rows"]
    code, again = invoke_json("demo")  # idempotent: nothing new the second time
    assert code == 0 and again["ingest"]["unchanged"] == 8 and again["watch"]["done"] == 0
    assert not again["embedding"]["trained"] and again["stats"] == payload["stats"]
    shown = runner.invoke(app, ["demo"])  # the human form prints the negated mention and what it did not add
    assert shown.exit_code == 0, shown.output
    assert "one negated mention: '头晕' (Symptom:头晕) in medkg-sample/emr-0002" in shown.output
    assert "(脑梗死)-[:HAS_SYMPTOM]->(头晕): 0 record(s) of evidence, 0 from this record" in shown.output
    # --clean takes it all back: records, facts, runs, the plugins it registered, its TransE run, its KG
    code, removed = invoke_json("demo", "--clean")
    assert code == 0 and (removed["records"], removed["mentions"], removed["relation_mentions"]) == (8, 59, 32)
    assert (removed["extractors"], removed["embedding_runs"], removed["kg_sources"]) == (4, 1, 1)
    assert removed["concepts_removed"] == 125 and removed["runs"] == len(watch["runs"])
    assert client.read("internal/dump_graph_nodes") == empty
    assert client.read("internal/dump_graph_relationships") == []
    code, again = invoke_json("demo", "--clean")
    assert code == 0 and not any(again.values())


def test_demo_asks_before_writing_next_to_other_data(client: GraphClient, neo4j_env: ConnectionInfo,
                                                     sample_dir: Path, monkeypatch) -> None:
    code, _ = invoke_json("kg", "load", str(sample_dir / "kg.tsv"), "--format", "triples", "--source", "mine")
    assert code == 0
    nodes = client.read("internal/dump_graph_nodes")
    code, payload = invoke_json("demo")  # not a terminal, no --yes: refused, nothing written
    assert code == 2
    assert "already holds other data (concepts: 125, kg sources: 1)" in payload["error"]
    assert "Nothing was written; pass --yes" in payload["error"]
    assert client.read("internal/dump_graph_nodes") == nodes
    monkeypatch.setattr("app.cli.demo._interactive", lambda: True)
    result = runner.invoke(app, ["demo"], input="n\n")  # a terminal: asked, and the answer is no
    assert result.exit_code == 1 and "Write the demo's data there?" in result.output
    assert "nothing was written" in result.output
    assert client.read("internal/dump_graph_nodes") == nodes


def test_db_init_applies_schema(client: GraphClient, neo4j_env: ConnectionInfo) -> None:
    code, payload = invoke_json("db", "init")
    assert code == 0 and payload["statements"] >= 12


def test_db_status_of_a_stopped_server(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEDKG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MEDKG_NEO4J_PORT", "7999")
    code, payload = invoke_json("db", "status")
    assert code == 0
    assert payload["running"] is False and payload["pid"] is None
    assert payload["data_dir"] == str(tmp_path / "home" / "neo4j" / "data")
    assert payload["port"] == 7999
