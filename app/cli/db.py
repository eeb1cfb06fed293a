"""``medkg db``: build, start, stop and inspect the embedded default Neo4j; apply the schema."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from app.cli.common import JsonFlag, emit, fail, kv_table, out
from graph.db.config import MedkgSettings

__all__ = ["db_app"]

db_app = typer.Typer(help="The embedded default Neo4j (127.0.0.1, auth on).", no_args_is_help=True)


def _local():  # imported lazily so `medkg --help` stays fast
    from graph.db.server import LocalNeo4j

    return LocalNeo4j.from_settings(MedkgSettings())


def _status_render(payload: dict[str, Any]) -> None:
    out.print(kv_table("embedded Neo4j", payload))


@db_app.command("build")
def db_build(as_json: JsonFlag = False) -> None:
    """Build the Java launcher of the embedded Neo4j (Maven; downloads Neo4j on the first run)."""
    server = _local()
    try:
        classpath = server.build(quiet=as_json)
    except Exception as exc:  # report any build failure as a message, not a trace
        fail(str(exc), code=1, as_json=as_json)
    emit({"launcher_dir": str(server.launcher_dir), "classpath_entries": len(classpath)}, as_json,
         lambda p: out.print(f"launcher built in {p['launcher_dir']}"))


BrowserFlag = Annotated[bool, typer.Option(
    "--browser", help="Also serve Neo4j Browser over HTTP on 127.0.0.1 (same user and password); "
    "without it HTTP stays off.")]
HttpPortOption = Annotated[int | None, typer.Option(
    "--http-port", min=1, max=65535, help="HTTP port of Neo4j Browser (default: MEDKG_NEO4J_HTTP_PORT, else 7474).")]


@db_app.command("start")
def db_start(as_json: JsonFlag = False, browser: BrowserFlag = False, http_port: HttpPortOption = None) -> None:
    """Start the embedded Neo4j (builds the launcher on first use) and wait until Bolt answers."""
    if http_port is not None and not browser:
        fail("--http-port needs --browser", code=2, as_json=as_json)
    server = _local()
    try:
        status = server.start(browser=browser, http_port=http_port)
    except ValueError as exc:
        fail(str(exc), code=2, as_json=as_json)
    except Exception as exc:  # report any start failure as a message, not a trace
        fail(str(exc), code=1, as_json=as_json)

    def render(payload: dict[str, Any]) -> None:
        _status_render(payload)
        if payload["browser_url"]:
            out.print(f"Neo4j Browser: {payload['browser_url']}  (log in as neo4j with the password in "
                      f"{server.password_file})", highlight=False, soft_wrap=True)

    emit(status.to_dict(), as_json, render)


@db_app.command("stop")
def db_stop(as_json: JsonFlag = False) -> None:
    """Stop the embedded Neo4j cleanly."""
    emit(_local().stop().to_dict(), as_json, _status_render)


@db_app.command("status")
def db_status(as_json: JsonFlag = False) -> None:
    """Where the embedded Neo4j is, whether it runs, its pid, version and data folder."""
    emit(_local().status().to_dict(), as_json, _status_render)


@db_app.command("init")
def db_init(as_json: JsonFlag = False) -> None:
    """Apply the schema (constraints and indexes) to the resolved database; idempotent."""
    from graph.db.connection import GraphClient, resolve_connection

    info = resolve_connection()
    with GraphClient.from_info(info) as client:
        ran = client.apply_schema()
    emit({"database": info.describe(), "statements": len(ran)}, as_json,
         lambda p: out.print(f"schema applied ({p['statements']} statements) on {p['database']['uri']}"))
