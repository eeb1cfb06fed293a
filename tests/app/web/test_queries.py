"""The query library as forms and the ad-hoc Cypher box over HTTP, on the processed sample graph (a real Neo4j)."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from analyst_helpers import graph_dump
from fastapi.testclient import TestClient
from httpx import Response
from markupsafe import escape
from web_helpers import PASSWORDS, csrf_of, log_in, web_client

import app.web.queries
from app.web.config import WebConfig
from app.web.queries import MAX_CYPHER_CHARS, PAGE_SIZE, RESERVED, cell_text, default_text, result_csv
from graph.analyst.library import Param, QueryResult, library, parse_value, run_cypher, run_library_query
from graph.db.connection import GraphClient

#: A library query with a concept list, assertion filters and an int, and a concept the sample graph holds.
MENTIONING = {"run": "1", "concepts": "Disease:糖尿病"}
CONCEPT_IDS = "MATCH (c:Concept) RETURN c.id AS id, c.name AS name ORDER BY id"


def logged_in_as(web_graph: GraphClient, name: str, config: WebConfig | None = None) -> TestClient:
    http = web_client(web_graph, config)
    assert log_in(http, name, PASSWORDS[name]).status_code == 303
    return http


@pytest.fixture(params=["vera", "carl"], ids=["viewer", "curator"])
def http(request: pytest.FixtureRequest, web_graph: GraphClient) -> TestClient:
    return logged_in_as(web_graph, request.param)


@pytest.fixture
def curator(web_graph: GraphClient) -> TestClient:
    return logged_in_as(web_graph, "carl")


def table_cells(page: Response) -> list[list[str]]:
    """The cells of a page's result table, as text, row by row (the header row left out)."""
    found = re.search(r'<table class="result">(.*?)</table>', page.text, re.S)
    assert found, page.text[:1000]
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)[1:]
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def as_cells(result: QueryResult) -> list[list[str]]:
    return [[cell_text(row.get(c)) for c in result.columns] for row in result.rows]


def parsed_csv(answer: Response) -> list[list[str]]:
    assert answer.status_code == 200, answer.text[:1000]
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith(b"\xef\xbb\xbf")  # the BOM, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8").removeprefix("\ufeff"))))


def test_every_query_page_needs_a_login(web_graph: GraphClient) -> None:
    anonymous = web_client(web_graph)
    for path in ("/queries", "/queries/count_labels", "/queries/count_labels?run=1", "/queries/count_labels.csv",
                 "/queries/cypher"):
        answer = anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=/queries"), path
    token = csrf_of(anonymous.get("/login"))
    answer = anonymous.post("/queries/cypher", data={"csrf": token, "cypher": "RETURN 1 AS n"})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_the_list_links_every_query_and_each_form_renders(http: TestClient) -> None:
    listing = http.get("/queries")
    assert listing.status_code == 200
    specs = library()
    for spec in specs.values():
        assert f'<a href="/queries/{spec.name}">{spec.name}</a>' in listing.text
        form = http.get(f"/queries/{spec.name}")
        assert form.status_code == 200 and 'name="run" value="1"' in form.text, spec.name
        assert 'class="result"' not in form.text  # nothing runs before the form is sent
        for p in spec.params:
            box = f'name="{p.name}" value="{escape(default_text(p))}"'
            assert box in form.text, (spec.name, p.name)
            assert str(escape(p.help)) in form.text
    # the paths of the ad-hoc box and the form's own names never collide with the library's
    assert "cypher" not in specs and not any(p.name in RESERVED for s in specs.values() for p in s.params)


def test_default_text_reads_back_as_the_default() -> None:
    for spec in library().values():
        for p in spec.params:
            text = default_text(p)
            if p.required or p.default is None:
                assert text == ""
            else:
                assert text and parse_value(text, p.type, name=p.name) == p.default, (spec.name, p.name, text)
    listed = Param("types", "list[string]", default=["a,b", "c"])
    assert parse_value(default_text(listed), listed.type) == ["a,b", "c"]  # JSON when commas would split it


