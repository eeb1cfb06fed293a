"""Character-level dictionary matching of KG names over whole records (pyahocorasick).

Matching runs on a *length-preserving fold* of the text, never on the raw text and never on the
linker's normalisation: every character is mapped to exactly one character (full-width -> half-width,
case folding, traditional -> simplified; see ``linker.normalize.length_preserving_table``). Because
lengths never change, match offsets index the original text directly. The price: rules that change
length (punctuation removal, ``Ⅱ`` -> ``II``, phrase-level t2s) are not applied to the text, so names
are added in several spellings instead (raw name, its plain normalised key, derived keys such as
``来氟米特`` for ``来氟米特片``, record and curated aliases).

``all_matches`` reports every (start, end, concept id, type), including overlapping and nested ones.
``segment`` picks non-overlapping spans longest first (ties: leftmost first) and gives, per
character, the concept id, its KG label and a BIOES position (``S`` single-character span, ``B``/``I``/
``E`` inside a longer one, ``O`` outside). When one span names concepts of several labels, ``segment``
reports the first by ``GazetteerConfig.type_priority``.

Example:
    >>> from linker.records import ConceptRecord
    >>> gaz = Gazetteer([ConceptRecord("Disease:胃炎", "Disease", "胃炎")])
    >>> seg = gaz.segment("慢性胃炎。")
    >>> seg.tags
    ['O', 'O', 'B', 'E', 'O']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from linker.config import GazetteerConfig
from linker.index import ConceptIndex
from linker.normalize import length_preserving_table
from linker.records import ConceptRecord

__all__ = ["Gazetteer", "GazetteerMatch", "Segmentation"]


@dataclass(frozen=True, slots=True)
class GazetteerMatch:
    """A dictionary hit: ``text[start:end]`` names ``concept_id`` (of KG label ``type``)."""

    start: int
    end: int
    concept_id: str
    type: str


@dataclass(frozen=True)
class Segmentation:
    """Per-character gazetteer features of one text (all lists have ``len(text)`` items).

    Attributes:
        text: The original text.
        concept_ids: Concept id covering each character, or ``None``.
        types: KG label of that concept, or ``None``.
        tags: BIOES position of each character inside its span (``O`` outside any span).
        spans: The chosen non-overlapping matches, in text order.
    """

    text: str
    concept_ids: list[str | None]
    types: list[str | None]
    tags: list[str]
    spans: list[GazetteerMatch]


@dataclass(frozen=True, slots=True)
class _Entry:
    length: int
    concepts: tuple[tuple[str, str], ...]  # (concept id, label), type priority first
    check_left: bool  # key starts with an ASCII letter/digit: the character before must not be one
    check_right: bool


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class Gazetteer:
    """Aho-Corasick automaton over the surface forms of concept records.

    Args:
        records: Concept records or a built :class:`ConceptIndex` (its records, normaliser and resolved
            curated aliases are used).
        config: Gazetteer settings.
    """

    def __init__(
        self, records: ConceptIndex | Iterable[ConceptRecord], config: GazetteerConfig | None = None
    ) -> None:
        self.config = config or GazetteerConfig()
        self.index = records if isinstance(records, ConceptIndex) else ConceptIndex.build(records)
        self._table = length_preserving_table() if self.config.fold else {}
        self._entries: list[_Entry] = []
        self._automaton = self._build()

    def _surfaces(self) -> dict[str, set[int]]:
        cfg, index = self.config, self.index
        wanted = set(cfg.labels) if cfg.labels is not None else None
        surfaces: dict[str, set[int]] = {}

        def add(surface: str, pos: int) -> None:
            key = surface.strip().translate(self._table)
            if len(key) >= cfg.min_chars:
                surfaces.setdefault(key, set()).add(pos)

        for pos, rec in enumerate(index.records):
            if wanted is not None and rec.type not in wanted:
                continue
            add(rec.name, pos)
            if cfg.include_aliases:
                for alias in rec.aliases:
                    add(alias, pos)
            if cfg.include_derived:
                plain, derived = index.normalizer.name_keys(rec.name, rec.type)
                add(plain, pos)
                for variant in derived:
                    add(variant.text, pos)
        if cfg.include_aliases:
            for alias, pos in index.alias_surfaces():
                if wanted is None or index.records[pos].type in wanted:
                    add(alias, pos)
        return surfaces

    def _build(self) -> ahocorasick.Automaton:
        priority = {label: i for i, label in enumerate(self.config.type_priority)}
        records = self.index.records
        automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for key, positions in sorted(self._surfaces().items()):
            concepts = sorted(
                {(records[p].id, records[p].type) for p in positions},
                key=lambda c: (priority.get(c[1], len(priority)), c[1], c[0]),
            )
            self._entries.append(
                _Entry(len(key), tuple(concepts), _is_word_char(key[0]), _is_word_char(key[-1]))
            )
            automaton.add_word(key, len(self._entries) - 1)
        automaton.make_automaton()
        return automaton

    def __len__(self) -> int:
        """Number of distinct surface forms."""
        return len(self._entries)

    def _hits(self, text: str) -> list[tuple[int, int, _Entry]]:
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        if not text or not self._entries:
            return []
        folded = text.translate(self._table) if self._table else text
        entries, boundary, n = self._entries, self.config.latin_boundary, len(folded)
        hits: list[tuple[int, int, _Entry]] = []
        for last, entry_id in self._automaton.iter(folded):
            entry = entries[entry_id]
            start = last - entry.length + 1
            if boundary and (
                (entry.check_left and start > 0 and _is_word_char(folded[start - 1]))
                or (entry.check_right and last + 1 < n and _is_word_char(folded[last + 1]))
            ):
                continue
            hits.append((start, last + 1, entry))
        return hits

    def all_matches(self, text: str) -> list[GazetteerMatch]:
        """Every dictionary hit in ``text``, one per concept, ordered by (start, end, concept id).

        Raises:
            TypeError: If ``text`` is not a string.
        """
        out = [
            GazetteerMatch(start, end, cid, label)
            for start, end, entry in self._hits(text)
            for cid, label in entry.concepts
        ]
        out.sort(key=lambda m: (m.start, m.end, m.concept_id))
        return out

    def segment(self, text: str) -> Segmentation:
        """Non-overlapping longest-match-first segmentation with per-character features.

        Raises:
            TypeError: If ``text`` is not a string.
        """
        hits = self._hits(text)
        hits.sort(key=lambda h: (h[0] - h[1], h[0]))  # longest first, then leftmost
        taken = bytearray(len(text))
        chosen: list[tuple[int, int, _Entry]] = []
        for start, end, entry in hits:
            if taken.find(1, start, end) == -1:
                taken[start:end] = b"\x01" * (end - start)
                chosen.append((start, end, entry))
        chosen.sort(key=lambda h: h[0])
        ids: list[str | None] = [None] * len(text)
        types: list[str | None] = [None] * len(text)
        tags = ["O"] * len(text)
        spans: list[GazetteerMatch] = []
        for start, end, entry in chosen:
            cid, label = entry.concepts[0]
            spans.append(GazetteerMatch(start, end, cid, label))
            ids[start:end] = [cid] * (end - start)
            types[start:end] = [label] * (end - start)
            if end - start == 1:
                tags[start] = "S"
            else:
                tags[start:end] = ["B", *["I"] * (end - start - 2), "E"]
        return Segmentation(text, ids, types, tags, spans)
