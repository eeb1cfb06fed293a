"""Scores: classification of gold-entity candidates, and CBLUE-style end-to-end triples.

- :func:`score_candidates`: micro and per-predicate precision / recall / F1 over candidates, where
  ``none`` is the negative class (a predicted relation on a ``none`` pair is a false positive; a wrong
  predicate counts once as false positive and once as false negative).
- :func:`score_triples`: CBLUE's CMeIE metric: per sentence the *set* of (subject text, predicate,
  object text) triples; a predicted triple is correct when all three strings match a gold one.

Example:
    >>> round(score_candidates(["临床表现", "none"], ["临床表现", "病因"]).micro.f1, 3)
    0.667
    >>> score_triples({"s": {("胃癌", "临床表现", "腹痛")}}, {"s": {("胃癌", "临床表现", "腹痛")}}).f1
    1.0
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

from extractor.relations.data import NONE, Candidate, Sentence

__all__ = ["PRF", "RelationScores", "candidate_triples", "gold_triples", "score_candidates", "score_triples"]


@dataclass(frozen=True)
class PRF:
    """Precision, recall, F1 and the counts behind them."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        """Tp / (tp + fp), 0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """Tp / (tp + fn), 0 when there is no gold."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        """Counts and rounded ratios."""
        return {**asdict(self), "p": round(self.precision, 4), "r": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass
class RelationScores:
    """Micro scores and one :class:`PRF` per gold or predicted predicate."""

    micro: PRF
    per_predicate: dict[str, PRF] = field(default_factory=dict)
    support: dict[str, int] = field(default_factory=dict)

    def as_dict(self, top: int | None = None) -> dict[str, object]:
        """JSON-ready; ``top``: only the predicates with most gold support."""
        names = sorted(self.per_predicate, key=lambda p: (-self.support.get(p, 0), p))[:top]
        return {"micro": self.micro.as_dict(),
                "per_predicate": {p: {**self.per_predicate[p].as_dict(), "support": self.support.get(p, 0)}
                                  for p in names}}


def score_candidates(gold: Sequence[str], predicted: Sequence[str]) -> RelationScores:
    """Micro / per-predicate P/R/F1 of parallel label lists (``none`` is the negative class).

    Raises:
        ValueError: If the lists differ in length.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for g, p in zip(gold, predicted, strict=True):
        if g == p:
            if g != NONE:
                tp[g] += 1
            continue
        if p != NONE:
            fp[p] += 1
        if g != NONE:
            fn[g] += 1
    names = (set(tp) | set(fp) | set(fn))
    per = {n: PRF(tp[n], fp[n], fn[n]) for n in sorted(names)}
    micro = PRF(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return RelationScores(micro, per, dict(Counter(g for g in gold if g != NONE)))


def gold_triples(sentences: Iterable[Sentence]) -> dict[str, set[tuple[str, str, str]]]:
    """Per sentence id the set of gold (subject, predicate, object) strings."""
    return {s.id: {(t.subject, t.predicate, t.object) for t in s.triples} for s in sentences}


def candidate_triples(candidates: Sequence[Candidate], labels: Sequence[str]) -> dict[str, set[tuple[str, str, str]]]:
    """Per sentence id the set of predicted triples (candidates labelled other than ``none``)."""
    out: dict[str, set[tuple[str, str, str]]] = {}
    for c, label in zip(candidates, labels, strict=True):
        if label != NONE:
            out.setdefault(c.sentence_id, set()).add((c.subject.text, label, c.object.text))
    return out


def score_triples(gold: Mapping[str, set[tuple[str, str, str]]],
                  predicted: Mapping[str, set[tuple[str, str, str]]]) -> PRF:
    """CBLUE CMeIE micro P/R/F1: per sentence set intersection; sentences missing on one side are empty."""
    tp = fp = fn = 0
    for sid in set(gold) | set(predicted):
        g, p = gold.get(sid, set()), predicted.get(sid, set())
        hit = len(g & p)
        tp, fp, fn = tp + hit, fp + len(p) - hit, fn + len(g) - hit
    return PRF(tp, fp, fn)
