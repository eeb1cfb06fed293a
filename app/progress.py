"""Progress of long commands on stderr (so ``--json`` output on stdout stays clean), fit for where it goes.

The libraries take a *progress factory*: ``bar(description, total)`` returns an ``advance(n)`` callback
(:data:`ProgressFactory`). :func:`progress_bars` is the one way the commands make one:

- stderr is a terminal: rich bars, redrawn in place. A description used again restarts its row (one row
  for every epoch of a training loop, not one per epoch).
- stderr is a file, a pipe, a service or CI log: plain lines, no carriage returns and no redraws. Each
  bar writes ``description: done/total (percent), seconds`` at most every :data:`PLAIN_INTERVAL`
  seconds while it moves, and once when it completes, so a log grows by a few lines a minute however
  fast the loop turns.

Example:
    >>> with progress_bars() as bar:  # doctest: +SKIP
    ...     advance = bar("relationships", 1000)
    ...     advance(500)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from core.progress import ProgressFactory

__all__ = ["PLAIN_INTERVAL", "PlainProgress", "ProgressFactory", "progress_bars"]


#: Seconds between two plain progress lines of one bar (off a terminal).
PLAIN_INTERVAL = 5.0


class PlainProgress:
    """Progress as plain lines on a stream that is not a terminal.

    Example:
        >>> plain = PlainProgress(sys.stdout, interval=60)
        >>> advance = plain.bar("concepts", 4)
        >>> advance(4)
        concepts: 4/4 (100%), 0 s
    """

    def __init__(self, stream: TextIO, interval: float = PLAIN_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Write to ``stream`` at most every ``interval`` seconds per bar (``clock`` tells the time)."""
        self.stream = stream
        self.interval = interval
        self.clock = clock

    def bar(self, description: str, total: int) -> Callable[[int], None]:
        """An ``advance(n)`` callback for a bar of ``total`` units."""
        started = last = self.clock()
        done = 0
        finished = False

        def advance(n: int) -> None:
            nonlocal done, last, finished
            done += n
            now = self.clock()
            complete = total > 0 and done >= total
            if finished or not (complete or now - last >= self.interval):
                return
            finished, last = complete, now
            share = f" ({min(done / total, 1.0):.0%})" if total > 0 else ""
            self.stream.write(f"{description}: {done}/{total}{share}, {now - started:.0f} s\n")
            self.stream.flush()

        return advance


def _rich_bars(progress: Progress) -> ProgressFactory:
    rows: dict[str, TaskID] = {}

    def bar(description: str, total: int) -> Callable[[int], None]:
        task = rows.get(description)
        if task is None:
            task = rows[description] = progress.add_task(description, total=total)
        else:  # the same loop again (the next epoch): restart its row instead of adding one
            progress.reset(task, total=total)
        return lambda advance: progress.advance(task, advance)

    return bar


def _silent(description: str, total: int) -> Callable[[int], None]:
    return lambda advance: None


@contextmanager
def progress_bars(enabled: bool = True, *, interval: float = PLAIN_INTERVAL) -> Iterator[ProgressFactory]:
    """A progress factory for the duration of a command: rich bars on a terminal, else plain lines.

    Args:
        enabled: ``False`` (``--json``, ``--no-progress``) gives callbacks that show nothing.
        interval: Seconds between two plain lines of one bar (off a terminal).
    """
    if not enabled:
        yield _silent
        return
    console = Console(stderr=True)
    if not console.is_terminal:
        yield PlainProgress(sys.stderr, interval).bar
        return
    progress = Progress(TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=False)
    with progress:
        yield _rich_bars(progress)
