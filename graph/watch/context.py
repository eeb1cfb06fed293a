"""The graph side of :class:`extractor.plugins.context.PluginContext`: KG concepts and KG vectors from Neo4j.

One :class:`GraphResources` per watcher process holds the KG concepts (read once, in one streamed
read, and again only when the KG's fingerprint changes), the gazetteer and linker built over them,
and the KG-vector cache: vectors are fetched by concept id with one parameterised query per batch
(``internal/fetch_kge_vectors``) and cached per embedding run, misses included, so a batch only asks
for concepts no earlier batch asked for.

Example:
    >>> resources = GraphResources(client, device="cpu")  # doctest: +SKIP
    >>> context = resources.context()  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from extractor.plugins.context import PluginContext
from graph.db.connection import GraphClient, chunks
from graph.kge.store import PropertyNames

__all__ = ["GraphResources", "KgVectorCache"]

log = logging.getLogger(__name__)


class KgVectorCache:
    """KG vectors by concept id, fetched from the graph per embedding run and cached.

    Attributes:
        queries: Fetch queries sent so far.
        fetched: Vectors received so far.
    """

    def __init__(self, client: GraphClient) -> None:
        self.client = client
        self._cache: dict[tuple[str, str], dict[str, np.ndarray | None]] = {}
        self.queries = 0
        self.fetched = 0

    def __call__(self, prop: str, run_id: str, ids: Sequence[str]) -> Mapping[str, np.ndarray]:
        """Vectors of ``ids`` from run ``run_id`` of property ``prop`` (ids without one are left out).

        Raises:
            ValueError: ``prop`` is not a ``kge_<name>`` property name.
        """
        names = PropertyNames(prop)
        cache = self._cache.setdefault((prop, run_id), {})
        missing = [cid for cid in dict.fromkeys(ids) if cid not in cache]
        for batch in chunks(missing, 5000):
            rows = self.client.read("internal/fetch_kge_vectors", ids=list(batch), property=names.value,
                                    run_property=names.run, run_id=run_id)
            self.queries += 1
            found = {row["id"]: np.asarray(row["vector"], dtype=np.float32) for row in rows}
            self.fetched += len(found)
            for cid in batch:
                cache[cid] = found.get(cid)
        return {cid: vec for cid in ids if (vec := cache.get(cid)) is not None}

    def clear(self) -> None:
        """Forget every cached vector (the next batch asks the graph again)."""
        self._cache.clear()


class GraphResources:
    """KG concepts, gazetteer, linker and KG vectors of one graph, shared by a process's plugins."""

    def __init__(self, client: GraphClient, device: str = "cpu", threads: int | None = None) -> None:
        self.client, self.device, self.threads = client, device, threads
        self.vectors = KgVectorCache(client)
        self._fingerprint: Any = None
        self._concepts: list[Any] | None = None
        self._gazetteer: Any = None
        self._linker: Any = None

    def refresh(self) -> bool:
        """Drop the concepts, gazetteer and linker if the KG changed since they were built; True if so."""
        row = self.client.read("internal/kg_fingerprint")[0]
        fingerprint = (row["concepts"], row["sources"], str(row["last_load"]))
        changed = fingerprint != self._fingerprint
        if changed:
            self._fingerprint = fingerprint
            self._concepts = self._gazetteer = self._linker = None
        return changed

    def concepts(self) -> list[Any]:
        """The KG's concepts (candidate concepts excluded) as ``linker.ConceptRecord``."""
        if self._concepts is None:
            from linker.records import ConceptRecord

            self._concepts = [ConceptRecord(r["id"], r["type"] or "Concept", r["name"], tuple(r["aliases"]))
                              for r in self.client.read("internal/stream_kg_concepts") if r["name"]]
            log.info("read %d KG concepts for the gazetteer and linker", len(self._concepts))
        return self._concepts

    def gazetteer(self) -> Any:  # linker.Gazetteer
        """A gazetteer over :meth:`concepts`.

        Raises:
            LookupError: The graph holds no KG concepts.
        """
        if self._gazetteer is None:
            from linker.gazetteer import Gazetteer

            self._gazetteer = Gazetteer(self._linker.index if self._linker is not None else self._nonempty())
        return self._gazetteer

    def linker(self) -> Any:  # linker.Linker
        """A linker over :meth:`concepts`.

        Raises:
            LookupError: The graph holds no KG concepts.
        """
        if self._linker is None:
            from linker.linker import Linker

            self._linker = Linker(self._gazetteer.index if self._gazetteer is not None else self._nonempty())
        return self._linker

    def _nonempty(self) -> list[Any]:
        concepts = self.concepts()
        if not concepts:
            raise LookupError("the graph holds no KG concepts; load a KG first (medkg kg load)")
        return concepts

    def context(self) -> PluginContext:
        """A plugin context backed by this graph."""
        return PluginContext(self.concepts, self.gazetteer, self.linker, self.vectors, self.device, self.threads)
