"""The ``medkg`` command: a thin layer over the entry functions of the package.

Every command a script would call takes ``--json`` and then prints exactly one JSON object on
stdout; progress bars and messages go to stderr. Bad input exits with status 2 and a message naming
what was wrong; other failures exit with status 1.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from graph.config import MedkgSettings

__all__ = ["app"]

app = typer.Typer(help="medkg: Chinese EMRs into a Neo4j medical knowledge graph.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="The embedded default Neo4j (127.0.0.1, auth on).", no_args_is_help=True)
kg_app = typer.Typer(help="Load and inspect the medical knowledge graph.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(kg_app, name="kg")
from graph.cli_embed import embed_app  # noqa: E402 - registered next to the others

app.add_typer(embed_app, name="embed")
from graph.cli_tagger import COMMANDS as _TAGGER_COMMANDS  # noqa: E402 - registered next to the others

for _name, _command in _TAGGER_COMMANDS:
    app.command(_name)(_command)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
err = Console(stderr=True)
out = Console()


def _emit(payload: dict[str, Any], as_json: bool, render: Callable[[dict[str, Any]], None]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
    else:
        render(payload)


def _fail(message: str, *, code: int, as_json: bool) -> NoReturn:
    if as_json:
        sys.stdout.write(json.dumps({"error": message}, ensure_ascii=False) + "\n")
    err.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def _kv_table(title: str, rows: dict[str, Any]) -> Table:
    table = Table(title=title, show_header=False)
    for key, value in rows.items():
        table.add_row(str(key), str(value))
    return table


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False) -> None:
    """medkg: Chinese EMRs into a Neo4j medical knowledge graph."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # the server's query notifications (e.g. "label does not exist" on an empty graph) are for -v
    logging.getLogger("neo4j.notifications").setLevel(logging.INFO if verbose else logging.ERROR)


# ------------------------------------------------------------------------------------------ db


def _local():  # noqa: ANN202 - imported lazily so `medkg --help` stays fast
    from graph.server import LocalNeo4j

    return LocalNeo4j.from_settings(MedkgSettings())


def _status_render(payload: dict[str, Any]) -> None:
    out.print(_kv_table("embedded Neo4j", payload))


@db_app.command("build")
def db_build(as_json: JsonFlag = False) -> None:
    """Build the Java launcher of the embedded Neo4j (Maven; downloads Neo4j on the first run)."""
    server = _local()
    try:
        classpath = server.build(quiet=as_json)
    except Exception as exc:  # noqa: BLE001 - report any build failure as a message, not a trace
        _fail(str(exc), code=1, as_json=as_json)
    _emit({"launcher_dir": str(server.launcher_dir), "classpath_entries": len(classpath)}, as_json,
          lambda p: out.print(f"launcher built in {p['launcher_dir']}"))


@db_app.command("start")
def db_start(as_json: JsonFlag = False) -> None:
    """Start the embedded Neo4j (builds the launcher on first use) and wait until Bolt answers."""
    try:
        status = _local().start()
    except Exception as exc:  # noqa: BLE001 - report any start failure as a message, not a trace
        _fail(str(exc), code=1, as_json=as_json)
    _emit(status.to_dict(), as_json, _status_render)


@db_app.command("stop")
def db_stop(as_json: JsonFlag = False) -> None:
    """Stop the embedded Neo4j cleanly."""
    _emit(_local().stop().to_dict(), as_json, _status_render)


@db_app.command("status")
def db_status(as_json: JsonFlag = False) -> None:
    """Where the embedded Neo4j is, whether it runs, its pid, version and data folder."""
    _emit(_local().status().to_dict(), as_json, _status_render)


@db_app.command("init")
def db_init(as_json: JsonFlag = False) -> None:
    """Apply the schema (constraints and indexes) to the resolved database; idempotent."""
    from graph.connection import GraphClient, resolve_connection

    info = resolve_connection()
    with GraphClient.from_info(info) as client:
        ran = client.apply_schema()
    _emit({"database": info.describe(), "statements": len(ran)}, as_json,
          lambda p: out.print(f"schema applied ({p['statements']} statements) on {p['database']['uri']}"))


# ------------------------------------------------------------------------------------------ kg


def _stats_render(payload: dict[str, Any]) -> None:
    out.print(_kv_table("nodes per label", payload["labels"]))
    out.print(_kv_table("relationships per type", payload["relationships"]))


