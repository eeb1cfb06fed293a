"""Stub extraction plugins for tests, importable from any test folder (``tests/`` is on the path).

:class:`StubPlugin` is what every settings-free test plugin repeats otherwise: a subclass sets ``name``,
``kind`` and ``extract`` (and ``version`` when it is not ``"1"``). :func:`registered` makes a plugin class
loadable for the duration of a ``with`` block, through the real registry, and forgets it afterwards even when
the block fails, so a test's class never leaks into the next test.

Example::

    class OddNER(StubPlugin):
        name: ClassVar[str] = "odd-ner"
        kind: ClassVar[str] = "ner"

        def extract(self, records): ...

    with registered(OddNER):
        register_plugin(client, "odd-ner", enable=True)
        run_watcher_once(client, config)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from core.config import ClosedConfig
from extractor.plugin import ExtractionRecord, RecordResult
from extractor.plugins.registry import PluginSpec, register_class, unregister_class

__all__ = ["NoConfig", "StubPlugin", "registered"]


class NoConfig(ClosedConfig):
    """The config of a test plugin without settings (closed: any field given to it is an error)."""


class StubPlugin:
    """A plugin without settings or artifact; subclasses set ``name``, ``kind`` and ``extract``.

    The base itself has no ``name`` or ``kind``, so the registry refuses to register it.
    """

    version: ClassVar[str] = "1"
    Config: ClassVar[type[NoConfig]] = NoConfig
    config: ClassVar[dict[str, Any]] = {}

    def __init__(self, config: NoConfig, context: Any = None) -> None:
        self.settings = config

    @classmethod
    def artifact_sha256(cls, config: object) -> None:
        """No artifact: a stub's behaviour is its code."""
        return None

    def extract(self, records: Sequence[ExtractionRecord]) -> list[RecordResult]:
        """One result per record; a subclass says what it finds."""
        raise NotImplementedError(f"{type(self).__qualname__} does not define extract")


@contextlib.contextmanager
def registered(cls: type) -> Iterator[PluginSpec]:
    """Register ``cls`` for this process inside the block (its spec is the ``as`` target); always unregister it."""
    spec = register_class(cls)
    try:
        yield spec
    finally:
        unregister_class(spec.id)
