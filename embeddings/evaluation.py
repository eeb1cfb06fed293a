"""Filtered link-prediction metrics against a popularity baseline.

Protocol (the same for every model and for the baseline):

- Each held-out triple ``(h, r, t)`` is ranked on **both sides**: the tail query ``(h, r, ?)``
  ranks ``t`` among all entities, the head query ``(?, r, t)`` ranks ``h``. ``both`` pools the two
  rank lists (the usual "both-sides" number); ``tail`` and ``head`` are reported too. Tail-only
  numbers are the easier ones on this KG (``(disease, HAS_SYMPTOM, ?)`` has many plausible answers,
  but ``(?, BELONGS_TO, 内科)`` has thousands of right answers, all filtered), so compare like with like.
- **Filtered**: other true answers (from training, validation and test) are removed before ranking.
- **Realistic ranks**: ties count half, rank = 1 + #better + #tied / 2, so a constant score cannot
  look good (the popularity baseline has many ties among unseen entities).
- Metrics: MRR (mean of 1/rank), Hits@1/3/10, mean rank; overall and per relation type.
- **Popularity baseline**: a tail candidate's score is how often it is the tail of relation ``r``
  in the training triples (a head candidate's, how often it is the head of ``r``).

Relations with one triple only appear in training (the coverage split), so they have no metrics.

Example:
    >>> report = evaluate(scorer, split.test, known, popularity)  # doctest: +SKIP
    >>> report.model.both.mrr > report.baseline.both.mrr  # doctest: +SKIP
    True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from embeddings.scoring import Scorer

__all__ = [
    "PROTOCOL",
    "EvaluationReport",
    "KnownTriples",
    "Popularity",
    "RankingMetrics",
    "RelationReport",
    "SideMetrics",
    "evaluate",
    "validation_mrr",
]

PROTOCOL = ("filtered, realistic ranks (ties count half), both sides (head and tail queries pooled); "
            "popularity baseline: candidate frequency as tail (head) of the relation in training")

Progress = Callable[[int], None]


@dataclass(frozen=True)
class RankingMetrics:
    """Rank-based metrics of one set of queries."""

    count: int
    mrr: float
    hits_at_1: float
    hits_at_3: float
    hits_at_10: float
    mean_rank: float

    @classmethod
    def from_ranks(cls, ranks: np.ndarray) -> RankingMetrics:
        """Metrics of realistic ranks (1 is best); zeros for an empty array."""
        if len(ranks) == 0:
            return cls(0, 0.0, 0.0, 0.0, 0.0, 0.0)
        return cls(int(len(ranks)), float(np.mean(1.0 / ranks)), float(np.mean(ranks <= 1)),
                   float(np.mean(ranks <= 3)), float(np.mean(ranks <= 10)), float(np.mean(ranks)))


@dataclass(frozen=True)
class SideMetrics:
    """Metrics of head queries, tail queries and both pooled."""

    both: RankingMetrics
    head: RankingMetrics
    tail: RankingMetrics

    @classmethod
    def from_ranks(cls, head: np.ndarray, tail: np.ndarray) -> SideMetrics:
        """Pool and summarise head and tail ranks."""
        return cls(RankingMetrics.from_ranks(np.concatenate([head, tail])),
                   RankingMetrics.from_ranks(head), RankingMetrics.from_ranks(tail))


@dataclass(frozen=True)
class RelationReport:
    """One relation type's test metrics, model and baseline."""

    triples: int
    model: SideMetrics
    baseline: SideMetrics


@dataclass(frozen=True)
class EvaluationReport:
    """The evaluation of one model on held-out triples, with the baseline under the same protocol."""

    protocol: str
    triples: int
    model: SideMetrics
    baseline: SideMetrics
    per_relation: dict[str, RelationReport]
    seconds: float = field(compare=False)

    @property
    def beats_baseline(self) -> bool:
        """Whether the model's both-sides MRR is above the baseline's."""
        return self.model.both.mrr > self.baseline.both.mrr

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self) | {"beats_baseline": self.beats_baseline}


class KnownTriples:
    """Every true answer of every query, for filtering: ``(h, r) -> tails`` and ``(r, t) -> heads``."""

    def __init__(self, triples: np.ndarray, num_relations: int) -> None:
        self.num_relations = num_relations
        self._tails = self._group(triples[:, 0] * num_relations + triples[:, 1], triples[:, 2])
        self._heads = self._group(triples[:, 2] * num_relations + triples[:, 1], triples[:, 0])

    @staticmethod
    def _group(keys: np.ndarray, values: np.ndarray) -> dict[int, np.ndarray]:
        order = np.argsort(keys, kind="stable")
        keys, values = keys[order], values[order]
        bounds = np.flatnonzero(np.diff(keys)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(keys)]])
        return {int(keys[s]): values[s:e] for s, e in zip(starts, ends, strict=True)}

    def tails(self, head: int, relation: int) -> np.ndarray:
        """True tails of ``(head, relation, ?)``."""
        return self._tails.get(head * self.num_relations + relation, np.empty(0, dtype=np.int64))

    def heads(self, tail: int, relation: int) -> np.ndarray:
        """True heads of ``(?, relation, tail)``."""
        return self._heads.get(tail * self.num_relations + relation, np.empty(0, dtype=np.int64))


