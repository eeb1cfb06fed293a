"""``medkg curate``: low-confidence triples, reversible pruning and candidate merges, with an audit log.

Ids (concepts, actions) are printed whole on one line in every table, so that they can be copied.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.cells import cell_len
from rich.table import Table

from app.cli.common import JsonFlag, emit, err, fail, kv_table, out

if TYPE_CHECKING:
    from graph.curate.actions import PrunePlan

__all__ = ["curate_app"]

curate_app = typer.Typer(help="Curate the KG: list, prune and restore triples, merge candidate concepts.",
                         no_args_is_help=True)

Below = Annotated[float, typer.Option("--below", help="Confidence threshold in 0..1 (strictly below is selected).")]
TypeOpt = Annotated[str | None, typer.Option("--type", help="One relationship type (e.g. HAS_SYMPTOM).")]
OriginOpt = Annotated[str | None, typer.Option("--origin", help="kg (asserted by a KG source) or records.")]
HeadOpt = Annotated[str | None, typer.Option("--head", help="Only relationships from this concept id.")]
TailOpt = Annotated[str | None, typer.Option("--tail", help="Only relationships to this concept id.")]
Actor = Annotated[str | None, typer.Option(
    "--actor", help="Who curates (stored on the audit node); default: the operating-system user.")]
Reason = Annotated[str, typer.Option("--reason", help="Why (stored on the audit node).")]


def _criteria(below: float, type_: str | None, origin: str | None, as_json: bool, head: str | None = None,
              tail: str | None = None) -> Any:
    from graph.curate.actions import CurationError, PruneCriteria

    try:
        # origin is the user's text: PruneCriteria itself refuses one that is not an Origin (CurationError)
        return PruneCriteria(below=below, type=type_, origin=origin, head=head, tail=tail)  # type: ignore[arg-type]
    except CurationError as exc:
        fail(str(exc), code=2, as_json=as_json)


def _actor(actor: str | None, as_json: bool) -> str:
    """``--actor``, else the operating-system user (a clear failure when there is none)."""
    from graph.curate.actions import CurationError, operating_system_user

    if actor is not None:
        return actor
    try:
        return operating_system_user()
    except CurationError as exc:
        fail(str(exc), code=2, as_json=as_json)


def _id_column(table: Table, header: str, values: list[str]) -> None:
    """A column of ids: never wrapped or cut, so that each can be copied whole."""
    lines = [line for value in values for line in value.splitlines()]
    table.add_column(header, no_wrap=True, min_width=max(map(cell_len, [header, *lines])))


def _show(table: Table) -> None:
    """Print ``table``, never with an id wrapped or cut.

    When its id columns need more than the terminal's width the table is printed wider (the terminal
    folds the lines; each id stays whole in the text).
    """
    columns = table.columns
    fixed = sum(c.min_width or 0 for c in columns if c.no_wrap)
    need = fixed + 4 * sum(1 for c in columns if not c.no_wrap) + 3 * len(columns) + 1
    if need > out.width:
        table.width = need
    out.print(table, crop=False)


def _when(stamp: str | None) -> str:
    """A stored datetime to the second (``2025-06-01 12:00:00``)."""
    return stamp[:19].replace("T", " ") if stamp else "-"


def _triples_table(title: str, rows: list[dict[str, Any]]) -> Table:
    shown = rows[:200]
    table = Table(title=title)
    _id_column(table, "head", [r["head"] for r in shown])
    table.add_column("type", overflow="fold")
    _id_column(table, "tail", [r["tail"] for r in shown])
    for column in ("confidence", "kg sources", "records"):
        table.add_column(column, overflow="fold")
    for r in shown:
        table.add_row(r["head"], r["type"], r["tail"], f"{r['confidence'] or 0:.3f}", ", ".join(r["kg_sources"]) or "-",
                      str(r["record_count"]))
    if len(rows) > 200:
        table.caption = f"first 200 of {len(rows)} (--json lists all)"
    return table


def _render_suppressed(payload: dict[str, Any]) -> None:
    """One table per prune action, headed by the action's id, when and by whom."""
    if not payload["suppressed"]:
        out.print("no suppressed relationships", highlight=False)
        return
    by_action: dict[str, list[dict[str, Any]]] = {}
    for row in payload["suppressed"]:
        by_action.setdefault(row["action_id"], []).append(row)
    for action_id, rows in by_action.items():
        first = rows[0]
        out.print(f"{action_id}  pruned {_when(first['pruned_at'])} by {first['actor']}: {first['reason']}",
                  soft_wrap=True, highlight=False, markup=False)
        table = Table()
        _id_column(table, "head", [r["head"] for r in rows])
        table.add_column("type", overflow="fold")
        _id_column(table, "tail", [r["tail"] for r in rows])
        table.add_column("new mentions", overflow="fold")
        table.add_column("records", overflow="fold")
        for r in rows:
            table.add_row(r["head"], r["type"], r["tail"], str(r["arrived"]), str(r["arrived_records"]))
        _show(table)
    out.print(f"{payload['count']} suppressed; medkg curate restore ACTION_ID brings one prune back",
              highlight=False)


