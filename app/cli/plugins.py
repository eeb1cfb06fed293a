"""``medkg plugins``: the extraction plugins stored in the graph."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli.common import JsonFlag, emit, fail, kv_table, out

__all__ = ["plugins_app"]

plugins_app = typer.Typer(help="Extraction plugins stored in the graph as (:Extractor) nodes.", no_args_is_help=True)


def _table(payload: dict[str, Any]) -> None:
    table = Table(title="stored extractors (run order)")
    for column in ("id", "kind", "enabled", "runs", "artifact"):
        table.add_column(column)
    for x in payload["extractors"]:
        table.add_row(x["id"], x["kind"], "yes" if x["enabled"] else "no", str(x["runs"]),
                      (x["artifact_sha256"] or "-")[:12])
    out.print(table)
    if payload["installed"]:
        out.print("installed: " + ", ".join(s["id"] for s in payload["installed"]))


@plugins_app.command("list")
def plugins_list(as_json: JsonFlag = False) -> None:
    """Stored extractors in run order, and the plugins installed here."""
    from app.plugins import plugin_inventory
    from graph.db.connection import GraphClient

    with GraphClient.from_environment() as client:
        inventory = plugin_inventory(client)
    emit(inventory, as_json, _table)


@plugins_app.command("register")
def plugins_register(
    name: Annotated[str, typer.Argument(help="Plugin name (gazetteer-ner, cbt-kg-tagger, kg-linker, ...).")],
    version: Annotated[str | None, typer.Option(help="Plugin version (default: the newest installed).")] = None,
    config: Annotated[str | None, typer.Option(help="Plugin config as a JSON object.")] = None,
    model: Annotated[Path | None, typer.Option(
        help="cbt-kg-tagger, entity-marker-relations or learned-assertion: the model folder.")] = None,
    enable: Annotated[bool, typer.Option("--enable", help="Enable it too.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Replace the config of a version that never ran.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Store an installed plugin in the graph (idempotent); ``--model DIR`` for a trained model.

    With ``--enable``, the default plugins (``context-assertion``) are stored and enabled too when the graph
    has no plugin of their kind yet. One assertion plugin is enabled at a time: to use ``learned-assertion``,
    ``medkg plugins disable context-assertion`` first.
    """
    from app.plugins import register_extractor
    from graph.db.connection import GraphClient
    from graph.watch.plugins import PluginError
    from kgmodel.formats import json_problem

    try:
        options = json.loads(config) if config else {}
    except json.JSONDecodeError as exc:
        fail(f"--config is not JSON: {json_problem(exc)}", code=2, as_json=as_json)
    if not isinstance(options, dict):
        fail("--config must be a JSON object", code=2, as_json=as_json)
    try:
        with GraphClient.from_environment() as client:
            payload = register_extractor(client, name, version, options, model_dir=model, enable=enable,
                                         replace=replace)
    except PluginError as exc:
        fail(str(exc), code=2, as_json=as_json)
    emit(payload, as_json, lambda p: out.print(kv_table(f"registered {p['id']}", {
        "kind": p["kind"], "enabled": p["enabled"], "artifact": p["artifact_sha256"] or "-",
        **({"note": p["note"]} if "note" in p else {}),
        **({"also enabled (default)": ", ".join(p["also_enabled"])} if "also_enabled" in p else {})})))


def _set(extractor: str, enabled: bool, as_json: bool) -> None:
    from graph.db.connection import GraphClient
    from graph.watch.plugins import PluginError, set_enabled

    try:
        with GraphClient.from_environment() as client:
            stored = set_enabled(client, extractor, enabled)
    except PluginError as exc:
        fail(str(exc), code=2, as_json=as_json)
    emit(stored.to_dict(), as_json, lambda p: out.print(f"{p['id']}: {'enabled' if p['enabled'] else 'disabled'}"))


@plugins_app.command("enable")
def plugins_enable(extractor: Annotated[str, typer.Argument(help="name@version (or an unambiguous name).")],
                   as_json: JsonFlag = False) -> None:
    """Enable a stored extractor; running watchers pick it up at their next cycle."""
    _set(extractor, True, as_json)


@plugins_app.command("disable")
def plugins_disable(extractor: Annotated[str, typer.Argument(help="name@version (or an unambiguous name).")],
                    as_json: JsonFlag = False) -> None:
    """Disable a stored extractor; running watchers drop it at their next cycle."""
    _set(extractor, False, as_json)


@plugins_app.command("show")
def plugins_show(extractor: Annotated[str, typer.Argument(help="name@version (or a name).")],
                 as_json: JsonFlag = False) -> None:
    """One stored extractor with its full config."""
    from graph.db.connection import GraphClient
    from graph.watch.plugins import PluginError, get_extractor

    try:
        with GraphClient.from_environment() as client:
            stored = get_extractor(client, extractor)
    except PluginError as exc:
        fail(str(exc), code=2, as_json=as_json)
    emit(stored.to_dict(), as_json, lambda p: out.print(kv_table(p["id"], {
        k: (json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v) for k, v in p.items()})))
