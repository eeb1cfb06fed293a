"""The fact page and the overview over HTTP, for a viewer and a curator, on the processed sample graph."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

import pytest
from web_helpers import PASSWORDS, log_in, web_client

from app.web.charts import hbar, lines, stacked
from graph.analyst.library import run_library_query
from graph.db.connection import GraphClient


@pytest.fixture(params=["vera", "carl"], ids=["viewer", "curator"])
def http(request: pytest.FixtureRequest, web_graph: GraphClient):
    client = web_client(web_graph)
    assert log_in(client, request.param, PASSWORDS[request.param]).status_code == 303
    return client


def _record_fact(client: GraphClient) -> dict[str, str]:
    with client.session() as session:
        row = session.run("MATCH (h:Concept)-[r]->(t:Concept) WHERE r.record_count > 0 "
                          "RETURN h.id AS head, type(r) AS type, t.id AS tail ORDER BY r.record_count DESC, head, tail "
                          "LIMIT 1").single()
    assert row is not None
    return dict(row)


def test_pages_need_a_login(web_graph: GraphClient) -> None:
    anonymous = web_client(web_graph)
    for path in ("/overview", "/fact?head=Disease:糖尿病&type=HAS_SYMPTOM&tail=Symptom:多饮"):
        answer = anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=/"), path


def test_a_fact_page_shows_every_span_and_the_rule_step_by_step(http, web_graph: GraphClient) -> None:
    fact = _record_fact(web_graph)
    page = http.get("/fact", params=fact)
    assert page.status_code == 200, page.text[:500]
    trace = run_library_query(web_graph, "trace_record_fact", {"fact_key": "|".join(fact.values()), "limit": 500})
    assert trace.rows
    for row in trace.rows:
        assert f"/record?id={row['record']}" in page.text
        assert html.escape(row["subject"]) in page.text and html.escape(row["object"]) in page.text
        assert row["relation_extractor"] in page.text
    assert page.text.count('class="m role-subject"') >= len(trace.rows)
    stored = f"{trace.rows[0]['confidence']:.4f}"
    assert page.text.count(stored) >= 2  # recomputed and stored, side by side
    assert "≠" not in page.text


def test_the_concept_and_record_pages_link_to_the_fact(http, web_graph: GraphClient) -> None:
    fact = _record_fact(web_graph)
    concept = http.get("/concept", params={"id": fact["head"]})
    links = [html.unescape(x) for x in re.findall(r'href="(/fact\?[^"]+)"', concept.text)]
    assert links and all(http.get(link).status_code == 200 for link in links[:5])
    record = run_library_query(web_graph, "trace_record_fact", {"fact_key": "|".join(fact.values())}).rows[0]["record"]
    assert "/fact?head=" in http.get("/record", params={"id": record}).text


def test_unknown_or_malformed_facts_are_a_404_page(http, web_graph: GraphClient) -> None:
    fact = _record_fact(web_graph)
    for params in ({**fact, "type": "NOT_A_TYPE"}, {**fact, "tail": "Symptom:no-such"}, {**fact, "head": "x" * 2000},
                   {"head": fact["head"]}, {**fact, "type": "HAS_SYMPTOM') DETACH DELETE n //"}):
        answer = http.get("/fact", params=params)
        assert answer.status_code == 404 and "Traceback" not in answer.text, params


def test_the_overview_draws_the_report_sections_from_the_live_graph(http, web_graph: GraphClient) -> None:
    page = http.get("/overview")
    assert page.status_code == 200, page.text[:500]
    concepts = {r["label"]: r["count"] for r in run_library_query(web_graph, "count_labels", {}).rows}["Concept"]
    assert f"<b>{concepts:,}</b>" in page.text
    assert page.text.count("<svg") >= 3 and "style=" not in page.text
    diseases = run_library_query(web_graph, "diseases_by_records", {}).rows
    for disease in diseases[:3]:
        chosen = http.get("/overview", params={"disease": disease["disease"]})
        assert chosen.status_code == 200 and html.escape(disease["name"]) in chosen.text
    assert http.get("/overview", params={"disease": "Disease:no-such"}).status_code == 404


def test_charts_escape_labels_and_use_no_style_attribute() -> None:
    hostile = '<script>alert(1)</script>"'
    for svg in (hbar([hostile], [2], title=hostile), stacked([hostile], {hostile: [1]}, title="t"),
                lines([1, 2], {hostile: [0, 3]}, title="t", x_label=hostile)):
        assert "<script>" not in svg and "&lt;script&gt;" in svg and "style=" not in svg


def test_a_disease_page_shows_treatments_findings_and_the_embedding_note(http, web_graph: GraphClient) -> None:
    disease = run_library_query(web_graph, "diseases_by_records", {}).rows[0]
    page = http.get("/concept", params={"id": disease["disease"]})
    assert page.status_code == 200
    findings = run_library_query(web_graph, "disease_findings", {"disease": disease["disease"], "limit": 10}).rows
    assert findings
    for row in findings:
        assert f"/concept?id={row['concept']}" in unquote(html.unescape(page.text))
    assert "medkg embed" in page.text  # the sample graph has no vectors: the page says how to get them
