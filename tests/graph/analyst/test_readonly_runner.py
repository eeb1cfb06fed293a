"""The read-only runner reads the graph and nothing else, on the protected embedded server and on one without
the protective configuration (which proves the runner's own check holds alone); the protective configuration
holds without the runner; timeouts bound the whole call."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

from graph.analyst.library import QueryError, QueryRefusedError, run_cypher, run_library_query
from graph.db.config import MedkgSettings
from graph.db.connection import ConnectionInfo, GraphClient
from graph.db.server import LocalNeo4j, free_port


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # the stdlib's name
        type(self).hits.append(self.path)
        body = b"a,b\n1,2\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    """A local HTTP server that records every request: the target of a server-side request forgery."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/x.csv"
    server.shutdown()


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory, neo4j_server: tuple[ConnectionInfo, object]
                ) -> Iterator[tuple[GraphClient, LocalNeo4j]]:
    """An embedded Neo4j started WITHOUT the protective configuration (file URLs, URLs, procedures open)."""
    server = LocalNeo4j(tmp_path_factory.mktemp("open-neo4j") / "neo4j", port=free_port(), heap="512m",
                        pagecache="64m", launcher_dir=MedkgSettings().launcher_build_dir, protected=False)
    server.start()
    try:
        with GraphClient(server.uri, server.auth) as client:
            yield client, server
    finally:
        server.stop()


@pytest.fixture(params=["protected", "open"])
def runner_target(request: pytest.FixtureRequest, neo4j_server: tuple[ConnectionInfo, object]
                  ) -> Iterator[tuple[GraphClient, Path]]:
    """(client, the server's home folder) on the protected test server, then on the open one."""
    if request.param == "protected":
        info, handle = neo4j_server
        if not isinstance(handle, LocalNeo4j):
            pytest.skip("the protected case needs the embedded server (NEO4J_TEST_URI points elsewhere)")
        with GraphClient.from_info(info) as client:
            yield client, handle.home
    else:
        client, server = request.getfixturevalue("open_server")
        yield client, server.home


def _attacks(home: Path, url: str) -> list[str]:
    password = home / "password"
    return [
        "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l LIMIT 3",
        f"LOAD CSV FROM 'file://{password}' AS l RETURN l",
        "LOAD CSV FROM 'file:///../../../../etc/passwd' AS l RETURN l",
        "LOAD CSV FROM 'file:///proc/self/environ' AS l RETURN l",
        "LOAD CSV FROM 'file:///password' AS l RETURN l",
        f"load csv with headers from '{url}' AS l RETURN l",
        f"CALL {{ LOAD CSV FROM '{url}' AS l RETURN l }} RETURN l",
        "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
        "SHOW TRANSACTIONS",
        "SHOW USERS",
        "USE system SHOW USERS",
        "CALL db.clearQueryCaches()",
        "CALL dbms.listConfig()",
        "CALL `dbms`.`listConfig`() YIELD name RETURN name",
        "CALL dbms.showCurrentUser()",
        "ALTER USER neo4j SET PASSWORD 'attacker-pass' CHANGE NOT REQUIRED",
    ]


def test_every_attack_is_refused_with_its_reason(runner_target, web):
    client, home = runner_target
    _Recorder.hits.clear()
    for statement in _attacks(home, web):
        with pytest.raises(QueryRefusedError, match="refused: ") as caught:
            run_cypher(client, statement, timeout=10)
        message = str(caught.value)
        assert "root:" not in message and home.joinpath("password").read_text().strip() not in message
    assert _Recorder.hits == []  # the server fetched nothing


def test_reads_still_run_through_the_same_checks(runner_target):
    client, _ = runner_target
    assert run_cypher(client, "CALL db.labels() YIELD label RETURN count(label) AS n").rows[0]["n"] >= 0
    rows = run_cypher(client, "UNWIND $xs AS x RETURN x * 2 AS y", {"xs": [1, 2]}).rows
    assert [r["y"] for r in rows] == [2, 4]
    assert run_library_query(client, "count_labels").columns


def test_without_the_runner_the_open_server_would_leak(open_server, web):
    """What the runner's check stands between: the open server reads files and fetches URLs in READ mode."""
    client, _ = open_server
    _Recorder.hits.clear()
    with client.session(default_access_mode=neo4j.READ_ACCESS) as session:
        rows = session.run("LOAD CSV FROM $url AS l RETURN l", url=web).data()
        users = session.run("SHOW USERS").data()
    assert rows and _Recorder.hits == ["/x.csv"]
    assert users


def test_the_protective_configuration_holds_without_the_runner(neo4j_server, web):
    """On the embedded server a plain READ session (no runner) can read no file and fetch no URL."""
    info, handle = neo4j_server
    if not isinstance(handle, LocalNeo4j):
        pytest.skip("the protective configuration is the embedded server's")
    _Recorder.hits.clear()
    with GraphClient.from_info(info) as client, client.session(default_access_mode=neo4j.READ_ACCESS) as session:
        for url in ("file:///etc/passwd", f"file://{handle.password_file}", "file:///password", web):
            with pytest.raises(neo4j.exceptions.ClientError, match="Cannot load from URL"):
                session.run("LOAD CSV FROM $url AS l RETURN l", url=url).consume()
    assert _Recorder.hits == []
    assert list(handle.import_dir.iterdir()) == []
    assert handle.password_file.parent != handle.import_dir


def test_a_memory_hungry_read_fails_fast_and_is_not_retried(neo4j_server):
    """The per-transaction cap stops it; the runner does not retry a memory error (the driver used to, ~30 s)."""
    info, handle = neo4j_server
    if not isinstance(handle, LocalNeo4j):
        pytest.skip("the per-transaction memory cap is the embedded server's")
    with GraphClient.from_info(info) as client:
        started = time.monotonic()
        with pytest.raises(QueryError, match="more memory than one analyst transaction may use"):
            run_cypher(client, "UNWIND range(1, 30000000) AS x WITH collect(x) AS xs RETURN size(xs) AS n",
                       timeout=60)
        assert time.monotonic() - started < 15


def test_the_timeout_bounds_the_whole_call(runner_target):
    client, _ = runner_target
    started = time.monotonic()
    with pytest.raises(QueryError, match="timeout"):
        run_cypher(client, "UNWIND range(1, 2000000000) AS x WITH x WHERE x % 7 = 3 RETURN count(*) AS n",
                   timeout=2)
    assert time.monotonic() - started < 10


def test_an_unreachable_server_is_bounded_by_the_timeout():
    port = free_port()  # nothing listens there
    with GraphClient(f"bolt://127.0.0.1:{port}", ("neo4j", "x" * 12)) as client:
        started = time.monotonic()
        with pytest.raises(QueryError, match="did not finish within its 2 s timeout"):
            run_cypher(client, "RETURN 1 AS one", timeout=2)
        assert time.monotonic() - started < 6
