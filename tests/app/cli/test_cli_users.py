"""``medkg users``: add, list, disable, enable, passwd, against a real Neo4j; the graph keeps only an argon2 hash,
and the web login follows each change."""

from __future__ import annotations

from cli_helpers import one_json
from typer.testing import CliRunner
from web_helpers import log_in, web_client

from app.cli import app
from graph.db.connection import ConnectionInfo, GraphClient

PASSWORD = "a long secret 1"


def users(*args: str, stdin: str | None = None) -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["users", *args, "--json"], input=stdin)
    return result.exit_code, one_json(result.stdout)


def test_users_round_trip(client: GraphClient, neo4j_env: ConnectionInfo) -> None:
    code, added = users("add", "dora", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0 and added == {"name": "dora", "role": "viewer", "created": True}
    with client.session() as session:
        stored = session.run("MATCH (u:WebUser {name: 'dora'}) RETURN properties(u) AS p").single(strict=True)["p"]
    assert stored["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in [str(v) for v in stored.values()]
    http = web_client(client)
    assert log_in(http, "dora", PASSWORD).status_code == 303
    assert users("list")[1]["users"][0] | {"created_at": None, "password_changed_at": None} == {
        "name": "dora", "role": "viewer", "disabled": False, "created_at": None, "password_changed_at": None}

    assert users("disable", "dora") == (0, {"name": "dora", "disabled": True})
    assert log_in(web_client(client), "dora", PASSWORD).status_code == 401
    assert users("list")[1]["users"][0]["disabled"] is True
    assert users("enable", "dora")[0] == 0
    assert users("passwd", "dora", "--password-stdin", stdin="another secret 2\n")[0] == 0
    assert log_in(web_client(client), "dora", PASSWORD).status_code == 401
    assert log_in(web_client(client), "dora", "another secret 2").status_code == 303


def test_refused_user_operations_exit_2(client: GraphClient, neo4j_env: ConnectionInfo) -> None:
    assert users("add", "erin", "--role", "curator", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    code, payload = users("add", "erin", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 2 and "exists" in payload["error"]
    assert users("add", "fred", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")[0] == 2
    assert users("add", "fred", "--role", "viewer", "--password-stdin", stdin="short\n")[0] == 2
    assert users("add", "bad name!", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")[0] == 2
    assert users("disable", "nobody")[0] == 2
    assert users("passwd", "nobody", "--password-stdin", stdin=PASSWORD + "\n")[0] == 2
