"""The embedded default Neo4j (graph.db.server) against a real server it starts on a free port."""

from __future__ import annotations

import json
import shutil
import socket
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import neo4j
import psutil
import pytest
from neo4j_helpers import assert_listens_on_loopback_only

import graph.db.server
from graph.db.server import (
    NEO4J_VERSION,
    LauncherBuildError,
    LocalNeo4j,
    PasswordFileError,
    PortInUseError,
    ServerStatus,
    free_port,
)

LOOPBACK = {"127.0.0.1", "::ffff:127.0.0.1"}


def launcher_dir(root: Path) -> Path:
    # the set-up builds the launcher once (`medkg db build`); tests reuse it
    from graph.db.config import MedkgSettings

    return MedkgSettings().launcher_build_dir


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4j]:
    root = tmp_path_factory.mktemp("embedded-neo4j")
    local = LocalNeo4j(root / "neo4j", port=free_port(), heap="512m", pagecache="64m",
                       launcher_dir=launcher_dir(root))
    local.start()
    try:
        yield local
    finally:
        local.stop()


def count_marker(local: LocalNeo4j, marker: str) -> int:
    with neo4j.GraphDatabase.driver(local.uri, auth=local.auth) as driver:
        records, _, _ = driver.execute_query("MATCH (n:ServerTest {marker: $m}) RETURN count(n) AS n",
                                             m=marker)
    return records[0]["n"]


# ---------------------------------------------------------------------- without a server


def test_constructor_has_no_side_effects(tmp_path: Path) -> None:
    local = LocalNeo4j(tmp_path / "home", port=free_port(), launcher_dir=tmp_path / "launcher")
    assert local.uri == f"bolt://127.0.0.1:{local.port}"
    assert not (tmp_path / "home").exists() and not (tmp_path / "launcher").exists()


def test_status_of_a_server_never_started(tmp_path: Path) -> None:
    local = LocalNeo4j(tmp_path / "home", port=free_port(), launcher_dir=tmp_path / "launcher")
    status = local.status()
    assert (status.running, status.pid, status.uri, status.version) == (False, None, None, None)
    assert not (tmp_path / "home").exists()


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="heap"):
        LocalNeo4j(tmp_path, heap="lots", launcher_dir=tmp_path)
    with pytest.raises(ValueError, match="port"):
        LocalNeo4j(tmp_path, port=0, launcher_dir=tmp_path)


def test_password_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    local = LocalNeo4j(tmp_path / "home", launcher_dir=tmp_path / "launcher")
    first = local.password()
    assert len(first) >= 32
    assert stat.S_IMODE((tmp_path / "home" / "password").stat().st_mode) == 0o600
    assert local.auth == ("neo4j", first)
    assert LocalNeo4j(tmp_path / "home", launcher_dir=tmp_path / "launcher").password() == first


def test_password_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    (tmp_path / "password").write_text("a-long-enough-password\n")
    (tmp_path / "password").chmod(0o644)
    with pytest.raises(PasswordFileError, match="chmod 600"):
        LocalNeo4j(tmp_path, launcher_dir=tmp_path / "launcher").password()


def test_build_names_a_missing_maven(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    java = shutil.which("java")
    if java is None:
        pytest.skip("no java on PATH")
    only_java = tmp_path / "bin"
    only_java.mkdir()
    (only_java / "java").symlink_to(java)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(only_java))
    with pytest.raises(LauncherBuildError, match=r"mvn not found.*Maven 3\.6\.3 or newer"):
        LocalNeo4j(tmp_path / "home", launcher_dir=tmp_path / "launcher").build()


def test_build_names_a_missing_java(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LauncherBuildError, match=r"java not found.*Java 17 or newer"):
        LocalNeo4j(tmp_path / "home", launcher_dir=tmp_path / "launcher").build()


def test_a_failed_build_shows_mavens_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("java") is None or shutil.which("mvn") is None:
        pytest.skip("java or mvn missing")
    sources = tmp_path / "sources"
    (sources / "src/main/java/medkg/launcher").mkdir(parents=True)
    (sources / "pom.xml").write_text("""<project xmlns="http://maven.apache.org/POM/4.0.0">
      <modelVersion>4.0.0</modelVersion><groupId>t</groupId><artifactId>t</artifactId><version>1</version>
      <properties><maven.compiler.release>17</maven.compiler.release></properties>
      <build><plugins><plugin><groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId><version>3.13.0</version></plugin></plugins></build>
    </project>""")
    (sources / "src/main/java/medkg/launcher/Neo4jLauncher.java").write_text("class Broken { oops }")
    monkeypatch.setattr(graph.db.server, "SOURCES", sources)
    with pytest.raises(LauncherBuildError, match="(?s)launcher failed.*Neo4jLauncher.java"):
        LocalNeo4j(tmp_path / "home", launcher_dir=tmp_path / "launcher").build()
    assert not (tmp_path / "launcher" / graph.db.server.STAMP_NAME).exists()


