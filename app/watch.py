"""``medkg watch`` for a user: the watcher once, on a schedule, or as several worker processes.

:func:`run_watch` is the one entry the command calls. From the options as given (:class:`WatchOptions`;
an option left unset is ``None`` and takes :class:`~graph.watch.config.WatchConfig`'s default, the one
place defaults are written) it

- checks that exactly one of ``once``, ``interval`` and ``cron`` is given;
- installs the SIGTERM/SIGINT handlers that finish the current batch and stop;
- with ``workers > 1``, starts that many processes of :func:`worker_command` (``python -m app.cli watch
  --json`` with the same options) through :func:`graph.watch.scheduler.run_workers` and sums their
  results (:class:`WorkersResult`);
- otherwise builds the :class:`~graph.watch.config.WatchConfig` (:func:`watch_config`) and runs one
  cycle (a :class:`~graph.watch.worker.CycleResult`) or cycles on the schedule until stopped
  (:class:`ScheduleResult`).

A wrong option is a :class:`WatchOptionError` naming it (``invalid option --batch-size: ...``).

Example:
    >>> worker_command(WatchOptions(once=True, workers=4, batch_size=16))[3:]
    ['watch', '--json', '--no-pipeline', '--once', '--batch-size', '16']
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from graph.watch.config import WatchConfig, default_worker_id
from graph.watch.scheduler import install_stop_handlers, run_scheduled, run_workers

if TYPE_CHECKING:
    from graph.watch.worker import CycleResult

__all__ = ["CONFIG_OPTIONS", "ScheduleResult", "WatchOptionError", "WatchOptions", "WorkersResult", "run_watch",
           "watch_config", "worker_command"]

#: The options that set a :class:`WatchConfig` field of the same name (``None``: the field's default).
CONFIG_OPTIONS = ("batch_size", "device", "threads", "max_attempts", "lease_seconds", "backoff_seconds",
                  "max_batches")
#: The options passed on to each worker as ``--name value`` when given, in this order.
_PASSED_ON = ("batch_size", "device", "threads", "max_attempts", "lease_seconds", "backoff_seconds", "interval",
              "cron", "max_batches")
#: The counts of a worker's cycle that :class:`WorkersResult` sums.
_SUMMED = ("claimed", "done", "failed", "invalid", "released", "lost")


class WatchOptionError(ValueError):
    """An option of ``medkg watch`` is wrong; the message names it."""


@dataclass(frozen=True)
class WatchOptions:
    """The options of ``medkg watch`` as given; ``None`` leaves a :class:`WatchConfig` field at its default."""

    once: bool = False
    """One cycle: process until nothing is claimable, then return."""
    interval: float | None = None
    """Run a cycle every ``interval`` seconds until stopped."""
    cron: str | None = None
    """Run a cycle on this crontab schedule until stopped."""
    workers: int = 1
    """Worker processes; more than one runs :func:`worker_command` that many times."""
    batch_size: int | None = None
    device: str | None = None
    threads: int | None = None
    max_attempts: int | None = None
    lease_seconds: float | None = None
    backoff_seconds: float | None = None
    max_batches: int | None = None
    pipeline: bool = False
    """Write a batch while extracting the next (:attr:`WatchConfig.pipeline`)."""
    worker_index: int | None = None
    """This process's index among its parent's workers (appended to the worker id)."""


@dataclass(frozen=True)
class ScheduleResult:
    """What a scheduled watcher did before it was stopped."""

    worker: str
    cycles: int
    stopped: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (``medkg watch --interval S --json`` prints it)."""
        return {"worker": self.worker, "cycles": self.cycles, "stopped": self.stopped}


@dataclass(frozen=True)
class WorkersResult:
    """Each worker's result (its JSON output, ``worker_index`` and ``exit_code``) and their summed counts."""

    workers: list[dict[str, Any]]

    @property
    def totals(self) -> dict[str, int]:
        """The counts of :data:`_SUMMED` added over the workers (a worker that printed none counts 0)."""
        return {k: sum(int(r.get(k) or 0) for r in self.workers) for k in _SUMMED}

    @property
    def failed(self) -> bool:
        """Whether any worker exited with a non-zero status."""
        return any(r["exit_code"] for r in self.workers)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (``medkg watch --workers N --json`` prints it)."""
        return {"workers": self.workers, **self.totals}


def watch_config(options: WatchOptions) -> WatchConfig:
    """The :class:`WatchConfig` of ``options``: those left unset take its defaults; the worker id is this process's.

    Raises:
        WatchOptionError: A value the config refuses, e.g. ``invalid option --batch-size: Input should be ...``.
    """
    worker = default_worker_id() + (f"/{options.worker_index}" if options.worker_index is not None else "")
    given = {name: getattr(options, name) for name in CONFIG_OPTIONS}
    try:
        return WatchConfig(**{k: v for k, v in given.items() if v is not None}, pipeline=options.pipeline,
                           worker=worker)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise WatchOptionError(f"invalid option --{str(first['loc'][0]).replace('_', '-')}: {first['msg']}") from exc


def worker_command(options: WatchOptions) -> list[str]:
    """The command line of one worker process: this Python running ``medkg watch --json`` with the same options.

    ``--workers`` is left out (each worker is one process); :func:`~graph.watch.scheduler.run_workers` adds
    ``--worker-index I``.
    """
    command = [sys.executable, "-m", "app.cli", "watch", "--json"]
    command += ["--pipeline" if options.pipeline else "--no-pipeline"] + (["--once"] if options.once else [])
    for name in _PASSED_ON:
        value = getattr(options, name)
        if value is not None:
            command += [f"--{name.replace('_', '-')}", str(value)]
    return command


def run_watch(options: WatchOptions,
              stop: threading.Event | None = None) -> CycleResult | ScheduleResult | WorkersResult:
    """Run the watcher as ``options`` say (see the module's docstring); the entry function of ``medkg watch``.

    Without ``stop``, SIGTERM/SIGINT handlers are installed that set one (so this must then run in the
    main thread): the current batch finishes and the watcher stops.

    Raises:
        WatchOptionError: Not exactly one of ``once``, ``interval`` and ``cron``, or an invalid option.
        PluginError: An enabled extractor cannot be loaded.
        DeviceError: The device asked for is not there.
        ValueError: A bad cron expression.
    """
    if sum(x is not None for x in (options.interval, options.cron)) + options.once != 1:
        raise WatchOptionError("give exactly one of --once, --interval S and --cron EXPR")
    stop = stop if stop is not None else install_stop_handlers()
    if options.workers > 1:
        return WorkersResult(run_workers(worker_command(options), options.workers, stop))
    from graph.db.connection import GraphClient  # the parent of several workers never connects
    from graph.watch.worker import Watcher

    config = watch_config(options)
    with GraphClient.from_environment() as client:
        watcher = Watcher(client, config, stop)
        if options.once:
            return watcher.run_once()
        cycles = run_scheduled(watcher.run_once, stop, interval=options.interval, cron=options.cron)
    return ScheduleResult(config.worker, cycles)
