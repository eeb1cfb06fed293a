"""torch's intra-op thread count is process-wide: a training step gives it back when it ends.

``torch.set_num_threads`` changes the count for the whole process and for good. A step that lowers it and
leaves it so makes every later step of the same process run on that many cores: in ``medkg train`` with
``--threads 0`` (every core), the char-vector step's one thread became the tagger's.

Example:
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> @keeps_torch_threads
    ... def step() -> int:
    ...     torch.set_num_threads(1)
    ...     return torch.get_num_threads()
    >>> step(), torch.get_num_threads() == before
    (1, True)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import torch

__all__ = ["keeps_torch_threads"]

P = ParamSpec("P")
R = TypeVar("R")


def keeps_torch_threads(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap ``func`` so that torch's thread count is what it was before it ran, on return or on error."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        before = torch.get_num_threads()
        try:
            return func(*args, **kwargs)
        finally:
            torch.set_num_threads(before)

    return wrapper