def test_a_library_query_shows_the_rows_of_the_runner(http: TestClient, web_graph: GraphClient) -> None:
    page = http.get("/queries/records_mentioning", params=MENTIONING)
    assert page.status_code == 200
    expected = run_library_query(web_graph, "records_mentioning", {"concepts": "Disease:糖尿病"})
    assert len(expected.rows) >= 2
    assert table_cells(page) == as_cells(expected)
    assert 'value="Disease:糖尿病"' in page.text  # the form keeps what was sent
    assert '/queries/records_mentioning.csv?run=1&amp;concepts=Disease%3A%E7%B3%96%E5%B0%BF%E7%97%85' in page.text


def test_a_result_is_paged(http: TestClient, web_graph: GraphClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.web.queries, "PAGE_SIZE", 2)
    expected = as_cells(run_library_query(web_graph, "count_labels"))
    assert len(expected) > 4
    pages = -(-len(expected) // 2)
    first = http.get("/queries/count_labels", params={"run": "1"})
    assert table_cells(first) == expected[:2]
    assert f"1 / {pages}" in first.text and 'href="?run=1&amp;page=2"' in first.text
    second = http.get("/queries/count_labels", params={"run": "1", "page": "2"})
    assert table_cells(second) == expected[2:4]
    assert 'href="?run=1&amp;page=1"' in second.text and 'href="?run=1&amp;page=3"' in second.text
    beyond = http.get("/queries/count_labels", params={"run": "1", "page": "999"})
    assert table_cells(beyond) == expected[(pages - 1) * 2:]  # the last page
    assert http.get("/queries/count_labels", params={"run": "1", "page": "0"}).status_code == 400


def test_the_csv_holds_every_row_with_a_bom_as_an_attachment(http: TestClient, web_graph: GraphClient) -> None:
    answer = http.get("/queries/records_mentioning.csv", params=MENTIONING)
    assert answer.headers["content-disposition"] == 'attachment; filename="records_mentioning.csv"'
    expected = run_library_query(web_graph, "records_mentioning", {"concepts": "Disease:糖尿病"})
    assert parsed_csv(answer) == [expected.columns, *as_cells(expected)]
    assert "糖尿病" in answer.content.decode("utf-8")
    labels = run_library_query(web_graph, "count_labels")
    assert parsed_csv(http.get("/queries/count_labels.csv")) == [labels.columns, *as_cells(labels)]


def test_csv_cells_that_a_spreadsheet_would_evaluate_are_quoted(curator: TestClient) -> None:
    statement = "RETURN '=1+2' AS a, '+b' AS b, '-c' AS c, '@d' AS d, -3 AS e, 'x=1' AS f, ['=g'] AS g"
    answer = curator.post("/queries/cypher.csv", data={"csrf": csrf_of(curator.get("/queries/cypher")),
                                                       "cypher": statement})
    assert answer.headers["content-disposition"] == 'attachment; filename="cypher.csv"'
    assert parsed_csv(answer) == [list("abcdefg"), ["'=1+2", "'+b", "'-c", "'@d", "-3", "x=1", '["=g"]']]
    tabbed = QueryResult("x", ["=h", "t"], [{"=h": "\tcmd", "t": None}], False, 10, 0.0)
    assert result_csv(tabbed) == "\ufeff'=h,t\r\n'\tcmd,\r\n"


def test_a_bad_parameter_shows_the_form_again_with_the_message(http: TestClient) -> None:
    cases = {  # parameters -> the box the message stands next to, and a piece of the library's message
        "concepts=Disease:糖尿病&limit=abc": ("limit", "must be int, got &#39;abc&#39;"),
        "concepts=Disease:糖尿病&certainty=sure": ("certainty", "&#39;sure&#39; is not a certainty"),
        "concepts=Disease:不存在": ("concepts", "no concept has the id &#39;Disease:不存在&#39;"),
        "concepts=": ("concepts", "needs parameter &#39;concepts&#39;"),
    }
    for query, (box, message) in cases.items():
        page = http.get(f"/queries/records_mentioning?run=1&{query}")
        assert page.status_code == 400 and "Traceback" not in page.text, query
        assert re.search(f'<p class="error" id="e-{box}">[^<]*{re.escape(message)}', page.text), (query, page.text)
        assert 'class="result"' not in page.text
    unknown = http.get("/queries/count_labels?run=1&bogus=1")
    assert unknown.status_code == 400 and "has no parameter &#39;bogus&#39;" in unknown.text
    csv_refused = http.get("/queries/records_mentioning.csv?run=1&limit=abc")
    assert csv_refused.status_code == 400 and csv_refused.headers["content-type"].startswith("text/html")


def test_a_query_the_runner_fails_shows_its_message(http: TestClient) -> None:
    page = http.get("/queries/find_concepts", params={"run": "1", "query": "糖尿病 AND ("})
    assert page.status_code == 400 and "not valid full-text (Lucene) syntax" in page.text
    assert "Traceback" not in page.text


def test_an_unknown_query_is_a_404_page(http: TestClient) -> None:
    for path in ("/queries/no_such_query", "/queries/no_such_query.csv", "/queries/no_such_query?run=1"):
        page = http.get(path)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html"), path


def test_a_curator_runs_ad_hoc_cypher(curator: TestClient, web_graph: GraphClient) -> None:
    box = curator.get("/queries/cypher")
    assert box.status_code == 200 and "<textarea" in box.text
    assert 'href="/queries/cypher"' in curator.get("/queries").text
    page = curator.post("/queries/cypher", data={"csrf": csrf_of(box), "cypher": CONCEPT_IDS})
    assert page.status_code == 200
    expected = run_cypher(web_graph, CONCEPT_IDS)
    assert len(expected.rows) > 1
    assert table_cells(page) == as_cells(expected)[:PAGE_SIZE]
    assert str(escape(CONCEPT_IDS)) in page.text  # the box keeps the statement
    csv_rows = parsed_csv(curator.post("/queries/cypher.csv", data={"csrf": csrf_of(box), "cypher": CONCEPT_IDS}))
    assert csv_rows == [expected.columns, *as_cells(expected)]


def test_ad_hoc_cypher_is_refused_to_a_viewer_unless_offered(web_graph: GraphClient) -> None:
    viewer = logged_in_as(web_graph, "vera")
    token = csrf_of(viewer.get("/queries"))
    assert 'href="/queries/cypher"' not in viewer.get("/queries").text
    assert viewer.get("/queries/cypher").status_code == 403
    for path in ("/queries/cypher", "/queries/cypher.csv"):
        refused = viewer.post(path, data={"csrf": token, "cypher": "RETURN 1 AS n"})
        assert refused.status_code == 403 and 'class="result"' not in refused.text, path
    offered = logged_in_as(web_graph, "vera", WebConfig(adhoc_cypher_for_viewers=True))
    assert 'href="/queries/cypher"' in offered.get("/queries").text
    box = offered.get("/queries/cypher")
    assert box.status_code == 200
    page = offered.post("/queries/cypher", data={"csrf": csrf_of(box), "cypher": "RETURN 1 AS n"})
    assert page.status_code == 200 and table_cells(page) == [["1"]]


@pytest.mark.parametrize("statement", ["CREATE (n:X) RETURN n", "MATCH (c:Concept) DETACH DELETE c",
                                       "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l",
                                       "CALL dbms.listConfig() YIELD name RETURN name"])
def test_a_statement_that_is_not_a_read_is_refused_and_changes_nothing(curator: TestClient, web_graph: GraphClient,
                                                                        statement: str) -> None:
    before = graph_dump(web_graph)
    page = curator.post("/queries/cypher", data={"csrf": csrf_of(curator.get("/queries/cypher")),
                                                 "cypher": statement})
    assert page.status_code == 400 and "Traceback" not in page.text
    assert "refused" in page.text and 'class="result"' not in page.text
    assert graph_dump(web_graph) == before


def test_ad_hoc_cypher_needs_the_csrf_token_and_refuses_empty_or_long_text(curator: TestClient,
                                                                          web_graph: GraphClient) -> None:
    before = graph_dump(web_graph)
    for path in ("/queries/cypher", "/queries/cypher.csv"):
        assert curator.post(path, data={"cypher": "RETURN 1 AS n"}).status_code == 403
        assert curator.post(path, data={"cypher": "RETURN 1 AS n", "csrf": "0" * 64}).status_code == 403
    token = csrf_of(curator.get("/queries/cypher"))
    for text in ("", "   ", "RETURN 1 AS n // " + "x" * MAX_CYPHER_CHARS):
        page = curator.post("/queries/cypher", data={"csrf": token, "cypher": text})
        assert page.status_code == 400 and 'class="error"' in page.text
    assert graph_dump(web_graph) == before
