"""``medkg serve``'s settings: loopback by default, beyond it only with TLS or --insecure-http spelled out."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from neo4j_helpers import assert_listens_on_loopback_only
from typer.testing import CliRunner

from app.cli import app
from app.web.config import WebConfig
from app.web.server import ServeRefused, binding_warning, check_binding
from graph.db.connection import ConnectionInfo
from graph.db.server import free_port


def test_loopback_is_the_default_and_needs_nothing() -> None:
    for host in ("127.0.0.1", "::1", "localhost"):
        config = WebConfig(host=host)
        check_binding(config)
        assert binding_warning(config) is None


def test_beyond_loopback_needs_tls_or_insecure_http() -> None:
    with pytest.raises(ServeRefused, match="--tls-cert and --tls-key, or --insecure-http"):
        check_binding(WebConfig(host="0.0.0.0"))
    insecure = WebConfig(host="0.0.0.0", insecure_http=True)
    check_binding(insecure)
    assert "plain HTTP" in (binding_warning(insecure) or "")
    tls = WebConfig(host="10.1.2.3", tls_cert="c.pem", tls_key="k.pem")
    check_binding(tls)
    assert tls.tls and "10.1.2.3" in (binding_warning(tls) or "")


def test_the_command_refuses_before_touching_the_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:1")  # nothing there: a refusal must come first
    monkeypatch.setenv("NEO4J_PASSWORD", "unused")
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "not a loopback address" in result.output
    result = CliRunner().invoke(app, ["serve", "--tls-cert", "c.pem"])
    assert result.exit_code == 2 and "together" in result.output


def test_serve_refuses_a_users_file_open_to_others(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:1")  # nothing there: the users file is checked first
    monkeypatch.setenv("NEO4J_PASSWORD", "unused")
    users = tmp_path / "users.json"
    users.write_text('{"format": "medkg-web-users", "version": 1, "users": []}', encoding="utf-8")
    users.chmod(0o644)
    monkeypatch.setenv("MEDKG_WEB_USERS", str(users))
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2 and "chmod 600" in result.output and "users.json" in result.output


def test_medkg_serve_answers_over_http(neo4j_env: ConnectionInfo, tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], stdout=log,
                              stderr=subprocess.STDOUT, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/search", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.5)
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/search"
        login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login.status_code == 200 and "content-security-policy" in login.headers
        assert "server" not in login.headers
        assert_listens_on_loopback_only(server.pid, {port})
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert f"http://127.0.0.1:{port}/" in (tmp_path / "serve.log").read_text()
