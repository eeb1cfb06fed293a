"""Running the watcher on a schedule (APScheduler), as several processes, and stopping it cleanly.

- :func:`run_scheduled`: one process; the cycle runs at once and then on an interval or a cron
  expression. One cycle at a time (``max_instances=1``), missed runs coalesced into one.
- :func:`run_workers`: ``N`` worker processes, each running the command line the caller gives (the
  application layer passes its own watch command); the parent forwards SIGTERM/SIGINT to them and
  waits. Workers coordinate only through the leases in the database, so the same command on several
  machines shares the same queue.
- :func:`install_stop_handlers`: SIGTERM and SIGINT set a stop event; the current batch finishes,
  unstarted records are given back, and the process exits 0. A second signal exits at once (the
  leases then expire and other workers take the records over).

Example:
    >>> stop = install_stop_handlers()  # doctest: +SKIP
    >>> run_scheduled(watcher, interval=30, stop=stop)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["JsonLogFormatter", "StderrHandler", "install_stop_handlers", "run_scheduled", "run_workers"]

log = logging.getLogger("medkg.watch")


class StderrHandler(logging.StreamHandler):
    """A handler writing to whatever ``sys.stderr`` is when a record is emitted (not the one at creation)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:  # a text stream
        """The current ``sys.stderr``."""
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


class JsonLogFormatter(logging.Formatter):
    """One JSON object per log line: time, level, logger, message and the record's ``extra`` fields."""

    _PLAIN = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as one JSON line."""
        data: dict[str, Any] = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                                "logger": record.name, "msg": record.getMessage()}
        data.update({k: v for k, v in vars(record).items() if k not in self._PLAIN})
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def install_stop_handlers(stop: threading.Event | None = None) -> threading.Event:
    """SIGTERM/SIGINT set ``stop`` (a second one raises ``KeyboardInterrupt``); returns the event."""
    stop = stop or threading.Event()

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        log.warning("signal %s: finishing the current batch, then stopping", signal.Signals(signum).name,
                    extra={"event": "stop_requested"})
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def run_scheduled(cycle: Callable[[], Any], stop: threading.Event, *, interval: float | None = None,
                  cron: str | None = None) -> int:
    """Run ``cycle`` now and then on the schedule until ``stop`` is set; returns the number of cycles.

    Raises:
        ValueError: Neither or both of ``interval`` and ``cron``, or a bad cron expression.
    """
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if (interval is None) == (cron is None):
        raise ValueError("give exactly one of --interval and --cron")
    trigger = IntervalTrigger(seconds=interval) if interval is not None else CronTrigger.from_crontab(cron)
    cycles = 0

    def job() -> None:
        nonlocal cycles
        if stop.is_set():
            return
        try:
            cycle()
        except Exception:  # a failed cycle is logged; the schedule goes on
            log.exception("watcher cycle failed", extra={"event": "cycle_failed"})
        cycles += 1

    scheduler = BackgroundScheduler(job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None})
    scheduler.add_job(job, trigger, id="watch", next_run_time=_now())
    scheduler.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        scheduler.shutdown(wait=True)  # waits for a running cycle, which stops after its batch
    return cycles


def _now() -> Any:  # datetime
    from datetime import datetime

    return datetime.now().astimezone()


def run_workers(command: Sequence[str], workers: int, stop: threading.Event) -> list[dict[str, Any]]:
    """Start ``workers`` processes of ``command`` (the whole command line) and wait for them.

    Worker ``i`` runs ``[*command, "--worker-index", str(i)]``. Once ``stop`` is set, each live worker
    gets one SIGTERM. The last line a worker prints on stdout is read as a JSON object (a ``--json``
    command prints one) and returned with its index and exit code; output that is not JSON comes back
    as ``output`` (its last 2,000 characters).

    Example:
        >>> run_workers([sys.executable, "-c", "print('{}')"], 2, threading.Event())  # doctest: +SKIP
        [{'worker_index': 0, 'exit_code': 0}, {'worker_index': 1, 'exit_code': 0}]
    """
    procs = [subprocess.Popen([*command, "--worker-index", str(i)], stdout=subprocess.PIPE, text=True)
             for i in range(workers)]
    forwarded = False
    results: list[dict[str, Any]] = []
    try:
        while any(p.poll() is None for p in procs):
            if stop.wait(0.5) and not forwarded:
                for p in procs:
                    if p.poll() is None:
                        p.send_signal(signal.SIGTERM)
                forwarded = True
    finally:
        for index, p in enumerate(procs):
            output = p.communicate()[0]
            line = output.strip().splitlines()[-1] if output.strip() else "{}"
            try:
                payload = json.loads(line)
            except json.JSONDecodeError:
                payload = {"output": output[-2000:]}
            results.append({"worker_index": index, "exit_code": p.returncode, **payload})
    return results
