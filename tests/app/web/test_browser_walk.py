"""The five tasks of docs/web.md walked in headless Chromium against ``medkg serve``, without writing Cypher.

The server runs as ``medkg serve`` does (a subprocess, on the suite's Neo4j, with a users file of this module);
the browser clicks and types as a person would, each step counted and screenshotted. With
``MEDKG_WEB_SCREENSHOTS=DIR`` the screenshots are written there (the docs' copies come from
``MEDKG_WEB_SCREENSHOTS=docs/img/web``); they are kept under ``$MEDKG_TEST_ARTIFACTS`` too when that is set.
Each task checks what the page shows against the library functions the command line uses.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from analyst_helpers import build_processed_graph
from chromium_helpers import headless_chromium, keep_artifact
from neo4j_helpers import wipe
from web_helpers import PASSWORDS

from app.users import UserStore, add_user
from graph.analyst.library import run_library_query
from graph.db.connection import ConnectionInfo, GraphClient
from graph.db.server import free_port

#: Steps each task took (a click, or typing into one box and pressing Enter), for the docs' table.
STEPS: dict[str, int] = {}


@pytest.fixture(scope="module")
def graph(neo4j_info: ConnectionInfo) -> Iterator[GraphClient]:
    with GraphClient.from_info(neo4j_info) as client:
        wipe(client)
        build_processed_graph(client)
        yield client


@pytest.fixture(scope="module")
def server(graph: GraphClient, neo4j_info: ConnectionInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``medkg serve`` on a free port of loopback; its base URL."""
    home = tmp_path_factory.mktemp("walk-home")
    store = UserStore(home / "web" / "users.json")
    add_user(store, "carl", "curator", PASSWORDS["carl"])
    env = {**os.environ, "NEO4J_URI": neo4j_info.uri, "NEO4J_USERNAME": neo4j_info.username,
           "NEO4J_PASSWORD": neo4j_info.password, "MEDKG_HOME": str(home), "MEDKG_WEB_USERS": str(store.path)}
    env.pop("NEO4J_DATABASE", None)
    if neo4j_info.database:
        env["NEO4J_DATABASE"] = neo4j_info.database
    port = free_port()
    log_path = home / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], stdout=log,
                                   stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
                    break
                except httpx.TransportError:
                    assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
                    time.sleep(0.5)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("MEDKG_WEB_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("walk-shots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def navigate(driver: Any, act: Any, timeout: float = 60) -> None:
    """Run ``act`` (a click or an Enter that submits) and wait until the next page has replaced this one and loaded.

    A click returns once the browser has sent the request, not when the answer has come; the login (an argon2
    check) and the pages behind it take their time, so each step waits for the new document before looking at it.
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    act()
    wait = WebDriverWait(driver, timeout)
    wait.until(expected_conditions.staleness_of(old))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


class Walk:
    """A logged-in browser that counts each task's steps and screenshots the page after each."""

    def __init__(self, driver: Any, base: str, shots: Path) -> None:
        self.driver, self.base, self.shots = driver, base, shots
        self.task = ""

    def start(self, task: str, path: str) -> None:
        """Begin ``task`` on the page ``path`` (opening a page from the menu counts as its first step)."""
        self.task = task
        STEPS[task] = 0
        self.driver.get(self.base + path)
        self.step("start")

    def step(self, name: str) -> None:
        from selenium.webdriver.common.by import By

        if name != "start":
            STEPS[self.task] += 1
        assert "Traceback" not in self.driver.find_element(By.TAG_NAME, "body").text
        height = min(self.driver.execute_script("return document.documentElement.scrollHeight"), 2400)
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1}})
        path = self.shots / f"{self.task}-{STEPS[self.task]}-{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        keep_artifact(path)

    def click_link(self, text: str, name: str) -> None:
        from selenium.webdriver.common.by import By

        navigate(self.driver, self.driver.find_element(By.LINK_TEXT, text).click)
        self.step(name)

    def click(self, css: str, name: str) -> None:
        from selenium.webdriver.common.by import By

        navigate(self.driver, self.driver.find_element(By.CSS_SELECTOR, css).click)
        self.step(name)

    def type_enter(self, css: str, text: str, name: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        box = self.driver.find_element(By.CSS_SELECTOR, css)
        box.clear()
        navigate(self.driver, lambda: box.send_keys(text + Keys.ENTER))
        self.step(name)

    def table(self, heading: str) -> list[list[str]]:
        """The cells of the first table after the ``h2`` whose text starts with ``heading``."""
        from selenium.webdriver.common.by import By

        h2 = next(h for h in self.driver.find_elements(By.TAG_NAME, "h2") if h.text.startswith(heading))
        table = h2.find_element(By.XPATH, "following-sibling::table[1]")
        return [[c.text for c in row.find_elements(By.XPATH, "td")] for row in table.find_elements(By.TAG_NAME, "tr")
                if row.find_elements(By.XPATH, "td")]


@pytest.fixture(scope="module")
def walk(server: str, shots: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    from selenium.webdriver.common.by import By

    with headless_chromium(tmp_path_factory.mktemp("walk-profile"), width=1280, height=900) as driver:
        driver.get(server + "/lang?to=en&next=/login")  # English, so the docs' screenshots read for everyone
        driver.find_element(By.ID, "name").send_keys("carl")
        driver.find_element(By.ID, "password").send_keys(PASSWORDS["carl"])
        navigate(driver, driver.find_element(By.CSS_SELECTOR, "form.login button").click)
        assert driver.current_url.endswith("/search"), driver.find_element(By.TAG_NAME, "body").text
        yield Walk(driver, server, shots)
    (shots / "steps.json").write_text(json.dumps(STEPS, indent=1) + "\n", encoding="utf-8")


def test_task_1_records_mentioning_a_disease_and_their_drugs(walk: Walk, graph: GraphClient) -> None:
    walk.start("1-disease-records-drugs", "/search")
    walk.type_enter("form.search input[name=q]", "糖尿病", "search")
    walk.click_link("糖尿病", "concept")
    records = run_library_query(graph, "records_mentioning", {"concepts": ["Disease:糖尿病"]}).rows
    treatments = run_library_query(graph, "top_treatments", {"disease": "Disease:糖尿病"}).rows
    assert records and treatments
    shown = walk.table("Top treatments in records")
    assert [row[0] for row in shown] == [t["name"] for t in treatments]
    assert [int(row[2]) for row in shown] == [t["records"] for t in treatments]
    page = walk.driver.page_source
    counted = re.search(r"Records mentioning it <span class=\"muted\">\((\d+)\)", page)
    assert counted and int(counted.group(1)) >= len(records)
    assert STEPS["1-disease-records-drugs"] == 2


def test_task_2_the_records_behind_a_has_symptom_fact(walk: Walk, graph: GraphClient) -> None:
    with graph.session() as session:
        fact = session.run("MATCH (h:Disease)-[r:HAS_SYMPTOM]->(t:Symptom) WHERE r.record_count > 0 "
                           "RETURN h.id AS head, h.name AS name, t.id AS tail, t.name AS symptom "
                           "ORDER BY r.record_count DESC, head, tail LIMIT 1").single()
    assert fact is not None
    walk.start("2-fact-spans", "/search")
    walk.type_enter("form.search input[name=q]", fact["name"], "search")
    walk.click_link(fact["name"], "concept")
    from selenium.webdriver.common.by import By

    links = [a for a in walk.driver.find_elements(By.LINK_TEXT, "trace")
             if "HAS_SYMPTOM" in (a.get_attribute("href") or "") and fact["tail"] in unquote(a.get_attribute("href"))]
    assert links
    navigate(walk.driver, links[0].click)
    walk.step("fact")
    trace = run_library_query(graph, "trace_record_fact",
                              {"fact_key": f"{fact['head']}|HAS_SYMPTOM|{fact['tail']}", "limit": 500}).rows
    spans = walk.table("Record spans behind it")
    assert sorted(row[0] for row in spans) == sorted(r["record"] for r in trace)
    assert all(fact["symptom"] in row[1] for row in spans)
    assert STEPS["2-fact-spans"] == 3


def test_task_5_a_library_query_as_csv(walk: Walk, graph: GraphClient, server: str) -> None:
    from selenium.webdriver.common.by import By

    walk.start("5-query-csv", "/queries")
    walk.click_link("top_treatments", "form")
    walk.type_enter("#p-disease", "Disease:糖尿病", "run")
    link = walk.driver.find_element(By.LINK_TEXT, "Download CSV").get_attribute("href")
    assert link
    STEPS["5-query-csv"] += 1  # the download: the browser saves the file, the test fetches it with the session
    cookies = {c["name"]: c["value"] for c in walk.driver.get_cookies()}
    answer = httpx.get(link, cookies=cookies, timeout=30)
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    expected = run_library_query(graph, "top_treatments", {"disease": "Disease:糖尿病"}).rows
    assert [r["name"] for r in rows] == [e["name"] for e in expected]
    assert STEPS["5-query-csv"] == 3


def test_task_3_prune_a_low_confidence_triple_and_restore_it(walk: Walk, graph: GraphClient) -> None:
    from graph.curate.actions import PruneCriteria, list_low_confidence

    queue = list_low_confidence(graph, PruneCriteria(below=0.5))
    target = queue[0]
    walk.start("3-prune-restore", "/curation")
    walk.click_link("Prune…", "preview")
    assert "1</strong>" in walk.driver.page_source
    walk.type_enter("form.apply #reason", "co-occurrence only, not a treatment", "pruned")
    after = {(r["head"], r["type"], r["tail"]) for r in list_low_confidence(graph, PruneCriteria(below=0.5))}
    assert (target["head"], target["type"], target["tail"]) not in after and len(after) == len(queue) - 1
    walk.type_enter("form.inline input[name=reason]", "pruned by mistake", "restored")
    back = list_low_confidence(graph, PruneCriteria(below=0.5))
    assert [(r["head"], r["type"], r["tail"], r["confidence"]) for r in back] == \
        [(r["head"], r["type"], r["tail"], r["confidence"]) for r in queue]
    assert STEPS["3-prune-restore"] == 3


def test_task_4_merge_a_candidate_into_a_kg_concept(walk: Walk, graph: GraphClient) -> None:
    from selenium.webdriver.common.by import By

    walk.start("4-merge", "/curation/nil")
    walk.click_link("Merge into…", "chooser")
    walk.type_enter("#q", "头晕", "search")
    walk.driver.find_element(By.CSS_SELECTOR, "input[name=into][value='Symptom:头晕']").click()
    walk.step("chosen")
    walk.type_enter("form.apply #reason", "the same finding, written oddly", "merged")
    with graph.session() as session:
        merged = session.run("MATCH (c:Concept {name: '蜗鸣音样不适'}) RETURN c.status AS status, "
                             "c.merged_into AS into").single()
    assert merged is not None and dict(merged) == {"status": "merged", "into": "Symptom:头晕"}
    assert STEPS["4-merge"] == 4


def test_the_overview_renders_its_charts_in_the_browser(walk: Walk) -> None:
    from selenium.webdriver.common.by import By

    walk.start("overview", "/overview")
    charts = walk.driver.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) >= 4 and all(c.size["width"] > 300 and c.size["height"] > 20 for c in charts)
    bars = walk.driver.find_elements(By.CSS_SELECTOR, "svg.chart rect")
    assert bars and any(b.size["width"] > 5 for b in bars)  # the style sheet and the CSP let the bars draw