class Popularity:
    """The popularity baseline: per relation, how often each entity is a tail (a head) in training."""

    def __init__(self, train: np.ndarray, num_entities: int, num_relations: int) -> None:
        self.num_entities = num_entities
        self.tail_counts = np.zeros((num_relations, num_entities), dtype=np.float32)
        self.head_counts = np.zeros((num_relations, num_entities), dtype=np.float32)
        np.add.at(self.tail_counts, (train[:, 1], train[:, 2]), 1.0)
        np.add.at(self.head_counts, (train[:, 1], train[:, 0]), 1.0)

    def tail_scores(self, heads: np.ndarray, relation: int) -> torch.Tensor:  # noqa: D102 - see Scorer
        return torch.from_numpy(self.tail_counts[relation]).expand(len(heads), -1).clone()

    def head_scores(self, tails: np.ndarray, relation: int) -> torch.Tensor:  # noqa: D102 - see Scorer
        return torch.from_numpy(self.head_counts[relation]).expand(len(tails), -1).clone()


def _ranks(scores: torch.Tensor, answers: np.ndarray, filters: list[np.ndarray]) -> np.ndarray:
    """Realistic filtered ranks of ``answers`` in ``scores`` ``(B, E)``.

    ``filters[i]`` holds every true answer of query ``i`` (its own included).
    """
    rows = torch.arange(len(answers))
    target = torch.as_tensor(answers, dtype=torch.long)
    true_scores = scores[rows, target].clone().unsqueeze(1)
    lengths = [len(f) for f in filters]
    filter_rows = torch.repeat_interleave(rows, torch.as_tensor(lengths, dtype=torch.long))
    filter_cols = torch.as_tensor(np.concatenate(filters) if filters else np.empty(0), dtype=torch.long)
    scores = scores.clone()
    scores[filter_rows, filter_cols] = float("-inf")  # removes the answer itself too
    better = (scores > true_scores).sum(dim=1)
    tied = (scores == true_scores).sum(dim=1)
    return (1.0 + better + tied / 2.0).double().numpy()


def _side_ranks(scorer: Scorer, triples: np.ndarray, relation: int, known: KnownTriples,
                batch: int) -> tuple[np.ndarray, np.ndarray]:
    heads_out, tails_out = [], []
    with torch.inference_mode():
        for start in range(0, len(triples), batch):
            chunk = triples[start:start + batch]
            h, t = chunk[:, 0], chunk[:, 2]
            tails_out.append(_ranks(scorer.tail_scores(h, relation), t,
                                    [known.tails(int(x), relation) for x in h]))
            heads_out.append(_ranks(scorer.head_scores(t, relation), h,
                                    [known.heads(int(x), relation) for x in t]))
    return np.concatenate(heads_out), np.concatenate(tails_out)


def _batch_rows(num_entities: int) -> int:
    return max(16, min(2048, (64 << 20) // (4 * max(1, num_entities))))


def evaluate(scorer: Scorer, triples: np.ndarray, known: KnownTriples, popularity: Popularity,
             relations: list[str], progress: Progress | None = None) -> EvaluationReport:
    """Rank held-out triples with a model and with the popularity baseline.

    Args:
        scorer: the trained model's scorer.
        triples: ``(n, 3)`` id triples to rank (the test split).
        known: every true triple (training, validation, test), for filtering.
        popularity: the baseline, built from the training triples.
        relations: relation labels by id, for the per-relation report.
        progress: called with the number of triples ranked after each relation.
    """
    started = time.perf_counter()
    batch = _batch_rows(scorer.num_entities)
    model_h, model_t, base_h, base_t = [], [], [], []
    per_relation: dict[str, RelationReport] = {}
    for relation in np.unique(triples[:, 1]).tolist():
        subset = triples[triples[:, 1] == relation]
        mh, mt = _side_ranks(scorer, subset, relation, known, batch)
        bh, bt = _side_ranks(popularity, subset, relation, known, batch)
        per_relation[relations[relation]] = RelationReport(len(subset), SideMetrics.from_ranks(mh, mt),
                                                           SideMetrics.from_ranks(bh, bt))
        model_h.append(mh)
        model_t.append(mt)
        base_h.append(bh)
        base_t.append(bt)
        if progress is not None:
            progress(len(subset))

    def pooled(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts) if parts else np.empty(0)

    return EvaluationReport(PROTOCOL, int(len(triples)),
                            SideMetrics.from_ranks(pooled(model_h), pooled(model_t)),
                            SideMetrics.from_ranks(pooled(base_h), pooled(base_t)),
                            dict(sorted(per_relation.items())), round(time.perf_counter() - started, 3))


def validation_mrr(scorer: Scorer, triples: np.ndarray, known: KnownTriples) -> float:
    """Both-sides filtered MRR of the model alone (the early-stopping criterion)."""
    batch = _batch_rows(scorer.num_entities)
    ranks = []
    for relation in np.unique(triples[:, 1]).tolist():
        heads, tails = _side_ranks(scorer, triples[triples[:, 1] == relation], relation, known, batch)
        ranks.extend([heads, tails])
    return RankingMetrics.from_ranks(np.concatenate(ranks)).mrr if ranks else 0.0
