"""One index of the KG's names, shared by the linker steps (and the gazetteer's record list).

Per KG label the index keeps:

- raw surface forms (names and record aliases, whitespace-trimmed) -> records, for the ``exact`` step;
- normalised names and keys derived from names -> records, for the ``normalized`` step;
- normalised aliases (record aliases and the curated table) -> records, for the ``alias`` step;
- an n-gram blocker over all normalised keys (aliases of three characters or more), for ``fuzzy``;
- unit-normalised vectors of records that have one, for the ``vector`` step.

Example:
    >>> from linker.records import ConceptRecord
    >>> index = ConceptIndex.build([ConceptRecord("Disease:胃炎", "Disease", "胃炎")])
    >>> [index.records[i].id for i, _ in index.lookup("Disease", "胃炎")]
    ['Disease:胃炎']
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from linker.aliases import AliasEntry, load_alias_table
from linker.blocking import NgramBlocker
from linker.config import IndexConfig
from linker.normalize import Normalizer
from linker.records import ConceptRecord

__all__ = ["ConceptIndex", "IndexStats", "KeyKind"]

_MIN_FUZZY_ALIAS = 3

KeyKind = Literal["name", "derived", "alias"]
"""How a normalised key relates to its record: its own name, derived from it, or an alias."""


@dataclass(frozen=True, slots=True)
class IndexStats:
    """Sizes and timing of a built index."""

    records: int
    labels: int
    keys: int
    alias_keys: int
    curated_resolved: int
    curated_unresolved: int
    vectors: int
    build_seconds: float


@dataclass
class _LabelIndex:
    exact: dict[str, list[int]]
    keys: dict[str, list[tuple[int, KeyKind]]]
    aliases: dict[str, list[int]]
    blocker: NgramBlocker | None = None
    block_entries: list[list[tuple[int, KeyKind]]] | None = None


class ConceptIndex:
    """Names, aliases, derived keys, n-gram blocks and vectors of a set of concept records.

    Build with :meth:`build`; the index is read-only afterwards and safe to share between a
    ``Linker`` and a ``Gazetteer``.
    """

    def __init__(self, records: tuple[ConceptRecord, ...], config: IndexConfig) -> None:
        self.records = records
        self.config = config
        self.normalizer = Normalizer(config.normalizer)
        self._by_label: dict[str, _LabelIndex] = {}
        self._vectors: dict[int, np.ndarray] = {}
        self._alias_surfaces: list[tuple[str, int]] = []
        # Rank of each record's id in sorted order: a cheap, input-order-independent tie-breaker.
        order = sorted(range(len(records)), key=lambda p: records[p].id)
        self.id_rank: list[int] = [0] * len(records)
        for rank, pos in enumerate(order):
            self.id_rank[pos] = rank
        self.stats = IndexStats(len(records), 0, 0, 0, 0, 0, 0, 0.0)

    @classmethod
    def build(cls, records: Iterable[ConceptRecord], config: IndexConfig | None = None) -> ConceptIndex:
        """Index ``records``.

        Args:
            records: Concept records; ids must be unique.
            config: Index settings (normalisation, blocking, alias tables).

        Raises:
            ValueError: On duplicate ids or objects that are not ``ConceptRecord``.
        """
        start = time.perf_counter()
        recs = tuple(records)
        seen: set[str] = set()
        for rec in recs:
            if not isinstance(rec, ConceptRecord):
                raise ValueError(f"expected ConceptRecord, got {type(rec).__name__}")
            if rec.id in seen:
                raise ValueError(f"duplicate concept id {rec.id!r}")
            seen.add(rec.id)
        index = cls(recs, config or IndexConfig())
        index._add_records()
        resolved, unresolved = index._add_alias_entries(index._alias_entries())
        index._build_blockers()
        n_keys = sum(len(li.keys) for li in index._by_label.values())
        n_alias = sum(len(li.aliases) for li in index._by_label.values())
        index.stats = IndexStats(
            records=len(recs),
            labels=len(index._by_label),
            keys=n_keys,
            alias_keys=n_alias,
            curated_resolved=resolved,
            curated_unresolved=unresolved,
            vectors=len(index._vectors),
            build_seconds=time.perf_counter() - start,
        )
        return index

    @property
    def labels(self) -> tuple[str, ...]:
        """KG labels present in the index, in first-seen order."""
        return tuple(self._by_label)

    def _label(self, label: str) -> _LabelIndex:
        li = self._by_label.get(label)
        if li is None:
            li = self._by_label[label] = _LabelIndex(defaultdict(list), defaultdict(list), defaultdict(list))
        return li

    def _add_records(self) -> None:
        norm = self.normalizer
        for pos, rec in enumerate(self.records):
            li = self._label(rec.type)
            for surface in (rec.name, *rec.aliases):
                if surface.strip():
                    li.exact[surface.strip()].append(pos)
            plain, derived = norm.name_keys(rec.name, rec.type)
            if plain:
                li.keys[plain].append((pos, "name"))
            for variant in derived:
                li.keys[variant.text].append((pos, "derived"))
            for alias in rec.aliases:
                key = norm.normalize(alias)
                if key:
                    li.aliases[key].append(pos)
            if rec.vector is not None:
                vec = rec.vector.astype(np.float32)
                norm2 = float(np.linalg.norm(vec))
                # Zero or non-finite vectors carry no direction; such records keep lexical scores.
                if norm2 > 0 and np.isfinite(norm2):
                    self._vectors[pos] = vec / norm2

    def _alias_entries(self) -> list[AliasEntry]:
        entries: list[AliasEntry] = []
        if self.config.curated_aliases:
            entries.extend(load_alias_table())
        for path in self.config.alias_tables:
            entries.extend(load_alias_table(path))
        return entries

    def _add_alias_entries(self, entries: list[AliasEntry]) -> tuple[int, int]:
        """Resolve alias targets through normalised names and derived keys; count the outcome."""
        resolved = unresolved = 0
        for entry in entries:
            key = self.normalizer.normalize(entry.alias)
            target = self.normalizer.normalize(entry.target)
            labels = [entry.label] if entry.label else list(self._by_label)
            hit = False
            for label in labels:
                li = self._by_label.get(label)
                if li is None or not key:
                    continue
                targets = li.keys.get(target, [])
                # Prefer the concept actually named so; fall back to derived keys (来氟米特 -> 来氟米特片).
                named = [pos for pos, kind in targets if kind == "name"] or [pos for pos, _ in targets]
                for pos in named:
                    if pos not in li.aliases[key]:
                        li.aliases[key].append(pos)
                    self._alias_surfaces.append((entry.alias, pos))
                hit = hit or bool(named)
            resolved += hit
            unresolved += not hit
        return resolved, unresolved

    def _build_blockers(self) -> None:
        for li in self._by_label.values():
            merged: dict[str, list[tuple[int, KeyKind]]] = defaultdict(list)
            for key, entries in li.keys.items():
                merged[key].extend(entries)
            for key, positions in li.aliases.items():
                # Short abbreviations (ct, ra, dm) only ever match exactly: a one-letter typo of a
                # two-letter code is another code, not a misspelling.
                if len(key) >= _MIN_FUZZY_ALIAS:
                    merged[key].extend((pos, "alias") for pos in positions)
            keys = sorted(merged)
            li.blocker = NgramBlocker(keys, self.config.blocking)
            li.block_entries = [merged[k] for k in keys]
            # Freeze the lookup tables: defaultdict would grow on every missed lookup.
            li.exact, li.keys, li.aliases = dict(li.exact), dict(li.keys), dict(li.aliases)

    def exact(self, label: str, surface: str) -> list[int]:
        """Records of ``label`` whose raw name or alias equals ``surface``."""
        li = self._by_label.get(label)
        return li.exact.get(surface, []) if li else []

    def lookup(self, label: str, key: str) -> list[tuple[int, KeyKind]]:
        """Records of ``label`` whose normalised name or derived key equals ``key``."""
        li = self._by_label.get(label)
        return li.keys.get(key, []) if li else []

    def alias(self, label: str, key: str) -> list[int]:
        """Records of ``label`` that ``key`` names through a record alias or the alias tables."""
        li = self._by_label.get(label)
        return li.aliases.get(key, []) if li else []

    def block(
        self, label: str, key: str, n: int | None = None
    ) -> tuple[list[str], list[list[tuple[int, KeyKind]]]]:
        """Blocked fuzzy candidates of ``label``: up to ``n`` keys (best overlap first) and their entries."""
        li = self._by_label.get(label)
        if li is None or li.blocker is None or li.block_entries is None:
            return [], []
        keys, entries = li.blocker.keys, li.block_entries
        top = li.blocker.top(key, n)
        return [keys[i] for i in top], [entries[i] for i in top]

    def alias_surfaces(self) -> list[tuple[str, int]]:
        """Raw alias strings from the alias tables with the record each one resolved to."""
        return list(self._alias_surfaces)

    def vector(self, pos: int) -> np.ndarray | None:
        """Unit-length vector of record ``pos``, if it has one."""
        return self._vectors.get(pos)
