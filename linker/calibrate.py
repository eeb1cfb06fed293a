"""Calibration of the NIL threshold on labelled dev mentions (kept apart from inference).

The linker is run once with ``nil_threshold=0``; for every threshold on a grid the dev accuracy is
recomputed from the recorded best scores (a linkable mention is right when its best candidate is gold
and scores at least the threshold; a NIL mention is right when its best score is below it). The
chosen threshold is the middle of the widest-scoring plateau, which is less sensitive to the exact
dev sample than its lowest point.

Example:
    >>> result = calibrate(linker, evalset.split("dev"))  # doctest: +SKIP
    >>> tuned = result.apply(linker)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from linker.evaluate import LabeledMention, Outcome, outcomes
from linker.linker import Linker

__all__ = ["CalibrationResult", "ThresholdPoint", "calibrate"]


@dataclass(frozen=True, slots=True)
class ThresholdPoint:
    """Dev figures at one threshold."""

    threshold: float
    accuracy: float
    acc1: float | None
    nil_precision: float | None
    nil_recall: float | None


@dataclass(frozen=True)
class CalibrationResult:
    """The chosen threshold and the grid it was chosen from."""

    nil_threshold: float
    dev_accuracy: float
    n_examples: int
    points: tuple[ThresholdPoint, ...]

    def apply(self, linker: Linker) -> Linker:
        """A linker sharing ``linker``'s index with the calibrated threshold."""
        return linker.with_config(nil_threshold=self.nil_threshold)


def _point(results: Sequence[Outcome], t: float) -> ThresholdPoint:
    linkable = [o for o in results if not o.gold_nil]
    hits = sum(o.best_correct and o.best_score >= t for o in linkable)
    pred_nil = [o for o in results if o.best_score < t]
    nil_right = sum(o.gold_nil for o in pred_nil)
    gold_nil = sum(o.gold_nil for o in results)
    return ThresholdPoint(
        threshold=t,
        accuracy=(hits + nil_right) / len(results),
        acc1=hits / len(linkable) if linkable else None,
        nil_precision=nil_right / len(pred_nil) if pred_nil else None,
        nil_recall=nil_right / gold_nil if gold_nil else None,
    )


def calibrate(
    linker: Linker, examples: Sequence[LabeledMention], grid: Sequence[float] | None = None
) -> CalibrationResult:
    """Choose the NIL threshold that maximises accuracy on ``examples`` (the dev split).

    Args:
        linker: The linker to calibrate; its other settings are kept.
        examples: Labelled dev mentions (NIL ones have empty ``gold_ids``).
        grid: Thresholds to try (default 0.30 to 0.95 in steps of 0.01).

    Raises:
        ValueError: If ``examples`` is empty.
    """
    if not examples:
        raise ValueError("calibrate needs at least one labelled example")
    thresholds = sorted(grid) if grid is not None else [round(0.30 + 0.01 * i, 2) for i in range(66)]
    results = outcomes(linker.with_config(nil_threshold=0.0), examples)
    points = tuple(_point(results, t) for t in thresholds)
    best = max(p.accuracy for p in points)
    # Widest run of consecutive grid points at the best accuracy; take its middle point.
    runs: list[list[ThresholdPoint]] = []
    previous_best = False
    for p in points:
        is_best = p.accuracy == best
        if is_best and previous_best:
            runs[-1].append(p)
        elif is_best:
            runs.append([p])
        previous_best = is_best
    widest = max(runs, key=len)
    chosen = widest[(len(widest) - 1) // 2]
    return CalibrationResult(chosen.threshold, chosen.accuracy, len(examples), points)