def _list_suppressed(type_: str | None, limit: int, as_json: bool) -> None:
    from graph.curate.actions import CurationError, list_suppressed
    from graph.db.connection import GraphClient

    try:
        with GraphClient.from_environment() as client:
            rows = list_suppressed(client, type_, limit)
    except CurationError as exc:
        fail(str(exc), code=2, as_json=as_json)
    emit({"type": type_, "count": len(rows), "suppressed": rows}, as_json, _render_suppressed)


@curate_app.command("list")
def curate_list(below: Annotated[float | None, typer.Option(
                    "--below", help="Confidence threshold in 0..1 (strictly below is selected).")] = None,
                type_: TypeOpt = None, origin: OriginOpt = None, head: HeadOpt = None, tail: TailOpt = None,
                suppressed: Annotated[bool, typer.Option(
                    "--suppressed", help="List pruned relationships the watcher keeps from coming back instead.")]
                = False,
                limit: Annotated[int, typer.Option(help="Most rows.")] = 10_000, as_json: JsonFlag = False) -> None:
    """Relationships with a confidence below --below, lowest first; or, with --suppressed, the pruned ones."""
    from graph.curate.actions import CurationError, list_low_confidence
    from graph.db.connection import GraphClient

    if suppressed:
        if below is not None or origin is not None or head is not None or tail is not None:
            fail("--suppressed lists every pruned relationship not restored; it takes --type, not --below, "
                 "--origin, --head or --tail", code=2, as_json=as_json)
        _list_suppressed(type_, limit, as_json)
        return
    if below is None:
        fail("--below is required (or --suppressed)", code=2, as_json=as_json)
    criteria = _criteria(below, type_, origin, as_json, head, tail)
    try:
        with GraphClient.from_environment() as client:
            rows = list_low_confidence(client, criteria, limit)
    except CurationError as exc:
        fail(str(exc), code=2, as_json=as_json)
    triples = [{k: r[k] for k in ("head", "type", "tail", "confidence", "kg_sources", "record_sources",
                                  "record_count")} for r in rows]
    emit({"criteria": {"below": below, "type": type_, "origin": origin, "head": head, "tail": tail},
          "count": len(triples), "triples": triples},
         as_json, lambda p: _show(_triples_table(f"{p['count']} relationships below {below}", p["triples"])))


