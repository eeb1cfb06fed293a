"""A registry of named factories whose built-ins are imported only when first asked for.

Built-ins are listed as ``(module, attribute)`` pairs, so listing them imports nothing (importing
the linker never imports what a config does not use); third parties register factories directly.

Example:
    >>> steps = LazyRegistry("linker step", {"exact": ("linker.steps.exact", "ExactStep")})
    >>> steps.names()
    ('exact',)
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Generic, TypeVar

__all__ = ["LazyRegistry"]

F = TypeVar("F")


class LazyRegistry(Generic[F]):
    """Named factories: lazily imported built-ins plus registered ones."""

    def __init__(self, kind: str, builtin: Mapping[str, tuple[str, str]]) -> None:
        self.kind = kind
        self._builtin = dict(builtin)
        self._registered: dict[str, F] = {}

    def register(self, name: str, factory: F) -> None:
        """Make ``factory`` available under ``name``.

        Raises:
            ValueError: If ``name`` is already taken.
        """
        if name in self._builtin or name in self._registered:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._registered[name] = factory

    def unregister(self, name: str) -> None:
        """Remove a registered (not built-in) factory; unknown names are ignored."""
        self._registered.pop(name, None)

    def names(self) -> tuple[str, ...]:
        """All known names, built-ins first."""
        return (*self._builtin, *self._registered)

    def get(self, name: str) -> F:
        """The factory registered under ``name``.

        Raises:
            ValueError: If no factory has that name.
        """
        if name in self._registered:
            return self._registered[name]
        if name in self._builtin:
            module, attr = self._builtin[name]
            return getattr(importlib.import_module(module), attr)
        raise ValueError(f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}")
