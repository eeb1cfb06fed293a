"""Accuracy@1, accuracy@k and NIL precision/recall of a linker on labelled mentions.

Definitions (``k`` is 5 unless told otherwise):

- ``acc1``: share of linkable mentions whose *accepted* result is a gold concept (a NIL answer is
  wrong);
- ``acck``: share of linkable mentions with a gold concept among the top ``k`` candidates, accepted or
  not (candidates are returned even for NIL results);
- ``nil_precision`` / ``nil_recall``: over mentions answered NIL / mentions whose gold is NIL;
- ``accuracy``: share of all mentions answered right (gold concept accepted, or NIL for NIL).

Example:
    >>> report = evaluate(linker, evalset.split("test"))  # doctest: +SKIP
    >>> report.by_source["kg_perturbed"].acc1  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from linker.linker import Linker

__all__ = ["EvalReport", "LabeledMention", "Metrics", "Outcome", "evaluate", "outcomes", "summarize"]


class LabeledMention(Protocol):
    """A mention with gold concepts (empty for NIL); ``EvalExample`` is one."""

    @property
    def mention(self) -> str: ...  # noqa: D102

    @property
    def type(self) -> str | None: ...  # noqa: D102

    @property
    def gold_ids(self) -> tuple[str, ...]: ...  # noqa: D102


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the linker answered for one labelled mention."""

    gold_nil: bool
    predicted_nil: bool
    correct_at_1: bool
    correct_at_k: bool
    best_score: float
    best_correct: bool
    method: str


@dataclass(frozen=True, slots=True)
class Metrics:
    """Scores over a group of mentions (``None`` where the denominator is zero)."""

    n: int
    n_linkable: int
    n_nil: int
    acc1: float | None
    acck: float | None
    nil_precision: float | None
    nil_recall: float | None
    accuracy: float | None


@dataclass(frozen=True)
class EvalReport:
    """Metrics overall and per type, source and kind, plus which step decided how often."""

    k: int
    overall: Metrics
    by_type: dict[str, Metrics]
    by_source: dict[str, Metrics]
    by_kind: dict[str, Metrics]
    methods: dict[str, int]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (floats rounded to 4 places)."""
        rounded: dict[str, Any] = _rounded(asdict(self))
        return rounded


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def outcomes(linker: Linker, examples: Sequence[LabeledMention], k: int = 5) -> list[Outcome]:
    """Link every example once and record the outcome."""
    out: list[Outcome] = []
    for ex in examples:
        res = linker.link(ex.mention, ex.type, k=k)
        gold = set(ex.gold_ids)
        top = res.candidates[0] if res.candidates else None
        out.append(
            Outcome(
                gold_nil=not gold,
                predicted_nil=res.is_nil,
                correct_at_1=bool(gold) and res.best is not None and res.best.concept_id in gold,
                correct_at_k=bool(gold) and any(c.concept_id in gold for c in res.candidates[:k]),
                best_score=top.score if top else 0.0,
                best_correct=top is not None and top.concept_id in gold,
                method=res.method,
            )
        )
    return out


def summarize(results: Sequence[Outcome]) -> Metrics:
    """Metrics of a group of outcomes."""
    linkable = [o for o in results if not o.gold_nil]
    gold_nil = sum(o.gold_nil for o in results)
    pred_nil = sum(o.predicted_nil for o in results)
    both_nil = sum(o.gold_nil and o.predicted_nil for o in results)
    right = sum(o.correct_at_1 for o in linkable) + both_nil
    return Metrics(
        n=len(results),
        n_linkable=len(linkable),
        n_nil=gold_nil,
        acc1=_ratio(sum(o.correct_at_1 for o in linkable), len(linkable)),
        acck=_ratio(sum(o.correct_at_k for o in linkable), len(linkable)),
        nil_precision=_ratio(both_nil, pred_nil),
        nil_recall=_ratio(both_nil, gold_nil),
        accuracy=_ratio(right, len(results)),
    )


def evaluate(linker: Linker, examples: Sequence[Any], k: int = 5) -> EvalReport:
    """Evaluate ``linker`` on labelled examples.

    Args:
        linker: The linker to evaluate.
        examples: Objects with ``mention``, ``type`` and ``gold_ids``; ``source`` and ``kind`` are used
            for the breakdowns when present.
        k: Cut-off for accuracy@k.
    """
    start = time.perf_counter()
    results = outcomes(linker, examples, k)
    seconds = time.perf_counter() - start
    groups: dict[str, dict[str, list[Outcome]]] = {"type": defaultdict(list), "source": defaultdict(list),
                                                    "kind": defaultdict(list)}
    for ex, res in zip(examples, results, strict=True):
        groups["type"][str(ex.type)].append(res)
        groups["source"][str(getattr(ex, "source", "all"))].append(res)
        groups["kind"][str(getattr(ex, "kind", "all"))].append(res)
    return EvalReport(
        k=k,
        overall=summarize(results),
        by_type={key: summarize(v) for key, v in sorted(groups["type"].items())},
        by_source={key: summarize(v) for key, v in sorted(groups["source"].items())},
        by_kind={key: summarize(v) for key, v in sorted(groups["kind"].items())},
        methods=dict(sorted(Counter(o.method for o in results).items())),
        seconds=seconds,
    )
