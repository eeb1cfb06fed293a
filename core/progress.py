"""The progress contract of every long loop (training, evaluation, KG loading): the caller decides how it is shown.

A loop takes ``progress``, a factory ``progress(description, total)`` that returns an ``advance(n)``
callback, or ``None`` to show nothing. The library never draws a bar itself, so what reaches a terminal,
a file or a service log is the caller's choice (the ``medkg`` commands pass ``app.progress.progress_bars``:
bars on a terminal, a plain line every few seconds elsewhere).

Example:
    >>> advance = start(None, "epoch 1", 10)
    >>> advance(1)  # nothing shown
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["ProgressFactory", "start"]

#: ``progress(description, total)`` returns a callback taking the units just done.
ProgressFactory = Callable[[str, int], Callable[[int], None]]


def start(progress: ProgressFactory | None, description: str, total: int) -> Callable[[int], None]:
    """The ``advance(n)`` callback of a new bar, or one that does nothing when ``progress`` is ``None``."""
    if not progress:
        return lambda n: None
    return progress(description, total)
