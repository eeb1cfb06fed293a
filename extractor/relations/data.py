"""CMeIE sentences, a deterministic split by text, mention location and candidate pairs.

CMeIE files are JSON Lines: ``{"text": ..., "spo_list": [{"subject", "subject_type", "predicate",
"object": {"@value"}, "object_type": {"@value"}, "Combined"}, ...]}``; the schema file has one
``{subject_type, predicate, object_type}`` per line. Offsets are Python string indices.

Rules for strings:

- **Location.** Every subject and object string is searched for in its sentence by exact string
  match; every (possibly overlapping) occurrence becomes a :class:`Mention`. A triple whose subject or
  object string does not occur is counted in :attr:`LocateStats.triples_not_found` and dropped.
- **Ambiguous occurrences.** Candidates are built per *entity* (text, type), not per occurrence,
  because CMeIE (and CBLUE's scorer) only knows strings. For an entity pair the two occurrences that
  are closest (smallest character gap, ties to the earliest) and do not overlap represent it; a pair
  whose occurrences all overlap (``关节`` only inside ``骨性关节炎``) gives no candidate and is counted.
- **Several predicates on one pair** (rare) keep the first in file order as the label; the others
  are counted in :attr:`CandidateStats.extra_labels` (the end-to-end scorer still sees all gold).

Example:
    >>> s = Sentence("s0", "胃癌@胃癌可见腹痛。", (Triple("胃癌", "疾病", "临床表现", "腹痛", "症状"),))
    >>> [(m.start, m.text) for m in locate(s.text, "胃癌", "疾病")]
    [(0, '胃癌'), (3, '胃癌')]
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["NONE", "Candidate", "CandidateStats", "LocateStats", "Mention", "Schema", "Sentence", "Triple",
           "build_candidates", "gold_candidates", "locate", "locate_sentence", "read_cmeie", "read_schema",
           "split_by_text", "split_counts", "split_of"]

#: The label of a candidate pair with no relation.
NONE = "none"
Split = Literal["train", "validation", "test"]


@dataclass(frozen=True, slots=True)
class Triple:
    """One gold (subject, predicate, object) with the entity types."""

    subject: str
    subject_type: str
    predicate: str
    object: str
    object_type: str


@dataclass(frozen=True)
class Sentence:
    """One CMeIE text with its gold triples."""

    id: str
    text: str
    triples: tuple[Triple, ...] = ()


@dataclass(frozen=True, slots=True)
class Mention:
    """A typed span ``[start, end)`` of a sentence; ``text`` is ``sentence[start:end]``."""

    start: int
    end: int
    text: str
    type: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """An ordered (subject, object) mention pair of one sentence with its label (a predicate or ``none``)."""

    sentence_id: str
    subject: Mention
    object: Mention
    label: str = NONE


@dataclass
class LocateStats:
    """How many gold strings were found in their sentence."""

    triples: int = 0
    triples_not_found: int = 0
    entities: int = 0
    entities_found: int = 0
    occurrences: int = 0
    entities_ambiguous: int = 0
    """Entities occurring more than once in their sentence."""


@dataclass
class CandidateStats:
    """Counts from :func:`build_candidates` / :func:`gold_candidates`."""

    candidates: int = 0
    positives: int = 0
    overlapping_pairs: int = 0
    """Entity pairs whose occurrences all overlap (no candidate)."""
    truncated: int = 0
    """Candidates dropped by ``max_pairs``."""
    extra_labels: int = 0
    """Gold triples on an already-labelled pair."""
    gold_without_candidate: int = 0
    """Gold triples (with located strings) that got no candidate (overlap, truncation, schema)."""
    labels: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Schema:
    """Allowed (subject_type, predicate, object_type) triples.

    Example:
        >>> sch = Schema((("疾病", "临床表现", "症状"),))
        >>> sch.predicates_for("疾病", "症状")
        ('临床表现',)
    """

    rows: tuple[tuple[str, str, str], ...]

    @property
    def predicates(self) -> tuple[str, ...]:
        """Every predicate, sorted."""
        return tuple(sorted({p for _, p, _ in self.rows}))

    def predicates_for(self, subject_type: str, object_type: str) -> tuple[str, ...]:
        """Predicates allowed between the two types, sorted (empty: not a candidate)."""
        return self._by_types().get((subject_type, object_type), ())

    def _by_types(self) -> dict[tuple[str, str], tuple[str, ...]]:
        cache = self.__dict__.get("_cache")
        if cache is None:
            acc: dict[tuple[str, str], set[str]] = {}
            for s, p, o in self.rows:
                acc.setdefault((s, o), set()).add(p)
            cache = {k: tuple(sorted(v)) for k, v in acc.items()}
            object.__setattr__(self, "_cache", cache)
        return cache


def read_schema(path: str | Path) -> Schema:
    """Read a CMeIE ``schema.json`` (one JSON object per line)."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        if line.strip():
            d = json.loads(line)
            rows.append((d["subject_type"], d["predicate"], d["object_type"]))
    return Schema(tuple(rows))


