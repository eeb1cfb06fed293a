"""``medkg users``: add, list, disable, enable, passwd; the users live in a 0600 file under MEDKG_HOME (or the one
MEDKG_WEB_USERS names) that keeps only an argon2id hash, never in the graph; the web login follows each change."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cli_helpers import one_json
from graph_helpers import one
from typer.testing import CliRunner
from web_helpers import log_in, web_client

from app.cli import app
from graph.db.connection import ConnectionInfo, GraphClient

PASSWORD = "a long secret 1"


def users(*args: str, stdin: str | None = None) -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["users", *args, "--json"], input=stdin)
    return result.exit_code, one_json(result.stdout)


def users_file(tmp_path: Path) -> Path:
    """Where ``neo4j_env`` (MEDKG_HOME=tmp_path/home) puts the users."""
    return tmp_path / "home" / "web" / "users.json"


def test_users_round_trip(client: GraphClient, neo4j_env: ConnectionInfo, tmp_path: Path) -> None:
    code, added = users("add", "dora", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0 and added == {"name": "dora", "role": "viewer", "created": True}
    path = users_file(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    stored = json.loads(path.read_text(encoding="utf-8"))["users"]
    assert [u["name"] for u in stored] == ["dora"] and stored[0]["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in path.read_text(encoding="utf-8")
    http = web_client(client)
    assert log_in(http, "dora", PASSWORD).status_code == 303
    assert users("list")[1]["users"][0] | {"created_at": None, "password_changed_at": None} == {
        "name": "dora", "role": "viewer", "disabled": False, "created_at": None, "password_changed_at": None}

    assert users("disable", "dora") == (0, {"name": "dora", "disabled": True})
    assert log_in(web_client(client), "dora", PASSWORD).status_code == 401
    assert http.get("/search").status_code == 303  # the open session ended too
    assert users("list")[1]["users"][0]["disabled"] is True
    assert users("enable", "dora")[0] == 0
    assert users("passwd", "dora", "--password-stdin", stdin="another secret 2\n")[0] == 0
    assert log_in(web_client(client), "dora", PASSWORD).status_code == 401
    assert log_in(web_client(client), "dora", "another secret 2").status_code == 303
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # every rewrite keeps the mode


def test_the_graph_never_holds_a_password_hash(client: GraphClient, neo4j_env: ConnectionInfo) -> None:
    assert users("add", "gina", "--role", "curator", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    assert users("passwd", "gina", "--password-stdin", stdin="another secret 2\n")[0] == 0
    assert users("disable", "gina")[0] == 0
    assert log_in(web_client(client), "gina", "another secret 2").status_code == 401
    assert one(client, "MATCH (n) WHERE n.password_hash IS NOT NULL RETURN count(n) = 0") is True
    assert one(client, "MATCH (n) WHERE any(k IN keys(n) WHERE k CONTAINS 'password') RETURN count(n)") == 0


def test_the_listing_shows_neither_password_nor_hash(neo4j_env: ConnectionInfo, tmp_path: Path) -> None:
    assert users("add", "hana", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    digest = json.loads(users_file(tmp_path).read_text(encoding="utf-8"))["users"][0]["password_hash"]
    for args in (["users", "list", "--json"], ["users", "list"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0 and "hana" in result.output
        for secret in (PASSWORD, digest, "argon2", "password_hash"):
            assert secret not in result.output, (args, secret)


def test_refused_user_operations_exit_2(neo4j_env: ConnectionInfo) -> None:
    assert users("add", "erin", "--role", "curator", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    code, payload = users("add", "erin", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 2 and "exists" in payload["error"]
    assert users("add", "fred", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")[0] == 2
    assert users("add", "fred", "--role", "viewer", "--password-stdin", stdin="short\n")[0] == 2
    assert users("add", "bad name!", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")[0] == 2
    assert users("disable", "nobody")[0] == 2
    assert users("passwd", "nobody", "--password-stdin", stdin=PASSWORD + "\n")[0] == 2
    assert [u["name"] for u in users("list")[1]["users"]] == ["erin"]


def test_a_users_file_open_to_others_is_refused(neo4j_env: ConnectionInfo, tmp_path: Path) -> None:
    assert users("add", "ivan", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    path = users_file(tmp_path)
    before = path.read_bytes()
    path.chmod(0o640)
    for args in (["list"], ["disable", "ivan"], ["add", "jill", "--role", "viewer", "--password-stdin"]):
        code, payload = users(*args, stdin=PASSWORD + "\n")
        assert code == 1 and str(path) in payload["error"] and f"chmod 600 {path}" in payload["error"], args
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o640  # nothing changed
    path.chmod(0o600)
    assert [u["name"] for u in users("list")[1]["users"]] == ["ivan"]


def test_a_malformed_users_file_is_refused_with_its_name(neo4j_env: ConnectionInfo, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "elsewhere" / "users.json"
    monkeypatch.setenv("MEDKG_WEB_USERS", str(path))  # another file than MEDKG_HOME's
    assert users("add", "kim", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    assert path.is_file() and not users_file(tmp_path).exists()
    good = json.loads(path.read_text(encoding="utf-8"))
    for broken, what in (("{not json", "not JSON"), (json.dumps({**good, "format": "htpasswd"}), "format"),
                         (json.dumps({**good, "users": [{**good["users"][0], "role": "admin"}]}), "users.0.role"),
                         (json.dumps({**good, "users": [{**good["users"][0], "password_hash": "plain"}]}), "argon2id"),
                         (json.dumps({**good, "users": good["users"] * 2}), "twice")):
        path.write_text(broken, encoding="utf-8")
        code, payload = users("list")
        assert code == 1 and str(path) in payload["error"] and what in payload["error"], (broken, payload)
