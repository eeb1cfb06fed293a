"""``medkg query``: the analysts' query library and ad-hoc Cypher, read-only."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from app.cli.common import JsonFlag, emit, fail, out, shown

if TYPE_CHECKING:
    from graph.analyst.library import QueryResult

__all__ = ["query_command"]


def _pairs(raw: list[str], as_json: bool) -> dict[str, str]:
    given: dict[str, str] = {}
    for item in raw:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            fail(f"--param {item!r}: expected NAME=VALUE", code=2, as_json=as_json)
        given[name.strip()] = value
    return given


def _render_list(payload: dict[str, Any]) -> None:
    table = Table(title="query library (cypher/analyst)")
    for column in ("name", "parameters", "description"):
        table.add_column(column, overflow="fold")
    for q in payload["queries"]:
        params = ", ".join(f"{p['name']}: {p['type']}" + ("" if p["required"] else f" = {json.dumps(p['default'])}")
                           for p in q["params"])
        table.add_row(q["name"], params or "-", q["description"])
    out.print(table)


def _render_table(payload: dict[str, Any]) -> None:
    table = Table(title=f"{payload['query']} ({payload['row_count']} rows, {payload['seconds']} s)")
    for column in payload["columns"]:
        table.add_column(column, overflow="fold")
    for row in payload["rows"]:
        table.add_row(*(shown(row.get(c)) for c in payload["columns"]))
    out.print(table)
    if payload["note"]:
        out.print(f"note: {payload['note']}", highlight=False)


def _write_csv(result: QueryResult) -> None:
    """CSV on stdout, text cells a spreadsheet would take for formulas quoted as the web's download quotes them.

    No byte-order mark: the next tool of a pipe reads the text as it is.
    """
    from app.querying import result_csv

    sys.stdout.write(result_csv(result, bom=False, lineterminator="\n"))
    if result.note:
        sys.stderr.write(f"note: {result.note}\n")


def query_command(
    name: Annotated[str | None, typer.Argument(help="A library query (see --list).")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE; repeat the option.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    list_: Annotated[bool, typer.Option("--list", help="List the library: names, descriptions, parameters.")] = False,
    cypher: Annotated[str | None, typer.Option("--cypher", help="An ad-hoc statement (read-only).")] = None,
    limit: Annotated[int, typer.Option(help="Most rows returned; a note says when it cut.")] = 1000,
    timeout: Annotated[float, typer.Option(help="Seconds the whole query may take, retries included.")] = 30.0,
    as_json: JsonFlag = False,
) -> None:
    """Run a library query or an ad-hoc statement in a read transaction (the server refuses writes)."""
    from app.querying import LibraryFileError, query_library, run_query
    from graph.analyst.library import QueryError
    from graph.db.connection import GraphClient

    if fmt not in ("table", "json", "csv"):
        fail(f"unknown --format {fmt!r}; choose one of: table, json, csv", code=2, as_json=as_json)
    fmt = "json" if as_json else fmt
    as_json = fmt == "json"
    if list_:
        try:
            specs = query_library()
        except LibraryFileError as exc:
            fail(str(exc), code=1, as_json=as_json)
        emit({"queries": [s.to_dict() for s in specs]}, as_json, _render_list)
        return
    if (name is None) == (cypher is None):
        fail("give a query NAME or --cypher TEXT (exactly one); --list shows the library", code=2, as_json=as_json)
    given = _pairs(param or [], as_json)
    try:
        with GraphClient.from_environment() as client:
            result = run_query(client, name=name, cypher=cypher, params=given, row_limit=limit, timeout=timeout)
    except QueryError as exc:
        fail(str(exc), code=2, as_json=as_json)
    if fmt == "csv":
        _write_csv(result)
    else:
        emit(result.to_dict(), as_json, _render_table)