def _value(x: object) -> str:
    return x["@value"] if isinstance(x, Mapping) else str(x)


def read_cmeie(path: str | Path, prefix: str | None = None) -> list[Sentence]:
    """Read a CMeIE JSON Lines file; ids are ``{prefix}-{line number}`` (prefix: the file stem).

    Raises:
        ValueError: On a line that is not a JSON object with ``text``.
    """
    path = Path(path)
    prefix = prefix or path.stem
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines()):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            triples = tuple(Triple(s["subject"], s["subject_type"], s["predicate"], _value(s["object"]),
                                   _value(s["object_type"])) for s in d.get("spo_list", ()))
            out.append(Sentence(f"{prefix}-{i}", d["text"], triples))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{i + 1}: not a CMeIE record ({exc})") from exc
    return out


def split_of(text: str, fractions: tuple[float, float] = (0.7, 0.1)) -> Split:
    """The side of one text: SHA-1 of its UTF-8 bytes -> [0, 1) -> train / validation / test."""
    u = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "big") / 2**64
    if u < fractions[0]:
        return "train"
    return "validation" if u < fractions[0] + fractions[1] else "test"


def split_by_text(sentences: Iterable[Sentence], fractions: tuple[float, float] = (0.7, 0.1)
                  ) -> dict[str, list[Sentence]]:
    """Deterministic ~70/10/20 split keyed by the text alone (equal texts always land together)."""
    out: dict[str, list[Sentence]] = {"train": [], "validation": [], "test": []}
    for s in sentences:
        out[split_of(s.text, fractions)].append(s)
    return out


def split_counts(split: Mapping[str, Sequence[Sentence]]) -> dict[str, dict[str, int]]:
    """Sentences and triples per side."""
    return {k: {"sentences": len(v), "triples": sum(len(s.triples) for s in v)} for k, v in split.items()}


def locate(text: str, string: str, type_: str) -> list[Mention]:
    """Every occurrence of ``string`` in ``text`` (overlapping ones included), in text order."""
    if not string:
        return []
    out, i = [], text.find(string)
    while i >= 0:
        out.append(Mention(i, i + len(string), string, type_))
        i = text.find(string, i + 1)
    return out


def locate_sentence(sentence: Sentence, stats: LocateStats | None = None) -> list[Mention]:
    """All occurrences of the sentence's gold entities (unique by text and type), sorted by offset."""
    stats = stats if stats is not None else LocateStats()
    entities: dict[tuple[str, str], list[Mention]] = {}
    for t in sentence.triples:
        stats.triples += 1
        found = True
        for key in ((t.subject, t.subject_type), (t.object, t.object_type)):
            if key not in entities:
                entities[key] = locate(sentence.text, *key)
            found = found and bool(entities[key])
        stats.triples_not_found += not found
    stats.entities += len(entities)
    stats.entities_found += sum(1 for v in entities.values() if v)
    stats.entities_ambiguous += sum(1 for v in entities.values() if len(v) > 1)
    stats.occurrences += sum(len(v) for v in entities.values())
    return sorted((m for v in entities.values() for m in v), key=lambda m: (m.start, m.end, m.type))


