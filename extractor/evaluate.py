"""``evaluate_corpus()``, ``evaluate_tagger()``: strict entity-level scores of a tagger on gold records, with timing.

A corpus (:func:`extractor.corpora.read_corpus`) is scored against the model head of its own schema, in
its own type names; a model without that head is refused (:class:`SchemaMismatch`). The scores are
strict (exact start, end and type), micro and per type, with nested and flat spans apart
(:func:`extractor.scoring.score_spans`).

Example:
    >>> result = evaluate_corpus(load_tagger("model"), read_corpus("ccks2017-cner", split="test"))  # doctest: +SKIP
    >>> result.report.micro.f1, result.report.nested.f1  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from core.progress import ProgressFactory
from extractor.corpus_check import Corpus
from extractor.data import Example, Span
from extractor.ensemble import VotingEnsemble
from extractor.predict import Tagger
from extractor.scoring import ScoreReport, score_spans

__all__ = ["EvalResult", "SchemaMismatch", "evaluate_corpus", "evaluate_tagger"]


class SchemaMismatch(ValueError):
    """A corpus whose schema the model has no output head for."""


@dataclass
class EvalResult:
    """Scores, predictions and throughput of one evaluation (``schema``: the head that was scored)."""

    report: ScoreReport
    predictions: list[list[Span]]
    n_records: int
    seconds: float
    schema: str | None = None

    @property
    def records_per_second(self) -> float:
        """Prediction throughput (featurisation included)."""
        return self.n_records / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary (without the predictions)."""
        return {**({"schema": self.schema} if self.schema else {}), **self.report.to_dict(),
                "records": self.n_records, "seconds": round(self.seconds, 2),
                "records_per_second": round(self.records_per_second, 1)}


def evaluate_tagger(tagger: Tagger | VotingEnsemble, examples: Sequence[Example], batch_size: int = 32,
                    progress: ProgressFactory | None = None, schema: str | None = None) -> EvalResult:
    """Predict every record and score against its gold spans (strict: exact span and type); a tagger or an ensemble.

    Args:
        tagger: A tagger or a voting ensemble.
        examples: The gold records.
        batch_size: Windows per batch.
        progress: Progress-bar factory.
        schema: The head to score (its corpus's type names); ``None``: the merged output in mention types.

    Raises:
        ValueError: ``schema`` is not one of the model's schemas.
    """
    started = time.perf_counter()
    pred = tagger.predict([ex.text for ex in examples], batch_size=batch_size, progress=progress, schema=schema)
    seconds = time.perf_counter() - started
    return EvalResult(score_spans([ex.spans for ex in examples], pred), pred, len(examples), seconds, schema)


def evaluate_corpus(tagger: Tagger | VotingEnsemble, corpus: Corpus, batch_size: int = 32,
                    progress: ProgressFactory | None = None) -> EvalResult:
    """Score the model head of the corpus's schema on the corpus (:func:`evaluate_tagger` with ``schema``).

    Raises:
        SchemaMismatch: The model has no head for the corpus's schema; the message names both.
    """
    if corpus.schema not in tagger.schemas:
        raise SchemaMismatch(f"the model has no {corpus.schema} head (it tags {', '.join(tagger.schemas)}); "
                             f"{corpus.name} is a {corpus.schema} corpus")
    return evaluate_tagger(tagger, corpus.examples, batch_size, progress, schema=corpus.schema)
