"""Scores of an assertion method on labelled mentions: P/R/F1 per dimension and class, macro-F1, two baselines.

A method is any callable ``(text, spans) -> list[Assertion]``: :class:`extractor.assertion.context.ContextEngine`,
the learned classifier, or the baselines here:

- :func:`all_default`: every mention affirmed, current, the patient's;
- :class:`NegExBaseline`: NegEx's idea with the same trigger words: a trigger anywhere before the mention in its
  sentence sets its category (the nearest per dimension); no pseudo-triggers, no scope, no backward triggers.

Example:
    >>> from extractor.assertion.schema import Assertion
    >>> s = score([Assertion(), Assertion("negated")], [Assertion(), Assertion()])
    >>> s["certainty"]["negated"]["recall"], s["certainty"]["affirmed"]["precision"]
    (0.0, 1.0)
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from extractor.assertion.context import fold
from extractor.assertion.rules import RuleSet, load_rules
from extractor.assertion.schema import DIMENSIONS, Assertion

__all__ = ["Method", "NegExBaseline", "all_default", "evaluate_method", "macro_f1", "score"]

Method = Callable[[str, Sequence[tuple[int, int]]], list[Assertion]]
_SENTENCE = re.compile(r"[。；;！!？?\n]")


def all_default(text: str, spans: Sequence[tuple[int, int]]) -> list[Assertion]:
    """The first baseline: nothing is negated, uncertain, hypothetical, historical or someone else's."""
    return [Assertion() for _ in spans]


class NegExBaseline:
    """The second baseline: a trigger anywhere before the mention in its sentence."""

    def __init__(self, rules: RuleSet | None = None) -> None:
        """Take the trigger words of ``rules`` (default ``zh_context_v1``) and nothing else of them."""
        self.rules = [r for r in (rules or load_rules()).rules if r.sets is not None]

    def __call__(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Assertion]:
        """The baseline's assertion of each span."""
        folded = fold(text)
        found = sorted(((m.start(), m.end(), sets) for r in self.rules if (sets := r.sets) is not None
                        for m in r.pattern.finditer(folded) if m.end() > m.start()), key=lambda x: (x[0], x[1]))
        out = []
        for start, _ in spans:
            sentence = max((m.end() for m in _SENTENCE.finditer(folded, 0, start)), default=0)
            values: dict[str, str] = {}
            for t_start, t_end, (dimension, value) in found:
                if sentence <= t_start and t_end <= start:
                    values[dimension] = value  # later (nearer) triggers overwrite earlier ones
            out.append(Assertion.from_values(values))
        return out


def score(predicted: Sequence[Assertion], gold: Sequence[Assertion]) -> dict[str, dict[str, dict[str, float]]]:
    """``{dimension: {class: {precision, recall, f1, support}}}`` over paired predictions and gold labels."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for dimension, classes in DIMENSIONS.items():
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
        for p, g in zip(predicted, gold, strict=True):
            pv, gv = getattr(p, dimension), getattr(g, dimension)
            if pv == gv:
                counts[gv][0] += 1
            else:
                counts[pv][1] += 1
                counts[gv][2] += 1
        out[dimension] = {}
        for cls in classes:
            tp, fp, fn = counts[cls]
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / (tp + fn) if tp + fn else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            out[dimension][cls] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                                   "support": tp + fn}
    return out


def macro_f1(scores: dict[str, dict[str, dict[str, float]]]) -> float:
    """Mean F1 over every class of every dimension that has gold support."""
    values = [c["f1"] for d in scores.values() for c in d.values() if c["support"]]
    return round(sum(values) / len(values), 4) if values else 0.0


def evaluate_method(method: Method, items: Sequence[tuple[Any, str]]) -> dict[str, Any]:
    """Score ``method`` on ``(row, text)`` pairs (rows with ``start``, ``end``, ``assertion``), grouped by text.

    Returns:
        ``{"scores": ..., "macro_f1": ..., "mentions": n}``.
    """
    by_text: dict[str, list[Any]] = defaultdict(list)
    for row, text in items:
        by_text[text].append(row)
    predicted, gold = [], []
    for text, rows in by_text.items():
        predicted += method(text, [(r.start, r.end) for r in rows])
        gold += [r.assertion for r in rows]
    scores = score(predicted, gold)
    return {"scores": scores, "macro_f1": macro_f1(scores), "mentions": len(gold)}
