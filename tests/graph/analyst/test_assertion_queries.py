"""What the records assert, through the analysts' queries: by default the patient's affirmed findings only.

The sample records deny findings (emr-0002: 无头痛、头晕。否认高血压、糖尿病病史; emr-0005: 无胸痛) and give
one to a relative (emr-0005: 其父有高血压病史). A graph processed before the assertion step (no
``context-assertion``) counts every mention as ``unknown``, says how many, and is re-processed by
requeueing its DONE records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from analyst_helpers import build_processed_graph, watch_once

from app.report import write_report
from graph.analyst.library import QueryResult, run_library_query
from graph.db.connection import GraphClient
from graph.watch.claims import requeue_records
from graph.watch.plugins import register_plugin

ANY = {"certainty": "any", "experiencer": "any", "temporality": "any"}


def run(client: GraphClient, name: str, **params: Any) -> QueryResult:
    return run_library_query(client, name, params)


def records_of(client: GraphClient, disease: str, **params: Any) -> int:
    rows = run(client, "diseases_by_records", limit=100, **params).rows
    return next((r["records"] for r in rows if r["disease"] == disease), 0)


@pytest.fixture
def asserted(client: GraphClient) -> GraphClient:
    return build_processed_graph(client)


def test_records_that_deny_a_disease_are_not_its_records(asserted: GraphClient):
    client = asserted
    result = run(client, "records_mentioning", concepts=["Disease:糖尿病"])
    assert [r["record"] for r in result.rows] == ["emr-0001"] and result.unasserted == 0 and result.note is None
    denied = run(client, "records_mentioning", concepts=["Disease:糖尿病"], certainty="negated").rows
    assert [r["record"] for r in denied] == ["emr-0002"]
    [mention] = denied[0]["mentions"]
    assert (mention["text"], mention["certainty"], mention["experiencer"]) == ("糖尿病", "negated", "patient")
    assert "否认" in mention["cue"].split(";")

    # 高血压: emr-0001 has it (既往…病史: historical, and 诊断：…高血压: current), emr-0002 denies it, emr-0005's
    # father has it
    assert records_of(client, "Disease:高血压") == 1
    assert records_of(client, "Disease:高血压", temporality="historical") == 1
    assert records_of(client, "Disease:高血压", temporality="hypothetical") == 0
    assert records_of(client, "Disease:高血压", experiencer="family") == 1
    assert records_of(client, "Disease:高血压", certainty="negated") == 1
    assert records_of(client, "Disease:高血压", **ANY) == 3


def test_findings_and_pertinent_negatives_of_a_disease(asserted: GraphClient):
    client = asserted
    present = {r["name"] for r in run(client, "disease_findings", disease="Disease:脑梗死").rows}
    assert "头晕" not in present and "言语不清" in present
    absent = {r["name"]: r for r in run(client, "disease_findings", disease="Disease:脑梗死",
                                         certainty="negated").rows}
    assert "头晕" in absent and absent["头晕"]["kg_has_symptom"]

    negatives = {r["name"]: r for r in run(client, "pertinent_negatives", disease="Disease:脑梗死").rows}
    assert {"头晕", "头痛", "高血压", "糖尿病"} <= set(negatives)
    dizzy = negatives["头晕"]
    assert (dizzy["absent_records"], dizzy["present_records"], dizzy["records"], dizzy["absent_share"]) == (
        1, 0, 1, 1.0)
    assert dizzy["kg_has_symptom"]  # the KG lists 头晕 as a symptom of 脑梗死; this record rules it out
    pneumonia = {r["name"] for r in run(client, "pertinent_negatives", disease="Disease:社区获得性肺炎").rows}
    assert pneumonia == {"胸痛"}
    assert run(client, "pertinent_negatives", disease="Disease:糖尿病").rows == []


def test_negated_findings_add_no_evidence_and_counts_split_by_assertion(asserted: GraphClient):
    client = asserted
    # 头晕 is denied in emr-0002: the KG's (脑梗死)-[:HAS_SYMPTOM]->(头晕) gains no record, only a pertinent negative
    key = "Disease:脑梗死|HAS_SYMPTOM|Symptom:头晕"
    assert run(client, "trace_record_fact", fact_key=key).rows == []  # no evidence
    [negative] = run(client, "trace_record_fact", fact_key=key, polarity="negative").rows
    assert (negative["record"], negative["object"], negative["polarity"]) == ("emr-0002", "头晕", "negative")
    assert not negative["record_count"] and negative["sources"] == ["sample"]  # the KG's fact, no record evidence
    assert len(run(client, "trace_record_fact", fact_key=key, polarity="null").rows) == 1
    spoken = run(client, "mentions_by_type").rows
    every = run(client, "mentions_by_type", **ANY).rows
    assert sum(r["mentions"] for r in spoken) < sum(r["mentions"] for r in every)
    split = run(client, "mentions_by_assertion").rows
    assert sum(r["mentions"] for r in split) == sum(r["mentions"] for r in every)
    by_value: dict[tuple[str, str, str], int] = {}
    for r in split:  # summed over temporality
        key = (r["type"], r["certainty"], r["experiencer"])
        by_value[key] = by_value.get(key, 0) + r["mentions"]
    # 无头痛 (头痛 is a disease and a symptom of the KG: the linker takes the disease), 否认高血压、糖尿病
    assert by_value[("Disease", "negated", "patient")] == 3 and by_value[("Disease", "affirmed", "family")] == 1
    assert by_value[("Symptom", "negated", "patient")] == 2  # 头晕, 胸痛
    assert "unknown" not in {r["certainty"] for r in split}
    assert {r["type"] for r in run(client, "mentions_by_assertion", type="Symptom").rows} == {"Symptom"}


def test_a_graph_processed_before_assertion_says_unknown_until_reprocessed(client: GraphClient, tmp_path: Path):
    build_processed_graph(client, assertion=False)
    result = run(client, "diseases_by_records", limit=100)
    assert result.rows and all(r["records"] == 0 and r["unknown_records"] > 0 for r in result.rows)
    assert result.unasserted > 0 and f"{result.unasserted:,} current mentions have no assertion" in result.note
    assert records_of(client, "Disease:高血压", certainty="unknown") == 3  # what the old queries counted
    assert run(client, "records_mentioning", concepts=["Disease:糖尿病"]).rows == []
    old = [r["record"] for r in run(client, "records_mentioning", concepts=["Disease:糖尿病"],
                                    certainty="unknown").rows]
    assert sorted(old) == ["emr-0001", "emr-0002"]
    split = run(client, "mentions_by_assertion").rows
    assert {r["certainty"] for r in split} == {"unknown"}
    assert "no assertion" not in (run(client, "mentions_by_type", certainty="unknown").note or "")
    negatives = run(client, "pertinent_negatives", disease="Disease:脑梗死")  # never counts unknown ones: says so
    assert negatives.rows == [] and negatives.unasserted == result.unasserted and "no assertion" in negatives.note
    page = Path(write_report(client, tmp_path / "report").path).read_text(encoding="utf-8")
    assert f"{result.unasserted:,} mentions have no assertion" in page

    # docs/analysts.md's re-processing: store the assertion plugin, requeue the DONE records, one watcher cycle
    register_plugin(client, "context-assertion", enable=True)
    assert requeue_records(client, "DONE", None)["requeued"] == 10
    assert watch_once(client) == 10
    after = run(client, "diseases_by_records", limit=100)
    assert after.unasserted == 0 and after.note is None
    assert all(r["unknown_records"] == 0 for r in after.rows)
    assert records_of(client, "Disease:高血压") == 1 and records_of(client, "Disease:糖尿病") == 1
    assert {r["certainty"] for r in run(client, "mentions_by_assertion").rows} == {"affirmed", "negated"}