def _check(text: str, m: Mention) -> None:
    if not (0 <= m.start < m.end <= len(text)) or text[m.start:m.end] != m.text:
        raise ValueError(f"mention {m.text!r} [{m.start}, {m.end}) is not inside the sentence "
                         f"(length {len(text)}; text there: {text[max(0, m.start):max(0, m.end)]!r})")


def _closest(subs: list[Mention], objs: list[Mention]) -> tuple[int, Mention, Mention] | None:
    best = None
    for s in subs:
        for o in objs:
            if s.start < o.end and o.start < s.end:
                continue
            gap = o.start - s.end if o.start >= s.end else s.start - o.end
            key = (gap, min(s.start, o.start), s.start)
            if best is None or key < best[0]:
                best = (key, s, o)
    return None if best is None else (best[0][0], best[1], best[2])


def build_candidates(sentence_id: str, text: str, mentions: Sequence[Mention], schema: Schema, *,
                     gold: Mapping[tuple[str, str, str, str], str] | None = None, max_pairs: int = 1024,
                     stats: CandidateStats | None = None) -> list[Candidate]:
    """Every ordered entity pair whose types the schema allows, one occurrence pair each.

    Args:
        sentence_id: Carried into each candidate.
        text: The sentence.
        mentions: Gold or predicted mentions (several occurrences of one entity allowed).
        schema: Allowed type signatures.
        gold: ``(subject, subject_type, object, object_type) -> predicate``; ``None``: every label ``none``.
        max_pairs: At most this many candidates; beyond it the pairs with the largest gap are dropped.
        stats: Counters to add to.

    Returns:
        Candidates sorted by subject then object offset.

    Raises:
        ValueError: If a mention lies outside ``text`` or does not match it.
    """
    stats = stats if stats is not None else CandidateStats()
    groups: dict[tuple[str, str], list[Mention]] = {}
    for m in mentions:
        _check(text, m)
        groups.setdefault((m.text, m.type), []).append(m)
    scored: list[tuple[int, Candidate]] = []
    for (st, sty), subs in groups.items():
        for (ot, oty), objs in groups.items():
            if (st, sty) == (ot, oty) or not schema.predicates_for(sty, oty):
                continue
            hit = _closest(subs, objs)
            if hit is None:
                stats.overlapping_pairs += 1
                continue
            label = (gold or {}).get((st, sty, ot, oty), NONE)
            scored.append((hit[0], Candidate(sentence_id, hit[1], hit[2], label)))
    if len(scored) > max_pairs:
        stats.truncated += len(scored) - max_pairs
        scored = sorted(scored, key=lambda x: (x[0], x[1].subject.start, x[1].object.start))[:max_pairs]
    out = sorted((c for _, c in scored), key=lambda c: (c.subject.start, c.object.start, c.subject.type))
    stats.candidates += len(out)
    stats.positives += sum(c.label != NONE for c in out)
    stats.labels.update(c.label for c in out)
    return out


def gold_candidates(sentences: Iterable[Sentence], schema: Schema, *, max_pairs: int = 1024,
                    locate_stats: LocateStats | None = None, stats: CandidateStats | None = None
                    ) -> tuple[list[Candidate], dict[str, str]]:
    """Candidates over the gold entities of each sentence, labelled from its triples.

    Returns:
        The candidates and ``sentence id -> text`` (what the classifiers read).
    """
    stats = stats if stats is not None else CandidateStats()
    out: list[Candidate] = []
    texts: dict[str, str] = {}
    for s in sentences:
        texts[s.id] = s.text
        gold: dict[tuple[str, str, str, str], str] = {}
        for t in s.triples:
            key = (t.subject, t.subject_type, t.object, t.object_type)
            if key in gold:
                stats.extra_labels += gold[key] != t.predicate
            else:
                gold[key] = t.predicate
        cands = build_candidates(s.id, s.text, locate_sentence(s, locate_stats), schema, gold=gold,
                                 max_pairs=max_pairs, stats=stats)
        out.extend(cands)
        seen = {(c.subject.text, c.subject.type, c.object.text, c.object.type) for c in cands}
        stats.gold_without_candidate += sum(
            1 for t in s.triples if (t.subject, t.subject_type, t.object, t.object_type) not in seen
            and t.subject in s.text and t.object in s.text)
    return out, texts
