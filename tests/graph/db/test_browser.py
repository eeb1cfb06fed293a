"""Neo4j Browser served by the embedded Neo4j (`medkg db start --browser`), driven in headless Chromium.

The module starts its own embedded server in a temporary home (the shared test server runs without the
Browser): first without the flag, to check that HTTP stays off, then with ``--browser`` on a free port.
Chromium (Debian's ``chromium`` and ``chromium-driver``; ``make test`` installs them) opens the Browser,
logs in with the server's password, runs a query from ``cypher/analyst/`` and must show its rows; the
screenshot is kept under the test's tmp folder and copied to ``$MEDKG_TEST_ARTIFACTS`` when that is set.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import neo4j
import psutil
import pytest
from chromium_helpers import headless_chromium, keep_artifact
from cli_helpers import one_json
from neo4j_helpers import assert_listens_on_loopback_only
from typer.testing import CliRunner

from app.cli import app
from graph.db.config import MedkgSettings
from graph.db.queries import query
from graph.db.server import LocalNeo4j, free_port

LOOPBACK = {"127.0.0.1", "::ffff:127.0.0.1"}
LIBRARY_QUERY = "analyst/count_labels"
DISEASES = [{"id": "Disease:肺炎", "name": "肺炎"}, {"id": "Disease:糖尿病", "name": "糖尿病"}]
DRUGS = [{"id": "Drug:阿莫西林", "name": "阿莫西林"}]
runner = CliRunner()
direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never through a proxy


@dataclass
class Started:
    """What the module fixture saw while starting the server without and then with the Browser."""

    server: LocalNeo4j
    plain: dict[str, Any]  # `db start --json` without --browser
    plain_listening: set[int]  # TCP ports the launcher listened on then
    plain_http_refused: bool  # nothing answered on the HTTP port then
    mismatch: tuple[int, str]  # `db start --browser` on the running plain server: exit code, stdout
    browser: dict[str, Any]  # `db start --browser --http-port N --json`
    again_text: str  # `db start --browser --http-port N` again, as text


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


def last_json(stdout: str) -> dict[str, Any]:
    return one_json(stdout)


def listening_ports(pid: int) -> set[int]:
    return {c.laddr.port for c in psutil.Process(pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}


def refused(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Started]:
    root = tmp_path_factory.mktemp("browser-neo4j")
    bolt, http = free_port(), free_port()
    while http == bolt:
        http = free_port()
    launcher = MedkgSettings().launcher_build_dir  # built once by the set-up (`medkg db build`), reused
    server = LocalNeo4j(root / "home" / "neo4j", port=bolt, http_port=http, launcher_dir=launcher)
    with pytest.MonkeyPatch.context() as env:
        for name in ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
            env.delenv(name, raising=False)
        env.setenv("MEDKG_HOME", str(root / "home"))
        env.setenv("MEDKG_LAUNCHER_DIR", str(launcher))
        env.setenv("MEDKG_NEO4J_PORT", str(bolt))
        env.setenv("MEDKG_NEO4J_HEAP", "512m")
        env.setenv("MEDKG_NEO4J_PAGECACHE", "64m")
        try:
            code, stdout = cli("db", "start", "--json")
            assert code == 0, stdout
            plain = last_json(stdout)
            plain_listening, plain_http_refused = listening_ports(plain["pid"]), refused(http)
            mismatch = cli("db", "start", "--browser", "--http-port", str(http), "--json")
            assert cli("db", "stop", "--json")[0] == 0
            code, stdout = cli("db", "start", "--browser", "--http-port", str(http), "--json")
            assert code == 0, stdout
            browser = last_json(stdout)
            code, again_text = cli("db", "start", "--browser", "--http-port", str(http))
            assert code == 0, again_text
            yield Started(server, plain, plain_listening, plain_http_refused, mismatch, browser, again_text)
        finally:
            server.stop()


# ---------------------------------------------------------------------- without and with the flag


def test_without_the_flag_http_stays_off(started: Started) -> None:
    assert started.plain["running"] is True
    assert started.plain["browser_url"] is None and started.plain["http_port"] is None
    assert started.plain_listening == {started.server.port}  # Bolt, and nothing else
    assert started.plain_http_refused


def test_asking_a_running_plain_server_for_the_browser_says_to_restart(started: Started) -> None:
    code, stdout = started.mismatch
    assert code == 1
    assert "no Neo4j Browser" in last_json(stdout)["error"] and "medkg db stop" in last_json(stdout)["error"]


def test_start_with_the_browser_reports_its_url(started: Started) -> None:
    http = started.server.http_port
    assert started.browser["running"] is True and started.browser["http_port"] == http
    assert started.browser["browser_url"] == f"http://127.0.0.1:{http}/browser/"
    assert started.browser["pid"] != started.plain["pid"]
    assert f"Neo4j Browser: http://127.0.0.1:{http}/browser/" in started.again_text
    assert str(started.server.password_file) in started.again_text


def test_http_port_needs_the_browser_flag() -> None:
    code, stdout = cli("db", "start", "--http-port", "7475", "--json")
    assert code == 2 and "--browser" in last_json(stdout)["error"]


def test_bolt_and_http_listen_on_loopback_only(started: Started) -> None:
    assert_listens_on_loopback_only(started.browser["pid"], {started.server.port, started.server.http_port})


def test_only_the_browser_and_its_discovery_are_served(started: Started) -> None:
    base = f"http://127.0.0.1:{started.server.http_port}"
    with direct.open(urllib.request.Request(f"{base}/", headers={"Accept": "application/json"}), timeout=10) as r:
        discovery = json.load(r)
    assert discovery["bolt_direct"] == started.server.uri and discovery["neo4j_edition"] == "community"
    with direct.open(f"{base}/browser/", timeout=10) as page:
        assert page.status == 200 and b"Neo4j Browser" in page.read()
    for path in ("/db/neo4j/tx/commit", "/db/neo4j/query/v2"):  # no Cypher over HTTP
        request = urllib.request.Request(f"{base}{path}", data=b"{}", headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused_request:
            direct.open(request, timeout=10)
        assert refused_request.value.code == 404, path


# ---------------------------------------------------------------------- the Browser in Chromium


@pytest.fixture(scope="module")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with headless_chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


def seed(server: LocalNeo4j) -> list[list[str]]:
    """Write a few concepts; return the library query's rows as the Browser's table shows them."""
    with neo4j.GraphDatabase.driver(server.uri, auth=server.auth) as driver:
        driver.execute_query("UNWIND $rows AS row CREATE (:Concept:Disease {id: row.id, name: row.name})",
                             rows=DISEASES)
        driver.execute_query("UNWIND $rows AS row CREATE (:Concept:Drug {id: row.id, name: row.name})", rows=DRUGS)
        records, _, _ = driver.execute_query(query(LIBRARY_QUERY), routing_="r")
    return [[f'"{r["label"]}"', str(r["count"])] for r in records]


def test_the_browser_logs_in_and_shows_a_library_querys_rows(started: Started, chrome: Any,
                                                               tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    expected = seed(started.server)
    assert expected == [['"Concept"', "3"], ['"Disease"', "2"], ['"Drug"', "1"]]
    text = resources.files("cypher").joinpath(*f"{LIBRARY_QUERY}.cypher".split("/")).read_text(encoding="utf-8")
    wait = WebDriverWait(chrome, 60)

    chrome.get(started.browser["browser_url"])
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=password]"))
    address = chrome.find_element(By.CSS_SELECTOR, "[data-testid=boltaddress]").get_attribute("value")
    assert address == f"127.0.0.1:{started.server.port}"  # from the server's discovery document
    chrome.find_element(By.CSS_SELECTOR, "[data-testid=username]").send_keys("neo4j")
    chrome.find_element(By.CSS_SELECTOR, "[data-testid=password]").send_keys(started.server.password())
    chrome.find_element(By.CSS_SELECTOR, "[data-testid=connect]").click()
    wait.until(lambda d: "You are connected as user" in d.find_element(By.CSS_SELECTOR, "[data-testid=stream]").text)

    editor = chrome.find_element(By.CSS_SELECTOR, "[data-testid=activeEditor] textarea")
    lines = text.rstrip("\n").split("\n")
    for number, line in enumerate(lines):  # typed as an analyst pastes the file: comments and all
        editor.send_keys(line)
        if number < len(lines) - 1:
            editor.send_keys(Keys.SHIFT, Keys.ENTER)
    chrome.find_element(By.CSS_SELECTOR, "[data-testid=editor-Run]").click()

    def result_frame(d: Any) -> Any:
        for frame in d.find_elements(By.CSS_SELECTOR, "[data-testid=frame]"):
            command = frame.find_element(By.CSS_SELECTOR, "[data-testid=frameCommand]").text
            if "count(*) AS count" in command and frame.find_elements(By.CSS_SELECTOR, "tbody tr"):
                return frame
        return None

    frame = wait.until(result_frame)
    header = [cell.text for cell in frame.find_elements(By.CSS_SELECTOR, "thead th[role=columnheader]")]
    rows = [[cell.text for cell in row.find_elements(By.CSS_SELECTOR, "td[role=cell]")]
            for row in frame.find_elements(By.CSS_SELECTOR, "tbody tr")]
    chrome.execute_script("arguments[0].scrollIntoView(true);", frame)
    shot = tmp_path / "neo4j-browser.png"
    assert chrome.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    keep_artifact(shot)
    assert header == ["label", "count"]
    assert rows == expected


def test_the_password_is_never_logged(started: Started) -> None:
    password = started.server.password()
    home = started.server.home
    for log in [home / "launcher.log", home / "launcher.log.1", *(home / "logs").glob("*.log")]:
        if log.exists():
            assert password not in log.read_text(errors="replace"), log
    assert password not in started.again_text and password not in json.dumps(started.browser)