def _interactive() -> bool:
    """Whether a curator is there to answer (stdin and stderr are a terminal)."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def _confirmation(yes: bool) -> bool | Callable[[PrunePlan], bool]:
    """``--yes``: confirmed; on a terminal: ask (on stderr, stdout stays clean); otherwise: not confirmed."""
    if yes:
        return True
    if not _interactive():
        return False

    def ask(plan: PrunePlan) -> bool:
        err.print(f"This prune selects {' and '.join(plan.reasons)}:", highlight=False)
        err.print(f"  {plan.describe()}", highlight=False, soft_wrap=True)
        return typer.confirm(f"Archive and delete these {plan.selected:,} relationships?", default=False, err=True)

    return ask


@curate_app.command("prune")
def curate_prune(below: Below, reason: Reason, actor: Actor = None, type_: TypeOpt = None, origin: OriginOpt = None,
                 head: HeadOpt = None, tail: TailOpt = None,
                 apply: Annotated[bool, typer.Option("--apply", help="Prune; without it a dry run.")] = False,
                 yes: Annotated[bool, typer.Option(
                     "--yes", help="Confirm a large prune or one of KG-asserted relationships without asking.")]
                 = False,
                 batch_size: Annotated[int, typer.Option(help="Relationships per transaction.")] = 1000,
                 as_json: JsonFlag = False) -> None:
    """Archive and delete low-confidence relationships (a dry run that prints them unless --apply).

    A large applied prune, or one that selects a KG-asserted relationship, asks on a terminal; else --yes.
    """
    from app.progress import progress_bars
    from graph.curate.actions import ConfirmationRequired, CurationError, prune
    from graph.db.connection import GraphClient

    criteria = _criteria(below, type_, origin, as_json, head, tail)
    who = _actor(actor, as_json)
    try:
        with GraphClient.from_environment() as client, ExitStack() as stack:
            def bars(description: str, total: int) -> Callable[[int], None]:  # drawn once confirmed, not before
                return stack.enter_context(progress_bars(enabled=not as_json))(description, total)

            result = prune(client, criteria, actor=who, reason=reason, apply=apply, confirm=_confirmation(yes),
                           batch_size=batch_size, progress=bars)
    except ConfirmationRequired as exc:
        if exc.declined:
            fail(f"cancelled: {exc}", code=1, as_json=as_json)
        fail(f"{exc}; add --yes to confirm it (there is no terminal to ask on)", code=2, as_json=as_json)
    except CurationError as exc:
        fail(str(exc), code=2, as_json=as_json)

    def render(p: dict[str, Any]) -> None:
        if not p["applied"]:
            _show(_triples_table(f"dry run: {p['selected']} relationships would be pruned (add --apply)",
                                 p["triples"]))
            if p["needs_confirmation"]:
                out.print("applying it needs confirmation (asked on a terminal, else --yes)", highlight=False)
        else:
            out.print(kv_table("prune", {"action": p["action_id"] or "-", "status": p["status"],
                                         "pruned": p["pruned"], "batches": p["batches"]}))
            if p["action_id"]:
                out.print(f"undo with: medkg curate restore {p['action_id']}", highlight=False,
                          soft_wrap=True)

    emit(result.to_dict(), as_json, render)


@curate_app.command("restore")
def curate_restore(action_id: Annotated[str, typer.Argument(help="A prune or merge action (medkg curate log).")],
                   actor: Actor = None, reason: Annotated[str, typer.Option("--reason", help="Why.")] = "restore",
                   as_json: JsonFlag = False) -> None:
    """Undo a prune or a merge exactly; a second restore changes nothing.

    A restored relationship gets the record evidence that arrived while it was pruned.
    """
    from graph.curate.actions import CurationError, restore
    from graph.db.connection import GraphClient

    who = _actor(actor, as_json)
    try:
        with GraphClient.from_environment() as client:
            result = restore(client, action_id, actor=who, reason=reason)
    except CurationError as exc:
        fail(str(exc), code=2, as_json=as_json)
    emit(result, as_json, lambda p: out.print(kv_table(f"restore of {action_id}", p)))


@curate_app.command("merge")
def curate_merge(candidate: Annotated[str, typer.Argument(help="Candidate concept id (candidate:<Type>:<text>).")],
                 into: Annotated[str, typer.Option("--into", help="The curated concept id.")], reason: Reason,
                 actor: Actor = None, as_json: JsonFlag = False) -> None:
    """Move a candidate concept's mention links to a curated concept and record the alias."""
    from graph.curate.actions import CurationError, merge_candidate
    from graph.db.connection import GraphClient

    who = _actor(actor, as_json)
    try:
        with GraphClient.from_environment() as client:
            result = merge_candidate(client, candidate, into, actor=who, reason=reason)
    except CurationError as exc:
        fail(str(exc), code=2, as_json=as_json)
    emit(result, as_json, lambda p: out.print(kv_table(f"merged {candidate} into {into}", p)))


def _criteria_text(action: dict[str, Any]) -> str:
    """An action's criteria in words (``below 0.5, origin records``; ``candidate -> concept``)."""
    try:
        criteria = json.loads(action["criteria"] or "{}")
    except ValueError:
        return str(action["criteria"])
    if action["kind"] == "merge" and {"candidate", "into"} <= set(criteria):
        return f"{criteria['candidate']} -> {criteria['into']}"
    if action["kind"] == "restore":
        return ""
    return ", ".join(f"{key} {value}" for key, value in criteria.items())


def _log_table(actions: list[dict[str, Any]]) -> Table:
    """The log in five columns, readable on a narrow terminal.

    A restore's id has the id of the action it undid on a second line.
    """
    ids = [a["id"] + (f"\n↩ {a['target']}" if a["target"] else "") for a in actions]
    table = Table(title="curation log")
    _id_column(table, "id", ids)
    for column in ("kind / status", "count", "by / at", "reason / criteria"):
        table.add_column(column, overflow="fold")
    for shown, a in zip(ids, actions, strict=True):
        table.add_row(shown, f"{a['kind']}\n{a['status']}", str(a["count"]), f"{a['actor']}\n{_when(a['at'])}",
                      "\n".join(part for part in (a["reason"], _criteria_text(a)) if part))
    return table


@curate_app.command("log")
def curate_log(limit: Annotated[int, typer.Option(help="Most actions.")] = 100, as_json: JsonFlag = False) -> None:
    """The curation actions, newest first."""
    from graph.curate.actions import curation_log
    from graph.db.connection import GraphClient

    with GraphClient.from_environment() as client:
        rows = curation_log(client, limit)
    emit({"actions": rows}, as_json, lambda p: _show(_log_table(p["actions"])))
