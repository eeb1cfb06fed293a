"""Progress bars for long commands (rich, on stderr so ``--json`` output stays clean)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["progress_bars"]


@contextmanager
def progress_bars(enabled: bool = True) -> Iterator[Callable[[str, int], Callable[[int], None]]]:
    """A factory ``bar(description, total)`` returning an ``advance(n)`` callback.

    Bars are drawn on stderr and only when it is a terminal; the callbacks always work.
    """
    console = Console(stderr=True)
    progress = Progress(TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=False,
                        disable=not (enabled and console.is_terminal))

    def bar(description: str, total: int) -> Callable[[int], None]:
        task = progress.add_task(description, total=total)
        return lambda advance: progress.advance(task, advance)

    with progress:
        yield bar
