"""Strict entity-level scoring: a predicted span counts only with the exact start, end and type.

Example:
    >>> gold = [[Span(0, 2, "Disease")]]
    >>> report = score_spans(gold, [[Span(0, 2, "Disease"), Span(3, 4, "Drug")]])
    >>> round(report.micro.f1, 3)
    0.667
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from extractor.data import Span

__all__ = ["PRF", "ScoreReport", "score_spans"]


@dataclass(frozen=True)
class PRF:
    """Counts and precision/recall/F1 (in 0..1) for one type or overall."""

    tp: int
    n_pred: int
    n_gold: int

    @property
    def precision(self) -> float:
        """True positives over predicted spans (0 when nothing was predicted)."""
        return self.tp / self.n_pred if self.n_pred else 0.0

    @property
    def recall(self) -> float:
        """True positives over gold spans (0 when there is no gold span)."""
        return self.tp / self.n_gold if self.n_gold else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float]:
        """Counts plus P/R/F1."""
        return {**asdict(self), "precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class ScoreReport:
    """Micro scores and one :class:`PRF` per type (sorted by name)."""

    micro: PRF
    per_type: dict[str, PRF] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"micro": self.micro.to_dict(), "per_type": {k: v.to_dict() for k, v in self.per_type.items()}}


def score_spans(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]]) -> ScoreReport:
    """Strict micro P/R/F1 over records (same order, one list of spans each).

    Duplicate spans inside one record count once.

    Raises:
        ValueError: If the two lists differ in length.
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold records but {len(pred)} predicted")
    counts: dict[str, list[int]] = {}
    for g_spans, p_spans in zip(gold, pred, strict=True):
        g = {(s.start, s.end, s.type) for s in g_spans}
        p = {(s.start, s.end, s.type) for s in p_spans}
        for key, bucket in ((g & p, 0), (p, 1), (g, 2)):
            for _, _, typ in key:
                counts.setdefault(typ, [0, 0, 0])[bucket] += 1
    per_type = {t: PRF(*c) for t, c in sorted(counts.items())}
    micro = PRF(*(sum(c[i] for c in counts.values()) for i in range(3)))
    return ScoreReport(micro, per_type)
