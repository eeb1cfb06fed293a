"""The analysts' query library and ``medkg query``: every file on a real graph, read-only by the server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from analyst_helpers import build_processed_graph, graph_digest

from graph.analyst.library import (
    QueryError,
    QueryParamError,
    QueryRefusedError,
    coerce_params,
    get_spec,
    library,
    parse_header,
    run_cypher,
    run_library_query,
)
from graph.db.connection import GraphClient
from graph.db.queries import CypherFileError
from graph.kg.loader import LoadConfig, load_kg

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def analysed(client: GraphClient) -> GraphClient:
    return build_processed_graph(client)


def test_every_library_file_has_a_valid_header():
    specs = library()
    assert {"top_treatments", "disease_findings", "records_mentioning", "trace_record_fact",
            "record_relations_not_in_kg", "kg_relations_unsupported", "mentions_by_month", "concept_neighbours",
            "nil_queue", "run_coverage"} <= set(specs)
    for spec in specs.values():
        assert spec.description and spec.columns, spec.name
        for p in spec.params:
            assert p.help, (spec.name, p.name)
    top = get_spec("top_treatments")
    assert [(p.name, p.type, p.required) for p in top.params] == [
        ("disease", "concept", True), ("certainty", "list[certainty]", False),
        ("experiencer", "list[experiencer]", False), ("temporality", "list[temporality]", False),
        ("limit", "int", False)]
    for name in ("diseases_by_records", "disease_findings", "top_treatments", "records_mentioning", "mentions_by_type",
                 "mentions_by_month"):  # every query that counts records filters by assertion, by default the patient's
        defaults = {p.name: p.default for p in get_spec(name).params}
        assert (defaults["certainty"], defaults["experiencer"], defaults["temporality"]) == (
            ["affirmed"], ["patient"], ["current", "historical"]), name
    with pytest.raises(QueryError, match="no query 'nope' in the library; one of: .*top_treatments"):
        get_spec("nope")


@pytest.mark.parametrize(("header", "error"), [
    ("// x\n// @param a: integer  help\n// @returns n\nRETURN $a AS n", "unknown type 'integer'"),
    ("// x\n// @param a int\n// @returns n\nRETURN $a AS n", "expected '@param NAME: TYPE"),
    ("// x\n// @param a: int = nope  help\n// @returns n\nRETURN $a AS n", "not a JSON literal"),
    ("// x\n// @param a: int = null  help\n// @returns n\nRETURN $a AS n", "defaults to null but its type has no '?'"),
    ("// x\n// @param a: int  help\nRETURN $a AS n", "no '// @returns' line"),
    ("// x\n// @param a: int  help\n// @returns n\nRETURN $a + $b AS n", r"declares \['a'\] but the statement uses"),
    ("// x\n// @colour red\n// @returns n\nRETURN 1 AS n", "unknown header tag '@colour'"),
])
def test_bad_headers_are_refused_with_the_line(header, error):
    with pytest.raises(CypherFileError, match=error):
        parse_header("analyst/bad", header)


def test_parameters_are_validated_against_the_header():
    spec = get_spec("records_mentioning")
    assert coerce_params(spec, {"concepts": "Disease:糖尿病,Drug:二甲双胍"}) == {
        "concepts": ["Disease:糖尿病", "Drug:二甲双胍"], "limit": 50, "certainty": ["affirmed"],
        "experiencer": ["patient"], "temporality": ["current", "historical"]}
    assert coerce_params(spec, {"concepts": '["a","b"]', "limit": "3", "certainty": "negated,possible",
                                "experiencer": "any"}) == {
        "concepts": ["a", "b"], "limit": 3, "certainty": ["negated", "possible"],
        "experiencer": ["patient", "family", "other", "unknown"], "temporality": ["current", "historical"]}
    with pytest.raises(QueryParamError, match="parameter 'certainty': 'denied' is not a certainty; give one or more "
                                              "of affirmed, negated, possible, unknown, or 'any'"):
        coerce_params(spec, {"concepts": "a", "certainty": "affirmed,denied"})
    with pytest.raises(QueryParamError, match="parameter 'temporality': 'an empty list' is not a temporality"):
        coerce_params(spec, {"concepts": "a", "temporality": []})
    with pytest.raises(QueryParamError, match="needs parameter 'concepts' \\(list\\[concept\\]\\)"):
        coerce_params(spec, {})
    with pytest.raises(QueryParamError, match="parameter 'limit' must be int, got '3.5'"):
        coerce_params(spec, {"concepts": "a", "limit": "3.5"})
    with pytest.raises(QueryParamError, match="has no parameter 'disease'; its parameters: concepts, certainty, "
                                              "experiencer, temporality, limit"):
        coerce_params(spec, {"concepts": "a", "disease": "x"})
    with pytest.raises(QueryParamError, match="parameter 'limit' \\(int\\) cannot be null"):
        coerce_params(spec, {"concepts": "a", "limit": "null"})
    nil = get_spec("nil_queue")
    assert coerce_params(nil, {"type": "null"})["type"] is None
    with pytest.raises(QueryParamError, match="must be int, got True"):
        coerce_params(nil, {"limit": True})


def test_library_queries_on_a_processed_graph(analysed: GraphClient):
    client = analysed

    def rows(name: str, **params: Any) -> list[dict[str, Any]]:
        result = run_library_query(client, name, params)
        assert result.columns == list(get_spec(name).columns) and not result.truncated
        return result.rows

    top = rows("top_treatments", disease="Disease:糖尿病")
    assert [(r["treatment"], r["type"], r["records"], r["kg_common"], r["kg_recommends"]) for r in top] == [
        ("Drug:二甲双胍", "Drug", 1, True, False)]
    stroke = {r["treatment"]: r for r in rows("top_treatments", disease="Disease:脑梗死")}
    assert set(stroke) == {"Drug:阿司匹林", "Drug:氯吡格雷"}
    assert stroke["Drug:氯吡格雷"]["kg_recommends"] and stroke["Drug:阿司匹林"]["kg_common"]
    with pytest.raises(QueryParamError, match="parameter 'disease': no concept has the id 'Disease:no such disease'"):
        rows("top_treatments", disease="Disease:no such disease")
    with pytest.raises(QueryParamError, match="no concept has the id '糖尿病'; did you mean 'Disease:糖尿病'\\?"):
        rows("top_treatments", disease="糖尿病")

    findings = rows("disease_findings", disease="Disease:糖尿病")
    assert findings and all(r["records"] == 1 and r["share"] == 1.0 for r in findings)
    texts = {r["name"] for r in findings}
    assert {"空腹血糖", "糖化血红蛋白"} <= texts, texts
    drugs = rows("disease_findings", disease="Disease:糖尿病", types=["Drug"])
    assert [(r["concept"], r["records"], r["kg_has_symptom"]) for r in drugs] == [
        ("Drug:二甲双胍", 1, False), ("Drug:氨氯地平", 1, False)]  # emr-0001 also treats its hypertension

    both = rows("records_mentioning", concepts=["Disease:糖尿病", "Drug:二甲双胍"])
    assert [r["record"] for r in both] == ["emr-0001"]
    assert {(m["concept"], m["text"]) for m in both[0]["mentions"]} == {("Disease:糖尿病", "糖尿病"),
                                                                       ("Drug:二甲双胍", "二甲双胍")}
    text = run_cypher(client, "MATCH (e:EMR {id: 'emr-0001'}) RETURN e.text AS t").rows[0]["t"]
    assert all(text[m["start"]:m["end"]] == m["text"] for m in both[0]["mentions"])
    assert rows("records_mentioning", concepts=["Disease:糖尿病", "Disease:脑梗死"]) == []
    with pytest.raises(QueryParamError, match="parameter 'concepts': no concept has the id 'Drug:not in the graph'"):
        rows("records_mentioning", concepts=["Disease:糖尿病", "Drug:not in the graph"])

    trace = rows("trace_record_fact", fact_key="Disease:糖尿病|TREATED_WITH|Drug:二甲双胍")
    assert [(r["record"], r["subject"], r["object"], r["relation_extractor"]) for r in trace] == [
        ("emr-0001", "糖尿病", "二甲双胍", "cooccurrence-relations@1")]

    added = rows("record_relations_not_in_kg", type="TREATED_WITH")
    assert ("Disease:糖尿病", "Drug:二甲双胍") in {(r["head"], r["tail"]) for r in added}
    assert all(r["type"] == "TREATED_WITH" and r["extractors"] == ["cooccurrence-relations@1"] for r in added)
    assert rows("record_relations_not_in_kg", min_records=2) == []

    unsupported = rows("kg_relations_unsupported", type="HAS_SYMPTOM")
    for r in unsupported:
        assert r["common_records"] >= 1 and r["sources"] == ["sample"]
    supported = {(r["head"], r["tail"]) for r in rows("record_relations_not_in_kg", limit=500)}
    assert not supported & {(r["head"], r["tail"]) for r in unsupported}

    months = rows("mentions_by_month")
    total = sum(r["mentions"] for r in months)
    assert total == sum(r["mentions"] for r in rows("mentions_by_type"))
    assert all(len(r["month"]) == 7 and r["month"][4] == "-" for r in months)
    assert {r["type"] for r in rows("mentions_by_month", type="Drug")} == {"Drug"}

    nil = rows("nil_queue")
    assert [(r["name"], r["type"], r["mentions"], r["records"], sorted(r["examples"])) for r in nil] == [
        ("蜗鸣音样不适", "Symptom", 2, 2, ["odd-1", "odd-2"])]
    assert rows("nil_queue", type="Drug") == []

    coverage = rows("run_coverage")
    assert len(coverage) == 3 and sum(r["done"] for r in coverage) == 10
    assert all(r["status"] == "done" and r["seconds"] > 0 and r["records_per_s"] > 0 and len(r["extractors"]) == 5
               for r in coverage)
    every = sum(r["mentions"] for r in rows("mentions_by_type", certainty="any", experiencer="any", temporality="any"))
    assert sum(r["mentions"] for r in coverage) == every > total  # the sample denies some findings


def test_nearest_concepts_by_the_vector_index(client: GraphClient):
    from embeddings.config import KGEConfig
    from graph.kge.workflow import train_graph_embeddings

    load_kg(client, REPO / "data" / "sample" / "kg.tsv", LoadConfig(format="triples", source="sample"))
    train_graph_embeddings(client, KGEConfig(model="TransE", dim=8, epochs=2, seed=1))
    near = run_library_query(client, "concept_neighbours", {"id": "Disease:糖尿病", "k": "3"}).rows
    exact = run_library_query(client, "concept_neighbours_scan", {"id": "Disease:糖尿病", "k": "3"}).rows
    assert len(near) == 3 and "Disease:糖尿病" not in {r["id"] for r in near}
    assert all(0.0 <= r["score"] <= 1.0 for r in near)
    assert [r["id"] for r in near][0] == [r["id"] for r in exact][0]


WRITES = [
    "CREATE (:Intruder {x: 1})",
    "MERGE (c:Concept {id: 'Disease:糖尿病'}) SET c.name = 'changed'",
    "MATCH (c:Concept) SET c.pwned = true",
    "MATCH (c:Concept) DETACH DELETE c",
    "MATCH (c:Concept) WITH c LIMIT 1 CALL (c) { CREATE (c)-[:X]->(:Intruder) } RETURN count(*) AS n",
    "MATCH (c:Concept) REMOVE c.name",
]


def test_the_server_refuses_every_write_and_the_graph_is_unchanged(analysed: GraphClient):
    before = graph_digest(analysed)
    for statement in WRITES:
        with pytest.raises(QueryRefusedError, match="refused: the server plans it as a statement that .*writes"):
            run_cypher(analysed, statement)
    assert graph_digest(analysed) == before


def test_ad_hoc_errors_limits_and_timeouts(analysed: GraphClient):
    with pytest.raises(QueryError, match="Cypher syntax error"):
        run_cypher(analysed, "MATCH (n RETURN n")
    with pytest.raises(QueryError, match="--cypher is empty"):
        run_cypher(analysed, "  ")
    cut = run_cypher(analysed, "UNWIND range(1, 10) AS x RETURN x", row_limit=4)
    assert cut.truncated and [r["x"] for r in cut.rows] == [1, 2, 3, 4] and "first 4 rows" in cut.note
    whole = run_cypher(analysed, "UNWIND range(1, 4) AS x RETURN x", row_limit=4)
    assert not whole.truncated and whole.note is None
    with pytest.raises(QueryError, match="timeout"):
        run_cypher(analysed, "UNWIND range(1, 100000000) AS x WITH x WHERE x % 7 = 3 RETURN count(*) AS n",
                   timeout=0.5)
    nodes = run_cypher(analysed, "MATCH (c:Concept {id: $id}) RETURN c", {"id": "Disease:糖尿病"}).rows
    assert nodes[0]["c"]["labels"] == ["Concept", "Disease"] and nodes[0]["c"]["properties"]["name"] == "糖尿病"


def test_diseases_are_ranked_by_records_then_treatments(client: GraphClient):
    """The header says 'ranked by the number of records': a disease in more records comes first."""
    with client.session() as session:
        session.run("""
            CREATE (many:Concept:Disease {id: 'Disease:多', name: '多'})
            CREATE (few:Concept:Disease {id: 'Disease:少', name: '少'})
            CREATE (d1:Concept:Drug {id: 'Drug:甲', name: '甲'}), (d2:Concept:Drug {id: 'Drug:乙', name: '乙'})
            CREATE (few)-[:TREATED_WITH {record_count: 1}]->(d1), (few)-[:TREATED_WITH {record_count: 1}]->(d2)
            WITH many, few
            UNWIND [['r1', many], ['r2', many], ['r3', many], ['r4', few]] AS pair
            WITH pair[0] AS rid, pair[1] AS disease
            CREATE (:EMR {id: rid})-[:HAS_MENTION]->(:Mention {id: rid + '#m', record_id: rid, current: true,
                                                              certainty: 'affirmed', experiencer: 'patient',
                                                              temporality: 'current'})
                   -[:REFERS_TO {current: true}]->(disease)
        """).consume()
    rows = run_library_query(client, "diseases_by_records").rows
    assert [(r["disease"], r["records"], r["unknown_records"], r["treatments"]) for r in rows] == [
        ("Disease:多", 3, 0, 0), ("Disease:少", 1, 0, 2)]


@pytest.mark.parametrize("text", ["糖尿病(", '"糖尿病', "糖尿病 AND", "[糖尿病"])
def test_a_stray_lucene_character_gets_a_plain_answer(analysed: GraphClient, text: str):
    with pytest.raises(QueryParamError, match="not valid full-text \\(Lucene\\) syntax") as caught:
        run_library_query(analysed, "find_concepts", {"query": text})
    assert "java" not in str(caught.value).lower() and "ParseException" not in str(caught.value)
    assert run_library_query(analysed, "find_concepts", {"query": "糖尿病"}).rows
