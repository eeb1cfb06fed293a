"""``medkg watch``: the watcher (once, on a schedule, as several workers), its status, requeueing."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from app.cli.common import JsonFlag, emit, fail, kv_table, out
from graph.watch.config import WatchConfig


def _help(text: str, field: str) -> str:
    """``text`` with the default of WatchConfig's ``field`` (the one place defaults are written)."""
    return escape(f"{text} [default: {WatchConfig.model_fields[field].default}]")  # brackets are rich markup

__all__ = ["watch_app"]

watch_app = typer.Typer(help="The watcher: claim new EMR nodes, run the stored extractors, merge facts back.",
                        invoke_without_command=True)


@contextlib.contextmanager
def _json_logs(level: int = logging.INFO) -> Iterator[None]:
    """Send the watcher's logs as JSON lines to stderr while the command runs."""
    from graph.watch.scheduler import JsonLogFormatter, StderrHandler

    handler = StderrHandler()
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger("medkg")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    try:
        yield
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def _cycle_render(payload: dict[str, Any]) -> None:
    keys = ("worker", "device", "batches", "claimed", "done", "failed", "invalid", "released", "lost",
            "mentions_created", "relations_changed", "candidates_created", "seconds", "records_per_s")
    out.print(kv_table("watcher cycle", {k: payload.get(k) for k in keys} | {
        "extractors": ", ".join(payload.get("extractors", []))}))


