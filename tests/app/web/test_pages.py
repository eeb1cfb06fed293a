"""The reading pages over HTTP, for a viewer and a curator, on the processed sample graph (a real Neo4j)."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

import pytest
from web_helpers import HOSTILE, PASSWORDS, csrf_of, log_in, web_client

from graph.db.connection import GraphClient


@pytest.fixture(params=["vera", "carl"], ids=["viewer", "curator"])
def http(request: pytest.FixtureRequest, web_graph: GraphClient):
    client = web_client(web_graph)
    assert log_in(client, request.param, PASSWORDS[request.param]).status_code == 303
    return client


def test_every_page_needs_a_login(web_graph: GraphClient) -> None:
    anonymous = web_client(web_graph)
    for path in ("/", "/search?q=糖尿病", "/concept?id=Disease:糖尿病", "/record?id=emr-0001"):
        answer = anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=/"), path
    assert anonymous.get("/login").status_code == 200
    assert anonymous.get("/static/medkg.css").status_code == 200


def hits(page) -> list[str]:
    """The concept ids of a search page's result table, in order."""
    assert page.status_code == 200, page.text[:500]
    return [unquote(x) for x in re.findall(r'<td><a href="/concept\?id=([^"]+)">', page.text)]


def test_search_ranks_the_exact_name_first_and_shows_type_sources_records(http) -> None:
    page = http.get("/search", params={"q": "糖尿病"})
    assert hits(page)[:2] == ["Disease:糖尿病", "Disease:糖尿病肾病"]
    row = page.text[page.text.index('<td><a href="/concept?id=Disease%3A%E7%B3%96%E5%B0%BF%E7%97%85">'):]
    row = row[:row.index("</tr>")]
    assert "疾病" in row and "sample" in row and '<td class="num">3</td>' in row  # type, source, 3 records
    assert hits(http.get("/search", params={"q": "糖尿病", "type": "Drug"})) == []


@pytest.mark.parametrize(("typo", "meant"), [("糖尿兵", "Disease:糖尿病"), ("阿斯匹林", "Drug:阿司匹林")])
def test_search_finds_a_typo_through_the_linker(http, typo: str, meant: str) -> None:
    assert hits(http.get("/search", params={"q": typo}))[0] == meant


def test_search_refuses_empty_and_overlong_text(http) -> None:
    for q in ("", "   ", "糖" * 101):
        page = http.get("/search", params={"q": q})
        assert page.status_code == 400 and 'class="error"' in page.text, q
    assert http.get("/search", params={"q": "糖", "type": "Nonsense"}).status_code == 400


def test_concept_page_groups_facts_and_counts_assertions(http) -> None:
    page = http.get("/concept", params={"id": "Disease:糖尿病"})
    assert page.status_code == 200
    assert "HAS_SYMPTOM" in page.text and 'href="/record?id=' in page.text


def test_record_page_marks_mentions_by_type_and_assertion(http) -> None:
    page = http.get("/record", params={"id": "emr-0002"})
    assert page.status_code == 200
    assert 'class="m t-Disease' in page.text and "a-negated" in page.text  # 否认高血压、糖尿病病史
    assert 'href="/concept?id=' in page.text


def test_unknown_ids_give_a_404_page(http) -> None:
    for path in ("/concept?id=Disease:不存在", "/record?id=no-such-record", "/concept", "/no/such/page"):
        page = http.get(path)
        assert page.status_code == 404 and "Traceback" not in page.text, path


def test_hostile_record_text_is_shown_as_text(http) -> None:
    page = http.get("/record", params={"id": "hostile-1"})
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert html.escape("<script>alert(1)</script>", quote=False) in page.text
    assert "MATCH (n) DETACH DELETE n" in page.text
    searched = http.get("/search", params={"q": HOSTILE[:40]})
    assert "<script>" not in searched.text


def test_an_ill_formed_request_gets_a_page_not_json(web_graph: GraphClient) -> None:
    http = web_client(web_graph)
    token = csrf_of(http.get("/login"))
    page = http.post("/login", data={"name": "x" * 300, "password": "p", "csrf": token})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
