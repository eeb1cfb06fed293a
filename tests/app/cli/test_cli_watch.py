"""``medkg ingest``, ``medkg plugins``, ``medkg watch`` and ``medkg embed import``, in-process through NEO4J_URI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cli_helpers import invoke_json
from typer.testing import CliRunner

from app.cli import app
from extractor.kge_quick import KgVectors, save_kg_vectors
from graph.db.connection import ConnectionInfo, GraphClient
from graph.kg.loader import LoadConfig, load_kg
from graph.watch.claims import adopt_new, claim_batch
from graph.watch.config import WatchConfig
from graph.watch.plugins import register_plugin

runner = CliRunner()
REPO = Path(__file__).resolve().parents[3]


def test_ingest_plugins_watch_status_requeue(client: GraphClient, neo4j_env: ConnectionInfo, tmp_path: Path) -> None:
    load_kg(client, REPO / "data/sample/kg.tsv", LoadConfig(format="triples", source="sample"))
    code, ingested = invoke_json("ingest", str(REPO / "data/sample/emr.jsonl"), "--format", "ccks")
    assert code == 0 and ingested["created"] == 8
    code, again = invoke_json("ingest", str(REPO / "data/sample/emr.jsonl"), "--format", "ccks")
    assert code == 0 and again["unchanged"] == 8
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "胃痛"}\n{"id": "y"}\n', encoding="utf-8")
    code, error = invoke_json("ingest", str(bad))
    assert code == 2 and f"{bad}:2 field 'text': text is missing" in error["error"]
    code, error = invoke_json("ingest", str(bad), "--format", "xml")
    assert code == 2 and "--format" in error["error"]

    code, listed = invoke_json("plugins", "list")
    assert code == 0 and listed["extractors"] == [] and len(listed["installed"]) >= 4
    for name in ("gazetteer-ner", "kg-linker", "cooccurrence-relations"):
        code, stored = invoke_json("plugins", "register", name, "--enable")
        assert code == 0 and stored["enabled"] and stored["id"] == f"{name}@1"
        # the first --enable on a graph without an assertion plugin stores the default one too
        assert stored.get("also_enabled") == (["context-assertion@1"] if name == "gazetteer-ner" else None)
    code, error = invoke_json("plugins", "register", "gazetteer-ner", "--config", "{not json")
    assert code == 2 and "--config is not JSON" in error["error"]
    code, error = invoke_json("plugins", "register", "gazetteer-ner", "--config", '{"a": "open')
    assert code == 2 and "starting at column" in error["error"] and "at at" not in error["error"]
    code, error = invoke_json("plugins", "register", "cbt-kg-tagger", "--model", str(tmp_path))
    assert code == 2 and "not a tagger checkpoint" in error["error"]
    code, error = invoke_json("plugins", "register", "entity-marker-relations", "--model", str(tmp_path))
    assert code == 2 and "incomplete relation checkpoint, missing config.json" in error["error"]
    code, error = invoke_json("plugins", "register", "kg-linker", "--model", str(tmp_path))
    assert code == 2 and ("--model is for cbt-kg-tagger, entity-marker-relations and learned-assertion, "
                          "not kg-linker") in error["error"]
    code, shown = invoke_json("plugins", "show", "kg-linker")
    assert code == 0 and shown["config"] == {"cache_size": 100_000, "nil_threshold": None, "link_nil": True}
    code, disabled = invoke_json("plugins", "disable", "cooccurrence-relations@1")
    assert code == 0 and not disabled["enabled"]
    code, error = invoke_json("plugins", "enable", "nope")
    assert code == 2 and "no extractor 'nope'" in error["error"]

    code, cycle = invoke_json("watch", "--once", "--batch-size", "3", "--device", "cpu")
    assert code == 0 and cycle["done"] == 8 and cycle["relations_changed"] == 0
    assert cycle["extractors"] == ["gazetteer-ner@1", "context-assertion@1", "kg-linker@1"]
    code, error = invoke_json("watch", "--once", "--interval", "5")
    assert code == 2 and "exactly one of --once" in error["error"]
    code, error = invoke_json("watch", "--once", "--batch-size", "0")  # checked by WatchConfig, its one home
    assert code == 2 and "invalid option --batch-size" in error["error"]
    code, error = invoke_json("watch", "--once", "--device", "tpu")
    assert code == 2 and "invalid option --device" in error["error"]
    shown = runner.invoke(app, ["watch", "--help"], env={"COLUMNS": "200"}).output
    for option, field in (("--batch-size", "batch_size"), ("--max-attempts", "max_attempts"),
                          ("--lease-seconds", "lease_seconds"), ("--backoff-seconds", "backoff_seconds")):
        line = next(x for x in shown.splitlines() if option in x)  # the default shown is WatchConfig's
        assert f"[default: {WatchConfig.model_fields[field].default}]" in line, line
    code, status = invoke_json("watch", "status")
    assert code == 0 and status["records"]["DONE"] == 8 and status["runs"][0]["status"] == "done"
    assert {x["id"]: x["enabled"] for x in status["extractors"]}["cooccurrence-relations@1"] is False
    code, requeued = invoke_json("watch", "requeue", "--status", "DONE", "--id", "emr-0001")
    assert code == 0 and requeued["requeued"] == 1
    code, error = invoke_json("watch", "requeue", "--status", "NEW")
    assert code == 2 and "--status must be FAILED, DONE or INVALID" in error["error"]


def test_watch_status_lists_invalid_records_and_open_runs_with_whole_ids(
        client: GraphClient, neo4j_env: ConnectionInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli.common import out

    load_kg(client, REPO / "data/sample/kg.tsv", LoadConfig(format="triples", source="sample"))
    for name in ("gazetteer-ner", "kg-linker"):
        register_plugin(client, name, enable=True)
    with client.session() as session:  # another client's writes, two of them malformed
        session.run("UNWIND range(1, 4) AS i CREATE (:EMR {id: 'r' + toString(i), text: '诊断糖尿病。'})").consume()
        session.run("CREATE (:EMR {text: '患者发热'}), (:EMR {id: 42, text: '糖尿病'})").consume()
    code, cycle = invoke_json("watch", "--once", "--device", "cpu")
    assert code == 0 and (cycle["done"], cycle["invalid"]) == (4, 2)
    with client.session() as session:
        session.run("CREATE (:EMR {id: 'late', text: '糖尿病'})").consume()
    adopt_new(client)
    worker = "a-worker-on-a-machine-with-a-long-host-name.example.org:123456/7"
    held = claim_batch(client, WatchConfig(worker=worker, lease_seconds=600), [])  # a worker still at work

    code, status = invoke_json("watch", "status")
    assert code == 0 and status["records"]["INVALID"] == 2 and status["invalid"]["count"] == 2
    assert sorted(r["error"] for r in status["invalid"]["first"]) == [
        "id is an integer (42), expected a string", "id is missing"]
    assert [(r["id"], r["worker"], r["holding"]) for r in status["open_runs"]] == [(held.run_id, worker, 1)]
    assert status["open_runs"][0]["age_seconds"] >= 0 and not status["open_runs"][0]["lease_expired"]

    monkeypatch.setattr(out, "width", 80)  # a narrow terminal: tables used to cut ids with an ellipsis
    human = runner.invoke(app, ["watch", "status"])
    assert human.exit_code == 0, human.output
    assert human.stdout.count(held.run_id) == 2 and worker in human.stdout and "…" not in human.stdout
    assert "2 INVALID records" in human.stdout and "text '患者发热': id is missing" in human.stdout

    code, requeued = invoke_json("watch", "requeue", "--status", "INVALID")
    assert code == 0 and requeued == {"requeued": 0, "skipped": 2, "status": "INVALID"}


def test_embed_import_of_a_vector_file(client: GraphClient, neo4j_env: ConnectionInfo, tmp_path: Path) -> None:
    load_kg(client, REPO / "data/sample/kg.tsv", LoadConfig(format="triples", source="sample"))
    path = tmp_path / "v.npz"
    save_kg_vectors(KgVectors({"Disease:糖尿病": np.ones(3, np.float32), "Disease:不在图里": np.ones(3, np.float32)},
                              "file-run-1"), path)
    code, summary = invoke_json("embed", "import", str(path))
    assert code == 0 and (summary["run_id"], summary["vectors"], summary["written"]) == ("file-run-1", 2, 1)
    code, runs = invoke_json("embed", "runs")
    assert code == 0 and runs["runs"][0]["id"] == "file-run-1" and runs["runs"][0]["status"] == "done"
    (tmp_path / "bad.npz").write_bytes(b"not a numpy file")
    code, error = invoke_json("embed", "import", str(tmp_path / "bad.npz"))
    assert code == 2 and "bad.npz" in error["error"]


def test_demo_reports_an_unloadable_stored_plugin(client: GraphClient, neo4j_env: ConnectionInfo) -> None:
    with client.session() as session:
        session.run("CREATE (:Extractor {id: 'gone@1', name: 'gone', version: '1', kind: 'ner', "
                    "entry_point: 'gone:Plugin', config: '{}', enabled: true})").consume()
    code, error = invoke_json("demo")
    assert code == 1 and "'gone@1' is stored in the graph but not installed here" in error["error"]