@watch_app.callback()
def watch(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="One cycle: process until nothing is claimable, exit.")] = False,
    interval: Annotated[float | None, typer.Option(help="Run a cycle every S seconds.", min=0.1)] = None,
    cron: Annotated[str | None, typer.Option(help="Run a cycle on a crontab schedule ('*/5 * * * *').")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (they share the queue by leases).", min=1)] = 1,
    batch_size: Annotated[int | None, typer.Option(help=_help("Records per claim and per write transaction",
                                                               "batch_size"))] = None,
    device: Annotated[str | None, typer.Option(help=_help("auto (CUDA when present), cpu or cuda", "device"))] = None,
    threads: Annotated[int | None, typer.Option(help=_help("torch CPU threads (0: every core)", "threads"))] = None,
    max_attempts: Annotated[int | None, typer.Option(help=_help("Claims before a record is FAILED",
                                                                 "max_attempts"))] = None,
    lease_seconds: Annotated[float | None, typer.Option(help=_help("How long a claim holds, in seconds",
                                                                   "lease_seconds"))] = None,
    backoff_seconds: Annotated[float | None, typer.Option(help=_help("First retry delay of a failed record, in "
                                                                     "seconds", "backoff_seconds"))] = None,
    max_batches: Annotated[int | None, typer.Option(help="Stop a cycle after this many batches.")] = None,
    pipeline: Annotated[bool, typer.Option("--pipeline/--no-pipeline", help="Write a batch while extracting the "
                                           "next (for a Neo4j on another machine).")] = False,
    worker_index: Annotated[int | None, typer.Option(hidden=True)] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run the watcher: ``--once``, ``--interval S`` or ``--cron EXPR``; SIGTERM/SIGINT stop it cleanly."""
    if ctx.invoked_subcommand is not None:
        return
    from app.watch import ScheduleResult, WatchOptions, WorkersResult, run_watch
    from graph.watch.device import DeviceError
    from graph.watch.plugins import PluginError

    options = WatchOptions(once=once, interval=interval, cron=cron, workers=workers, batch_size=batch_size,
                           device=device, threads=threads, max_attempts=max_attempts, lease_seconds=lease_seconds,
                           backoff_seconds=backoff_seconds, max_batches=max_batches, pipeline=pipeline,
                           worker_index=worker_index)
    try:
        with _json_logs():
            result = run_watch(options)
    except (PluginError, DeviceError, LookupError, ValueError) as exc:  # bad options, plugins, devices: input
        fail(str(exc), code=2, as_json=as_json)
    if isinstance(result, WorkersResult):
        emit(result.to_dict(), as_json, lambda p: out.print(kv_table(f"{workers} workers", result.totals)))
        if result.failed:
            raise typer.Exit(1)
    elif isinstance(result, ScheduleResult):
        emit(result.to_dict(), as_json, lambda p: out.print(f"watcher stopped after {p['cycles']} cycles"))
    else:
        emit(result.to_dict(), as_json, _cycle_render)


def _id_column(table: Table, name: str) -> None:
    """A column whose values are never wrapped (ids are copied from it; see :func:`_print_table`)."""
    table.add_column(name, no_wrap=True)


def _print_table(table: Table) -> None:
    """Print ``table`` at its natural width, wider than the console if need be, so no cell is cut.

    Rich fits a table to the console by cutting cells with an ellipsis; a run id cut that way cannot be
    copied. A line longer than the terminal is wrapped by the terminal instead, with every id whole.
    """
    needed = out.measure(table, options=out.options.update_width(10_000)).maximum
    if needed <= out.width:
        out.print(table)
        return
    wide = Console(file=out.file, width=needed, force_terminal=out.is_terminal,
                   color_system=out.color_system,  # type: ignore[arg-type]  # rich types the property as str only
                   no_color=out.no_color, highlight=False)
    wide.print(table)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _status_render(payload: dict[str, Any]) -> None:
    # a status is whatever another client wrote: never read as rich markup
    records = {escape(str(key)): value for key, value in payload["records"].items()}
    out.print(kv_table("records", records | {"expired leases": payload["expired_leases"]}))
    if payload["open_runs"]:
        table = Table(title="open runs")
        _id_column(table, "run")
        _id_column(table, "worker")
        for column in ("age", "lease", "holding"):
            table.add_column(column, no_wrap=True)
        for run in payload["open_runs"]:
            table.add_row(run["id"], str(run["worker"]), _age(run["age_seconds"]),
                          "expired" if run["lease_expired"] else "held", str(run["holding"]))
        _print_table(table)
    table = Table(title="last runs")
    _id_column(table, "run")
    _id_column(table, "worker")
    for column in ("status", "records", "failed", "mentions", "seconds"):
        table.add_column(column, no_wrap=True)
    for run in payload["runs"]:
        table.add_row(run["id"], str(run["worker"]), run["status"], str(run["records"]), str(run["failed"]),
                      str(run["mentions"]), str(run["seconds"]))
    _print_table(table)
    for run in payload["runs"]:
        if run["status"] == "lost" and run.get("error"):
            out.print(f"{run['id']}: {run['error']}", highlight=False, markup=False, emoji=False, soft_wrap=True)
    out.print(kv_table("throughput (last hour)", payload["throughput"]))
    for failure in payload["failures"]:
        out.print(f"FAILED {failure['id']}: {failure['error']}", highlight=False, markup=False, emoji=False,
                  soft_wrap=True)
    invalid = payload["invalid"]
    if invalid["count"]:
        out.print(f"{invalid['count']} INVALID records (not processed; fix them, then "
                  "`medkg watch requeue --status INVALID`):", highlight=False, markup=False)
        for row in invalid["first"]:
            node = repr(row["id"]) if row["id"] is not None else f"elementId {row['element_id']}"
            start = f" text {row['text_start']!r}" if row["text_start"] and row["id"] is None else ""
            out.print(f"INVALID {node}{start}: {row['error']}", highlight=False, markup=False, emoji=False,
                      soft_wrap=True)


@watch_app.command("status")
def watch_status_command(
    runs: Annotated[int, typer.Option(help="How many recent runs.", min=1)] = 10,
    invalid: Annotated[int, typer.Option(help="How many INVALID records to list (all are counted).", min=0)] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Records by status, open and recent runs, throughput, recent failures, invalid records."""
    from graph.db.connection import GraphClient
    from graph.watch.status import watch_status

    with GraphClient.from_environment() as client:
        status = watch_status(client, runs=runs, invalid=invalid)
    emit(status.to_dict(), as_json, _status_render)


@watch_app.command("requeue")
def watch_requeue(
    status: Annotated[str, typer.Option(help="Requeue records of this status: FAILED, DONE or INVALID "
                                             "(INVALID: only those fixed since).")] = "FAILED",
    ids: Annotated[list[str] | None, typer.Option("--id", help="Only these records (repeat).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Send FAILED, DONE or fixed INVALID records back to NEW with their attempts reset, e.g. after fixing a plugin."""
    from graph.db.connection import GraphClient
    from graph.watch.claims import REQUEUE_STATUSES, requeue_records

    if status not in REQUEUE_STATUSES:
        fail(f"--status must be FAILED, DONE or INVALID, got {status!r}", code=2, as_json=as_json)
    with GraphClient.from_environment() as client:
        counts = requeue_records(client, status, ids)
    emit(counts | {"status": status}, as_json, _requeue_render)


def _requeue_render(payload: dict[str, Any]) -> None:
    out.print(f"{payload['requeued']} {payload['status']} records back to NEW")
    if payload["skipped"]:
        out.print(f"{payload['skipped']} INVALID records left as they are: they still break the (:EMR {{id, text}}) "
                  "contract (see their error in `medkg watch status`)", highlight=False, markup=False)
