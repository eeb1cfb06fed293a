"""The one registry of named objects whose built-ins are imported only when first asked for.

Every registry of medkg is a :class:`LazyRegistry`: the linker's steps and fuzzy scorers, the KGE
models, the extraction plugins. Built-ins are listed by name as ``"module:attribute"`` references, so
listing them imports nothing (importing a library never imports what a config does not use, and the
CLI's help never imports torch); code registers further objects directly for the running process.
An unknown name raises the registry's error, naming the known ones.

Example:
    >>> steps = LazyRegistry("linker step", {"exact": "linker.steps.exact:ExactStep"})
    >>> steps.names()
    ('exact',)
    >>> steps.get("fuzzy")
    Traceback (most recent call last):
    ...
    ValueError: unknown linker step 'fuzzy'; known: exact
    >>> load_reference("json:dumps")([1, 2])
    '[1, 2]'
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Generic, TypeVar

__all__ = ["LazyRegistry", "load_reference"]

F = TypeVar("F")


def load_reference(reference: str) -> Any:
    """Import ``module:attribute`` (the attribute may be dotted, as in entry points) and return it.

    Raises:
        ValueError: ``reference`` has no ``:`` or an empty side.
        ImportError: The module cannot be imported.
        AttributeError: The module has no such attribute.
    """
    module, sep, attr = reference.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"not a 'module:attribute' reference: {reference!r}")
    return functools.reduce(getattr, attr.split("."), importlib.import_module(module))


class LazyRegistry(Generic[F]):
    """Named objects: built-ins imported on first use, plus ones registered by code.

    Args:
        kind: What the names name, for messages (``"linker step"``, ``"plugin"``).
        builtin: Name -> ``"module:attribute"``; nothing is imported until :meth:`get` asks.
        error: The exception raised for an unknown or already taken name (a subclass of ``Exception``
            taking one message; ``ValueError`` by default).
    """

    def __init__(self, kind: str, builtin: Mapping[str, str], *, error: type[Exception] = ValueError) -> None:
        for name, reference in builtin.items():
            if ":" not in reference:
                raise ValueError(f"{kind} {name!r}: built-in {reference!r} is not a 'module:attribute' reference")
        self.kind = kind
        self.error = error
        self._builtin = dict(builtin)
        self._registered: dict[str, F] = {}

    def register(self, name: str, factory: F, *, replace: bool = False) -> None:
        """Make ``factory`` available under ``name`` (``replace``: over an earlier registered one).

        Raises:
            Exception: The registry's ``error`` when ``name`` is a built-in's, or already registered and
                ``replace`` is false.
        """
        if name in self._builtin or (name in self._registered and not replace):
            raise self.error(f"{self.kind} {name!r} is already registered")
        self._registered[name] = factory

    def unregister(self, name: str) -> None:
        """Remove a registered (not built-in) name; unknown names are ignored."""
        self._registered.pop(name, None)

    def names(self) -> tuple[str, ...]:
        """All known names, built-ins first."""
        return (*self._builtin, *self._registered)

    @property
    def builtin(self) -> Mapping[str, str]:
        """The built-ins: name -> ``"module:attribute"`` (read-only)."""
        return MappingProxyType(self._builtin)

    @property
    def registered(self) -> Mapping[str, F]:
        """The objects registered by code, by name (read-only)."""
        return MappingProxyType(self._registered)

    def __contains__(self, name: object) -> bool:
        return name in self._builtin or name in self._registered

    def get(self, name: str) -> F:
        """The object under ``name``, importing a built-in's module on first use.

        Raises:
            Exception: The registry's ``error`` when no object has that name.
        """
        if name in self._registered:
            return self._registered[name]
        if name in self._builtin:
            factory: F = load_reference(self._builtin[name])
            return factory
        raise self.error(f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}")
