"""``evaluate_tagger()``: strict entity-level scores of a tagger on gold records, with timing.

Example:
    >>> result = evaluate_tagger(load_tagger("model"), read_ccks("test.json"))  # doctest: +SKIP
    >>> result.report.micro.f1  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from core.progress import ProgressFactory
from extractor.data import Example, Span
from extractor.ensemble import VotingEnsemble
from extractor.predict import Tagger
from extractor.scoring import ScoreReport, score_spans

__all__ = ["EvalResult", "evaluate_tagger"]


@dataclass
class EvalResult:
    """Scores, predictions and throughput of one evaluation."""

    report: ScoreReport
    predictions: list[list[Span]]
    n_records: int
    seconds: float

    @property
    def records_per_second(self) -> float:
        """Prediction throughput (featurisation included)."""
        return self.n_records / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary (without the predictions)."""
        return {**self.report.to_dict(), "records": self.n_records, "seconds": round(self.seconds, 2),
                "records_per_second": round(self.records_per_second, 1)}


def evaluate_tagger(tagger: Tagger | VotingEnsemble, examples: Sequence[Example], batch_size: int = 32,
                    progress: ProgressFactory | None = None) -> EvalResult:
    """Predict every record and score against its gold spans (strict: exact span and type); a tagger or an ensemble."""
    started = time.perf_counter()
    pred = tagger.predict([ex.text for ex in examples], batch_size=batch_size, progress=progress)
    seconds = time.perf_counter() - started
    return EvalResult(score_spans([ex.spans for ex in examples], pred), pred, len(examples), seconds)
