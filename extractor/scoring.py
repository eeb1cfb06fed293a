"""Strict entity-level scoring: a predicted span counts only with the exact start, end and type.

Besides the micro and per-type figures, every span is put in one of two classes, so nested and flat
spans are reported apart (:data:`NESTING`):

- a gold span is ``nested`` when it contains, lies inside or overlaps another gold span of its record
  (another type on the same offsets counts too), else ``flat``;
- a predicted span that matches a gold span exactly takes that gold span's class; any other predicted
  span is ``nested`` when it overlaps another predicted span of its record, else ``flat``.

A true positive thus falls in the class of its gold span on both sides, and the two classes add up to
the micro counts: ``nested.tp + flat.tp == micro.tp`` (likewise predicted and gold spans).

Example:
    >>> gold = [[Span(0, 2, "Disease")]]
    >>> report = score_spans(gold, [[Span(0, 2, "Disease"), Span(3, 4, "Drug")]])
    >>> round(report.micro.f1, 3)
    0.667

    Nested spans: 胃癌 lies inside 胃癌术后, so both gold spans are nested; the predicted 术后 overlaps
    the predicted 胃癌术后 and matches no gold span, so it is counted as a nested prediction:

    >>> gold = [[Span(0, 4, "dis"), Span(0, 1, "bod"), Span(5, 7, "sym")]]
    >>> pred = [[Span(0, 4, "dis"), Span(2, 4, "pro"), Span(5, 7, "sym")]]
    >>> report = score_spans(gold, pred)
    >>> report.nested, report.flat
    (PRF(tp=1, n_pred=2, n_gold=2), PRF(tp=1, n_pred=1, n_gold=1))
    >>> report.micro
    PRF(tp=2, n_pred=3, n_gold=3)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from extractor.data import Span

__all__ = ["NESTING", "PRF", "ScoreReport", "nested_keys", "score_spans"]

#: The two classes of span :func:`score_spans` reports apart, as the report's keys.
NESTING = ("nested", "flat")

_Key = tuple[int, int, str]


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
    """Micro scores, one :class:`PRF` per type (sorted by name), and the nested and flat spans apart."""

    micro: PRF
    per_type: dict[str, PRF] = field(default_factory=dict)
    nested: PRF = PRF(0, 0, 0)
    """Spans in or around another span of their record (the module docstring's rule)."""
    flat: PRF = PRF(0, 0, 0)
    """The other spans; ``nested`` and ``flat`` add up to ``micro``."""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"micro": self.micro.to_dict(), "nested": self.nested.to_dict(), "flat": self.flat.to_dict(),
                "per_type": {k: v.to_dict() for k, v in self.per_type.items()}}


def nested_keys(spans: Iterable[_Key]) -> set[_Key]:
    """The ``(start, end, type)`` keys that contain, lie inside or overlap another key of ``spans``.

    Duplicates count once: a span does not overlap itself.

    Example:
        >>> sorted(nested_keys([(0, 4, "dis"), (0, 1, "bod"), (5, 7, "sym"), (5, 7, "sym")]))
        [(0, 1, 'bod'), (0, 4, 'dis')]
    """
    ordered = sorted(set(spans))
    marked: set[_Key] = set()
    reach, holder = -1, None  # the furthest end seen so far and the span that reaches it
    for key in ordered:
        if holder is not None and key[0] < reach:
            marked.update((key, holder))
        if key[1] > reach:
            reach, holder = key[1], key
    return marked


def score_spans(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]]) -> ScoreReport:
    """Strict micro P/R/F1 over records (same order, one list of spans each), per type and nested/flat.

    Duplicate spans inside one record count once; the score does not take part.

    Raises:
        ValueError: If the two lists differ in length.
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold records but {len(pred)} predicted")
    counts: dict[str, list[int]] = {}
    classes: dict[str, list[int]] = {name: [0, 0, 0] for name in NESTING}
    for g_spans, p_spans in zip(gold, pred, strict=True):
        g = {(s.start, s.end, s.type) for s in g_spans}
        p = {(s.start, s.end, s.type) for s in p_spans}
        g_nested, p_nested = nested_keys(g), nested_keys(p)
        for keys, bucket in ((g & p, 0), (p, 1), (g, 2)):
            for key in keys:
                counts.setdefault(key[2], [0, 0, 0])[bucket] += 1
                inside = key in g_nested if key in g else key in p_nested
                classes[NESTING[0] if inside else NESTING[1]][bucket] += 1
    per_type = {t: PRF(*c) for t, c in sorted(counts.items())}
    micro = PRF(*(sum(c[i] for c in counts.values()) for i in range(3)))
    return ScoreReport(micro, per_type, PRF(*classes["nested"]), PRF(*classes["flat"]))
