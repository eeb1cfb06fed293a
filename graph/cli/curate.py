"""``medkg curate``: low-confidence triples, reversible pruning and candidate merges, with an audit log."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from graph.cli.common import JsonFlag, emit, fail, kv_table, out

__all__ = ["curate_app"]

curate_app = typer.Typer(help="Curate the KG: list, prune and restore triples, merge candidate concepts.",
                         no_args_is_help=True)

Below = Annotated[float, typer.Option("--below", help="Confidence threshold in 0..1 (strictly below is selected).")]
TypeOpt = Annotated[str | None, typer.Option("--type", help="One relationship type (e.g. HAS_SYMPTOM).")]
OriginOpt = Annotated[str | None, typer.Option("--origin", help="kg (asserted by a KG source) or records.")]
Actor = Annotated[str, typer.Option("--actor", help="Who curates (stored on the audit node).")]
Reason = Annotated[str, typer.Option("--reason", help="Why (stored on the audit node).")]


def _criteria(below: float, type_: str | None, origin: str | None, as_json: bool) -> Any:  # noqa: ANN401
    from graph.curate.actions import CurationError, PruneCriteria

    try:
        return PruneCriteria(below=below, type=type_, origin=origin)  # type: ignore[arg-type]
    except CurationError as exc:
        fail(str(exc), code=2, as_json=as_json)


def _triples_table(title: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=title)
    for column in ("head", "type", "tail", "confidence", "kg sources", "records"):
        table.add_column(column, overflow="fold")
    for r in rows[:200]:
        table.add_row(r["head"], r["type"], r["tail"], f"{r['confidence'] or 0:.3f}", ", ".join(r["kg_sources"]) or "-",
                      str(r["record_count"]))
    if len(rows) > 200:
        table.caption = f"first 200 of {len(rows)} (--json lists all)"
    return table


@curate_app.command("list")
def curate_list(below: Below, type_: TypeOpt = None, origin: OriginOpt = None,
                limit: Annotated[int, typer.Option(help="Most rows.")] = 10_000, as_json: JsonFlag = False) -> None:
    """Relationships with a confidence below --below, lowest first."""
    from graph.curate.actions import CurationError, list_low_confidence
    from graph.db.connection import GraphClient

    criteria = _criteria(below, type_, origin, as_json)
    try:
        with GraphClient.from_environment() as client:
            rows = list_low_confidence(client, criteria, limit)
    except CurationError as exc:
        fail(str(exc), code=2, as_json=as_json)
    triples = [{k: r[k] for k in ("head", "type", "tail", "confidence", "kg_sources", "record_sources",
                                  "record_count")} for r in rows]
    emit({"criteria": {"below": below, "type": type_, "origin": origin}, "count": len(triples), "triples": triples},
         as_json, lambda p: out.print(_triples_table(f"{p['count']} relationships below {below}", p["triples"])))


@curate_app.command("prune")
def curate_prune(below: Below, actor: Actor, reason: Reason, type_: TypeOpt = None, origin: OriginOpt = None,
                 apply: Annotated[bool, typer.Option("--apply", help="Prune; without it a dry run.")] = False,
                 batch_size: Annotated[int, typer.Option(help="Relationships per transaction.")] = 1000,
                 as_json: JsonFlag = False) -> None:
    """Archive and delete low-confidence relationships (a dry run that prints them unless --apply)."""
    from graph.curate.actions import CurationError, prune
    from graph.db.connection import GraphClient
    from graph.progress import progress_bars

    criteria = _criteria(below, type_, origin, as_json)
    try:
        with GraphClient.from_environment() as client, progress_bars(enabled=not as_json) as bars:
            result = prune(client, criteria, actor=actor, reason=reason, apply=apply, batch_size=batch_size,
                           progress=bars)
    except CurationError as exc:
        fail(str(exc), code=2, as_json=as_json)

    def render(p: dict[str, Any]) -> None:
        if not p["applied"]:
            out.print(_triples_table(f"dry run: {p['selected']} relationships would be pruned (add --apply)",
                                     p["triples"]))
        else:
            out.print(kv_table("prune", {"action": p["action_id"] or "-", "status": p["status"],
                                         "pruned": p["pruned"], "batches": p["batches"]}))
            if p["action_id"]:
                out.print(f"undo with: medkg curate restore {p['action_id']} --actor NAME", highlight=False)

    emit(result.to_dict(), as_json, render)


@curate_app.command("restore")
def curate_restore(action_id: Annotated[str, typer.Argument(help="A prune or merge action (medkg curate log).")],
                   actor: Actor, reason: Annotated[str, typer.Option("--reason", help="Why.")] = "restore",
                   as_json: JsonFlag = False) -> None:
    """Undo a prune or a merge exactly; a second restore changes nothing."""
    from graph.curate.actions import CurationError, restore
    from graph.db.connection import GraphClient

    try:
        with GraphClient.from_environment() as client:
            result = restore(client, action_id, actor=actor, reason=reason)
    except CurationError as exc:
        fail(str(exc), code=2, as_json=as_json)
    emit(result, as_json, lambda p: out.print(kv_table(f"restore of {action_id}", p)))


@curate_app.command("merge")
def curate_merge(candidate: Annotated[str, typer.Argument(help="Candidate concept id (candidate:<Type>:<text>).")],
                 into: Annotated[str, typer.Option("--into", help="The curated concept id.")], actor: Actor,
                 reason: Reason, as_json: JsonFlag = False) -> None:
    """Move a candidate concept's mention links to a curated concept and record the alias."""
    from graph.curate.actions import CurationError, merge_candidate
    from graph.db.connection import GraphClient

    try:
        with GraphClient.from_environment() as client:
            result = merge_candidate(client, candidate, into, actor=actor, reason=reason)
    except CurationError as exc:
        fail(str(exc), code=2, as_json=as_json)
    emit(result, as_json, lambda p: out.print(kv_table(f"merged {candidate} into {into}", p)))


@curate_app.command("log")
def curate_log(limit: Annotated[int, typer.Option(help="Most actions.")] = 100, as_json: JsonFlag = False) -> None:
    """The curation actions, newest first."""
    from graph.curate.actions import curation_log
    from graph.db.connection import GraphClient

    with GraphClient.from_environment() as client:
        rows = curation_log(client, limit)

    def render(p: dict[str, Any]) -> None:
        table = Table(title="curation log")
        for column in ("id", "kind", "status", "actor", "reason", "count", "at", "target / criteria"):
            table.add_column(column, overflow="fold")
        for a in p["actions"]:
            table.add_row(a["id"], a["kind"], a["status"], a["actor"], a["reason"], str(a["count"]), a["at"],
                          a["target"] or a["criteria"])
        out.print(table)

    emit({"actions": rows}, as_json, render)
