"""Decision thresholds of span heads, chosen on validation records.

A span head (:mod:`extractor.spanhead`) predicts a span where its raw score is above 0, the boundary of
its loss. Where the trained scores are not centred there, the head trades recall for precision (or the
reverse) by a margin that moves from epoch to epoch: the several-schema model's CMeEE head kept 0.70
precision at 0.48 recall at 0. :func:`calibrate_span_thresholds` runs each span head once over its
schema's validation records, scores its output at every threshold of a grid and keeps the one with the
best strict micro-F1 (ties: the one nearest 0). A lower threshold also lets through spans inside or around
the spans found, most of them wrong, so a second grid then chooses, at that threshold, the margin such a
nested span needs above it (ties: the smallest). CRF heads are left as they are.

Training calls it on the best epoch's weights (``TrainConfig.calibrate``); the result is in the saved
config (``HeadConfig.span_thresholds``, ``HeadConfig.span_nest_margins``), so prediction, evaluation and
the watcher use it.

Example:
    >>> report = calibrate_span_thresholds(tagger, {"cmeee": dev_examples})  # doctest: +SKIP
    >>> c = report["cmeee"]  # multi-mixed-s3 on the 1,350 sentences its training held out  # doctest: +SKIP
    >>> c.threshold, c.nest_margin, round(c.f1_at_zero, 4), round(c.f1_without_margin, 4)  # doctest: +SKIP
    (-0.75, 0.75, 0.5681, 0.5965)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from extractor.scoring import score_spans

if TYPE_CHECKING:
    from extractor.data import Example
    from extractor.predict import Tagger

__all__ = ["NEST_MARGIN_GRID", "THRESHOLD_GRID", "Calibration", "calibrate_span_thresholds"]

#: Thresholds tried, -2 to 1 by 0.25 (0 included: a calibrated head is never worse on validation).
THRESHOLD_GRID: tuple[float, ...] = tuple(-2.0 + 0.25 * i for i in range(13))

#: Nesting margins tried at the chosen threshold (0: every nested span above the threshold kept).
NEST_MARGIN_GRID: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


@dataclass(frozen=True)
class Calibration:
    """One span head's threshold, nesting margin and validation scores.

    Strict micro: ``f1`` with both, ``f1_without_margin`` with the threshold alone, ``f1_at_zero`` at 0
    with no margin (as trained).
    """

    schema: str
    threshold: float
    f1: float
    precision: float
    recall: float
    f1_at_zero: float
    n_records: int
    nest_margin: float = 0.0
    f1_without_margin: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return asdict(self)


def calibrate_span_thresholds(tagger: Tagger, dev: Mapping[str, Sequence[Example]],
                              grid: Sequence[float] = THRESHOLD_GRID, *, margins: Sequence[float] = NEST_MARGIN_GRID,
                              apply: bool = True, batch_size: int = 32) -> dict[str, Calibration]:
    """Choose each span head's threshold, then its nesting margin, on its schema's validation records.

    Args:
        tagger: The model (its span heads are calibrated; schemas with a CRF head are skipped).
        dev: Validation records per schema (gold spans in the schema's own type names).
        grid: Thresholds to try on the raw scores; must hold 0.
        margins: Nesting margins to try at the chosen threshold; must hold 0 (``(0.0,)``: threshold only).
        apply: Set the chosen values on ``tagger`` (:meth:`~extractor.predict.Tagger.set_span_thresholds`).
        batch_size: Windows per batch.

    Returns:
        Schema -> :class:`Calibration`, for every span-head schema with validation records.

    Raises:
        ValueError: A grid without 0, a negative margin, or a schema the model has no head for.
    """
    if 0.0 not in grid:
        raise ValueError(f"the threshold grid must hold 0 (the uncalibrated boundary), got {list(grid)}")
    if 0.0 not in margins or min(margins) < 0:
        raise ValueError(f"the margin grid must hold 0 and nothing negative, got {list(margins)}")
    report: dict[str, Calibration] = {}
    for name, examples in dev.items():
        if not tagger.nested(name) or not examples:
            continue
        found = tagger.span_candidates([ex.text for ex in examples], name, min(grid), batch_size)
        gold = [ex.spans for ex in examples]
        scored = {t: score_spans(gold, found.at(t)).micro for t in grid}
        best = max(scored, key=lambda t: (round(scored[t].f1, 10), -abs(t)))
        nested = {m: score_spans(gold, found.at(best, m)).micro if m else scored[best] for m in margins}
        margin = max(nested, key=lambda m: (round(nested[m].f1, 10), -m))
        micro = nested[margin]
        report[name] = Calibration(name, best, micro.f1, micro.precision, micro.recall, scored[0.0].f1,
                                   len(examples), margin, scored[best].f1)
    if apply and report:
        tagger.set_span_thresholds({name: c.threshold for name, c in report.items()},
                                   {name: c.nest_margin for name, c in report.items()})
    return report