@kg_app.command("load")
def kg_load(
    path: Annotated[Path, typer.Argument(help="A KG file, or a folder of files of the format.")],
    fmt: Annotated[str, typer.Option("--format", help="qasystem, xywy or triples.")] = "triples",
    source: Annotated[str | None, typer.Option(help="Source name recorded on nodes and edges.")] = None,
    confidence: Annotated[float, typer.Option(help="Confidence of this source's triples.")] = 0.8,
    encoding: Annotated[str | None, typer.Option(help="Force an encoding (default: UTF-8 or GBK).")] = None,
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Skip and count bad lines.")] = False,
    batch_size: Annotated[int, typer.Option(help="Rows per write transaction.")] = 10_000,
    as_json: JsonFlag = False,
) -> None:
    """Load a KG idempotently: a second load of a source changes nothing, a new source merges."""
    from pydantic import ValidationError

    from graph.connection import GraphClient
    from graph.kg_formats import FORMATS
    from graph.kg_loader import KGLoadError, LoadConfig, load_kg
    from graph.progress import progress_bars

    if fmt not in FORMATS:
        _fail(f"unknown --format {fmt!r}; choose one of: {', '.join(FORMATS)}", code=2, as_json=as_json)
    try:
        config = LoadConfig(format=fmt, source=source, confidence=confidence, encoding=encoding,
                            skip_invalid=skip_invalid, batch_size=batch_size)
    except ValidationError as exc:
        _fail(f"invalid option: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", code=2,
              as_json=as_json)
    try:
        with GraphClient.from_environment() as client, progress_bars(not as_json) as bars:
            result = load_kg(client, path, config, progress=bars)
    except (KGLoadError, FileNotFoundError, LookupError) as exc:
        _fail(str(exc), code=2, as_json=as_json)
    _emit(result.to_dict(), as_json, _load_render)


def _load_render(payload: dict[str, Any]) -> None:
    summary = {"source": payload["source"], "units read": payload["units_read"],
               "units skipped": payload["units_skipped"], **payload["written"],
               "seconds": payload["seconds"]["total"], **payload["rates"]}
    out.print(_kv_table(f"loaded {payload['format']}", summary))
    for line in payload["errors"][:10]:
        err.print(f"skipped: {line}", highlight=False, markup=False)


@kg_app.command("stats")
def kg_stats(as_json: JsonFlag = False) -> None:
    """Node counts per label, relationship counts per type."""
    from graph.connection import GraphClient
    from graph.stats import graph_stats

    with GraphClient.from_environment() as client:
        stats = graph_stats(client)
    _emit(stats.to_dict(), as_json, _stats_render)


# ------------------------------------------------------------------------------------------ link


@app.command("link")
def link(
    text: Annotated[str, typer.Argument(help="The mention to link, e.g. 爱若华.")],
    mention_type: Annotated[str | None, typer.Option("--type", help="NER type (Disease, Drug, LabTest, "
                                                     "...), CCKS label or KG label.")] = None,
    k: Annotated[int, typer.Option(help="How many candidates.", min=1, max=50)] = 5,
    as_json: JsonFlag = False,
) -> None:
    """Link one mention to KG concepts: top-k candidates with score and the step that decided."""
    from dataclasses import asdict

    from graph.connection import GraphClient
    from graph.linking import build_linker

    try:
        with GraphClient.from_environment() as client:
            result = build_linker(client).link(text, type=mention_type, k=k)
    except (ValueError, TypeError, LookupError) as exc:
        _fail(str(exc), code=2, as_json=as_json)
    payload = asdict(result) | {"method": result.method}
    _emit(payload, as_json, _link_render)


def _link_render(payload: dict[str, Any]) -> None:
    table = Table(title=f"{payload['mention']} -> {'NIL' if payload['is_nil'] else payload['best']['name']}")
    for column in ("concept", "name", "type", "score", "method"):
        table.add_column(column)
    for cand in payload["candidates"]:
        table.add_row(cand["concept_id"], cand["name"], cand["type"], f"{cand['score']:.3f}", cand["method"])
    out.print(table)
    if payload["is_nil"]:
        out.print(f"NIL: candidate concept {payload['nil_candidate_id']}")


# ------------------------------------------------------------------------------------------ demo


@app.command("demo")
def demo(as_json: JsonFlag = False) -> None:
    """The main job end to end on the sample data medkg ships (embedded Neo4j unless NEO4J_URI)."""
    from graph.demo import run_demo
    from graph.progress import progress_bars

    with progress_bars(not as_json) as bars:
        result = run_demo(progress=bars, log=None if as_json else err.print)
    _emit(result, as_json, lambda p: (out.print(_kv_table("demo", {
        "database": p["database"]["uri"], "sample KG": p["load"]["source"],
        "nodes created": p["load"]["written"]["nodes_created"],
        "relationships created": p["load"]["written"]["relationships_created"]})),
        _stats_render(p["stats"])))
