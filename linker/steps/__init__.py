"""Registry of linking steps, by name, imported lazily.

Built-in steps: ``exact``, ``alias``, ``normalized``, ``fuzzy``, ``vector``. A step factory takes the
``ConceptIndex`` and the ``LinkerConfig`` and returns a :class:`~linker.steps.base.LinkStep`.

Example:
    >>> "fuzzy" in step_names()
    True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linker.config import LinkerConfig
    from linker.index import ConceptIndex
    from linker.steps.base import LinkStep

__all__ = ["StepFactory", "get_step", "register_step", "step_names"]

StepFactory = Callable[["ConceptIndex", "LinkerConfig"], "LinkStep"]

# (module, class) pairs: listing a step here imports nothing until a config asks for it.
_BUILTIN: dict[str, tuple[str, str]] = {
    "exact": ("linker.steps.exact", "ExactStep"),
    "alias": ("linker.steps.alias", "AliasStep"),
    "normalized": ("linker.steps.normalized", "NormalizedStep"),
    "fuzzy": ("linker.steps.fuzzy", "FuzzyStep"),
    "vector": ("linker.steps.vector", "VectorStep"),
}
_REGISTERED: dict[str, StepFactory] = {}


def register_step(name: str, factory: StepFactory) -> None:
    """Make a step available to ``LinkerConfig.steps`` under ``name``.

    Raises:
        ValueError: If ``name`` is already taken.
    """
    if name in _BUILTIN or name in _REGISTERED:
        raise ValueError(f"linker step {name!r} is already registered")
    _REGISTERED[name] = factory


def step_names() -> tuple[str, ...]:
    """Names of all known steps."""
    return (*_BUILTIN, *_REGISTERED)


def get_step(name: str) -> StepFactory:
    """The factory registered under ``name``.

    Raises:
        ValueError: If no step has that name.
    """
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name in _BUILTIN:
        module, attr = _BUILTIN[name]
        return getattr(importlib.import_module(module), attr)
    raise ValueError(f"unknown linker step {name!r}; known: {', '.join(step_names())}")
