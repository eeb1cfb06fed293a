"""``medkg report``: the page and its charts from a processed graph, looked at in headless Chromium."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from analyst_helpers import build_processed_graph
from chromium_helpers import headless_chromium, keep_artifact
from typer.testing import CliRunner

from app.cli import app
from app.report import write_report
from graph.analyst.library import QueryParamError, run_library_query
from graph.db.connection import ConnectionInfo, GraphClient


def test_report_from_a_processed_graph_in_chromium(client: GraphClient, tmp_path: Path) -> None:
    build_processed_graph(client)
    result = write_report(client, tmp_path / "report", top=10)
    best = run_library_query(client, "diseases_by_records", {"limit": 1}).rows[0]
    assert result.disease == best["disease"] and best["treatments"] > 0
    assert sorted(result.charts) == ["assertion.svg", "confidence.svg", "growth.svg", "mentions.svg",
                                     "throughput.svg", "treatments.svg"]
    for name in result.charts:
        root = ET.parse(tmp_path / "report" / name).getroot()
        assert root.tag.endswith("svg")
    page = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    treatments = run_library_query(client, "top_treatments", {"disease": result.disease, "limit": 10}).rows
    assert all(f"<td>{r['name']}</td>" in page for r in treatments)
    assert "<td>蜗鸣音样不适</td>" in page  # the NIL queue
    assert result.sections["runs"] == 3 and result.sections["nil"] == 1
    # mentions per certainty and experiencer: the sample denies findings and gives 高血压 to a father
    split = run_library_query(client, "mentions_by_assertion").rows
    negated = sum(r["mentions"] for r in split if r["certainty"] == "negated" and r["experiencer"] == "patient")
    family = sum(r["mentions"] for r in split if r["experiencer"] == "family")
    assert negated >= 5 and family == 1
    assert f'<td>negated</td><td>patient</td><td class="num">{negated}</td>' in page
    assert f'<td>affirmed</td><td>family</td><td class="num">{family}</td>' in page
    assert "have no assertion" not in page

    with headless_chromium(tmp_path / "profile", 1200, 2400) as chrome:
        chrome.get((tmp_path / "report" / "index.html").as_uri())
        headings = [h.text for h in chrome.find_elements("css selector", "h2")]
        assert headings[0] == "The graph in numbers" and "Candidate concepts (NIL queue)" in headings
        images = chrome.find_elements("css selector", "img")
        assert "What the records assert" in headings
        assert len(images) == 6 and all(chrome.execute_script("return arguments[0].naturalWidth", i) > 100
                                        for i in images)  # every chart loaded and rendered
        cells = {c.text for c in chrome.find_elements("css selector", "#nil td")}
        assert "蜗鸣音样不适" in cells
        shot = tmp_path / "medkg-report.png"
        assert chrome.save_screenshot(str(shot)) and shot.stat().st_size > 20_000
        keep_artifact(shot)

    with pytest.raises(QueryParamError, match="--disease 'Disease:nope': no concept has the id 'Disease:nope'"):
        write_report(client, tmp_path / "other", disease="Disease:nope")


def test_report_command(client: GraphClient, neo4j_env: ConnectionInfo, tmp_path: Path) -> None:
    runner = CliRunner()
    empty = runner.invoke(app, ["report", "--out", str(tmp_path / "r"), "--json"])
    assert empty.exit_code == 0, empty.stdout
    assert len(empty.stdout.strip().splitlines()) == 1
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "no mentions yet" in page and "no watcher runs yet" in page
    bad = runner.invoke(app, ["report", "--out", str(tmp_path / "r"), "--top", "0", "--json"])
    assert bad.exit_code == 2 and "--top must be at least 1" in bad.stdout
