"""Shared fixtures: one real Neo4j per test session, a clean database per test.

The server, in DESIGN.md's order:

1. ``NEO4J_TEST_URI`` (with ``NEO4J_TEST_USERNAME``/``NEO4J_TEST_PASSWORD``/``NEO4J_TEST_DATABASE``);
2. testcontainers' Neo4j module, when a Docker engine answers;
3. the embedded default on a free port in a temporary folder.

The database is never mocked. The per-test wipe only runs on a database that carries the test
sentinel, which the session puts on an empty database; a non-empty database without it is refused.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# pykeen (through pystow) creates its home folder on import; keep it out of the user's home
os.environ.setdefault("PYKEEN_HOME", str(Path(tempfile.gettempdir()) / "medkg-tests-pykeen"))

from neo4j_helpers import wipe

from core.paths import default_data_dir
from graph.db.connection import ConnectionInfo, GraphClient

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:  # any failure means "no engine here"
        return False
    return True


@contextlib.contextmanager
def _server(tmp_root: Path) -> Iterator[tuple[ConnectionInfo, object]]:
    if os.environ.get("NEO4J_TEST_URI"):
        yield ConnectionInfo(os.environ["NEO4J_TEST_URI"], os.environ.get("NEO4J_TEST_USERNAME", "neo4j"),
                             os.environ.get("NEO4J_TEST_PASSWORD", ""), os.environ.get("NEO4J_TEST_DATABASE")), None
        return
    if _docker_answers():
        from testcontainers.neo4j import Neo4jContainer

        with Neo4jContainer("neo4j:5.26-community") as container:
            yield ConnectionInfo(container.get_connection_url(), "neo4j", container.password), container
        return
    from graph.db.config import MedkgSettings
    from graph.db.server import LocalNeo4j, free_port

    # the launcher is built once by the set-up (`make test` runs `medkg db build` first) and reused
    server = LocalNeo4j(tmp_root / "neo4j", port=free_port(), heap="1g", pagecache="256m",
                        launcher_dir=MedkgSettings().launcher_build_dir)
    server.start()
    try:
        user, password = server.auth
        yield ConnectionInfo(server.uri, user, password, None, embedded=True), server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ConnectionInfo, object]]:
    """(connection, server handle): the handle is the LocalNeo4j when the suite started one."""
    with _server(tmp_path_factory.mktemp("medkg-test-server")) as (info, handle):
        with GraphClient.from_info(info) as client:
            found = client.read("internal/check_test_sentinel")[0]
            if not found["sentinel"] and found["others"]:
                pytest.exit(f"refusing to use {info.uri} for tests: it holds {found['others']} nodes and "
                            "no medkg test sentinel; point NEO4J_TEST_URI at an empty database", 3)
            client.write("internal/create_test_sentinel", id="pytest")
        yield info, handle


@pytest.fixture(scope="session")
def neo4j_info(neo4j_server: tuple[ConnectionInfo, object]) -> ConnectionInfo:
    return neo4j_server[0]


@pytest.fixture
def client(neo4j_info: ConnectionInfo) -> Iterator[GraphClient]:
    """A client on a clean database (schema kept)."""
    with GraphClient.from_info(neo4j_info) as graph_client:
        wipe(graph_client)
        yield graph_client


@pytest.fixture
def neo4j_env(neo4j_info: ConnectionInfo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ConnectionInfo:
    """Environment pointing the app (and the CLI) at the test server through NEO4J_URI."""
    monkeypatch.setenv("NEO4J_URI", neo4j_info.uri)
    monkeypatch.setenv("NEO4J_USERNAME", neo4j_info.username)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_info.password)
    if neo4j_info.database:
        monkeypatch.setenv("NEO4J_DATABASE", neo4j_info.database)
    else:
        monkeypatch.delenv("NEO4J_DATABASE", raising=False)
    monkeypatch.setenv("MEDKG_HOME", str(tmp_path / "home"))
    return neo4j_info


#: Set by ``make test`` when the research data is there: a test that needs it must then run, not skip.
REQUIRE_DATA = "MEDKG_REQUIRE_DATA"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The third-party research data (../shared/data); tests that need it skip when it is missing.

    With ``MEDKG_REQUIRE_DATA=1`` (``make test`` sets it when the folder exists, so CI, which has the
    data beside the clone, never passes with those tests skipped) a missing folder fails instead.
    """
    path = default_data_dir()
    if not path.is_dir():
        message = f"research data not found at {path} (set MEDKG_DATA_DIR)"
        if os.environ.get(REQUIRE_DATA) == "1":
            pytest.fail(f"{message}; {REQUIRE_DATA}=1 says it must be there")
        pytest.skip(message)
    return path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """Under ``MEDKG_REQUIRE_DATA=1`` a skipped test marked ``data`` is reported as a failure."""
    report = yield
    if report.skipped and os.environ.get(REQUIRE_DATA) == "1" and item.get_closest_marker("data") is not None:
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid}: a data test skipped although {REQUIRE_DATA}=1 ({report.longrepr})"
    return report


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return REPO / "data" / "sample"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On a full run, fail if a Cypher file under cypher/ never ran (STYLE.md: each runs once)."""
    from graph.db.queries import list_queries, used_queries

    full_run = not session.config.option.keyword and not session.config.option.markexpr and all(
        Path(arg).resolve() == REPO / "tests" for arg in session.config.args)
    if exitstatus != 0 or not full_run:
        return
    every = {name for audience in ("schema", "internal", "analyst", "curator") for name in list_queries(audience)}
    missing = sorted(every - used_queries())
    if missing:
        session.config.get_terminal_writer().line(f"Cypher files never run by the tests: {missing}", red=True)
        session.exitstatus = 1
