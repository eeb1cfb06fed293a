"""What a plugin may ask of its host: KG concepts, a shared gazetteer and linker, KG vectors, the device.

The watcher (``graph.watch``) builds one :class:`PluginContext` per process from the live graph and
hands it to every plugin it constructs; plugins stay pure (no Neo4j import) and tests build contexts
from plain lists.

Example:
    >>> from linker.records import ConceptRecord
    >>> ctx = PluginContext.from_concepts([ConceptRecord("Disease:胃炎", "Disease", "胃炎")])
    >>> [m.concept_id for m in ctx.gazetteer().segment("慢性胃炎").spans]
    ['Disease:胃炎']
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["KgVectorFetcher", "PluginContext"]

#: ``fetch(property, run_id, concept_ids) -> {concept id: vector}`` for the ids that have one.
KgVectorFetcher = Callable[[str, str, Sequence[str]], Mapping[str, np.ndarray]]


@dataclass
class PluginContext:
    """Shared resources for plugins; each callable is evaluated lazily and at most once by its owner.

    Attributes:
        concepts: The KG concepts (``linker.ConceptRecord``) the gazetteer and linker index.
        gazetteer: A ``linker.Gazetteer`` over ``concepts``.
        linker: A ``linker.Linker`` over ``concepts``.
        kg_vectors: Fetches KG vectors by concept id from the host's store, or ``None``.
        device: ``cpu``, ``cuda`` (already resolved by the host).
        threads: torch CPU threads for neural plugins (``None``: leave torch alone).
    """

    concepts: Callable[[], Sequence[Any]]
    gazetteer: Callable[[], Any]
    linker: Callable[[], Any]
    kg_vectors: KgVectorFetcher | None = None
    device: str = "cpu"
    threads: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_concepts(cls, concepts: Sequence[Any], kg_vectors: KgVectorFetcher | None = None,
                      device: str = "cpu", threads: int | None = None) -> PluginContext:
        """A context over an in-memory list of concept records (tests, offline use)."""
        records = list(concepts)

        @functools.cache
        def gazetteer() -> Any:  # linker.Gazetteer
            from linker.gazetteer import Gazetteer

            return Gazetteer(records)

        @functools.cache
        def linker() -> Any:  # linker.Linker
            from linker.linker import Linker

            return Linker(records)

        return cls(lambda: records, gazetteer, linker, kg_vectors, device, threads)