# ---------------------------------------------------------------------- against the server


def test_status_of_the_running_server(server: LocalNeo4j) -> None:
    status = server.status()
    assert isinstance(status, ServerStatus)
    assert status.running and status.version == NEO4J_VERSION
    assert status.uri == f"bolt://127.0.0.1:{server.port}"
    assert status.pid is not None and psutil.pid_exists(status.pid)
    assert int((server.home / "neo4j.pid").read_text()) == status.pid
    assert status.data_dir == server.home / "data" and (status.data_dir / "databases" / "neo4j").is_dir()
    payload = json.loads(json.dumps(status.to_dict()))
    assert payload["running"] is True and payload["port"] == server.port
    assert payload["home"] == str(server.home) and payload["pid"] == status.pid


def test_password_file_of_the_server_is_private(server: LocalNeo4j) -> None:
    assert stat.S_IMODE((server.home / "password").stat().st_mode) == 0o600


def test_password_is_not_on_the_command_line_or_in_logs(server: LocalNeo4j) -> None:
    password = server.password()
    assert not any(password in arg for arg in psutil.Process(server.status().pid).cmdline())
    for log in [server.home / "launcher.log", *(server.home / "logs").glob("*.log")]:
        assert password not in log.read_text(errors="replace"), log


def test_the_right_password_is_accepted_without_a_forced_change(server: LocalNeo4j) -> None:
    with neo4j.GraphDatabase.driver(server.uri, auth=server.auth) as driver:
        records, _, _ = driver.execute_query("SHOW CURRENT USER YIELD user, passwordChangeRequired",
                                             database_="system")
    assert records[0]["user"] == "neo4j" and records[0]["passwordChangeRequired"] is False


def test_a_wrong_password_is_refused(server: LocalNeo4j) -> None:
    with neo4j.GraphDatabase.driver(server.uri, auth=("neo4j", "not-the-password")) as driver:
        with pytest.raises(neo4j.exceptions.AuthError):
            driver.verify_connectivity()


def test_bolt_listens_on_loopback_only(server: LocalNeo4j) -> None:
    pid = server.status().pid
    assert pid is not None
    assert_listens_on_loopback_only(pid, {server.port}, exact=False)


def test_start_is_idempotent(server: LocalNeo4j) -> None:
    before = server.status()
    again = server.start()
    assert again.running and again.pid == before.pid


def test_a_port_in_use_gives_a_clear_error(server: LocalNeo4j, tmp_path: Path) -> None:
    other = LocalNeo4j(tmp_path / "other", port=server.port, launcher_dir=server.launcher_dir)
    with pytest.raises(PortInUseError, match=str(server.port)):
        other.start()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        third = LocalNeo4j(tmp_path / "third", port=port, launcher_dir=server.launcher_dir)
        with pytest.raises(PortInUseError, match=f"port {port}"):
            third.start()
    assert not (tmp_path / "third" / "neo4j.pid").exists()


def test_data_survives_a_clean_stop_and_start(server: LocalNeo4j) -> None:
    marker = uuid.uuid4().hex
    with neo4j.GraphDatabase.driver(server.uri, auth=server.auth) as driver:
        driver.execute_query("UNWIND range(1, 100) AS i CREATE (:ServerTest {marker: $m, i: i})", m=marker)
    old_pid = server.status().pid

    stopped = server.stop()
    assert (stopped.running, stopped.pid, stopped.uri) == (False, None, None)
    assert not psutil.pid_exists(old_pid) or psutil.Process(old_pid).status() == psutil.STATUS_ZOMBIE
    assert not (server.home / "neo4j.pid").exists()
    assert server.stop().running is False  # idempotent
    debug_log = server.home / "logs" / "debug.log"
    seen = len(debug_log.read_text(errors="replace"))

    started = server.start()
    assert started.running and started.pid != old_pid
    assert count_marker(server, marker) == 100
    after = debug_log.read_text(errors="replace")[seen:]
    assert "Recovery" not in after and "recovery" not in after  # the stop was clean
