"""Filtered realistic ranks, the popularity baseline and the report."""

from __future__ import annotations

import numpy as np
import torch

from embeddings.evaluation import KnownTriples, Popularity, RankingMetrics, _ranks, evaluate


def test_realistic_ranks_count_ties_half_and_filter_other_answers() -> None:
    scores = torch.tensor([[0.9, 0.5, 0.5, 0.5, 0.1],
                           [0.9, 0.8, 0.7, 0.6, 0.5]])
    # query 0: answer 1, tied with 2 and 3 -> rank 1 (entity 0 better) + 1 + 2 ties / 2 = 3
    # query 1: answer 3; entities 0 and 1 are other true answers (filtered) -> only 2 is better
    ranks = _ranks(scores, np.array([1, 3]), [np.array([1]), np.array([0, 1, 3])])
    assert ranks.tolist() == [3.0, 2.0]


def test_ranking_metrics() -> None:
    metrics = RankingMetrics.from_ranks(np.array([1.0, 2.0, 4.0, 20.0]))
    assert metrics.count == 4
    assert metrics.mrr == (1 + 0.5 + 0.25 + 0.05) / 4
    assert (metrics.hits_at_1, metrics.hits_at_3, metrics.hits_at_10) == (0.25, 0.5, 0.75)
    assert RankingMetrics.from_ranks(np.array([])).count == 0


def test_known_triples_and_popularity() -> None:
    train = np.array([[0, 0, 1], [2, 0, 1], [0, 0, 3], [1, 1, 0]])
    known = KnownTriples(train, num_relations=2)
    assert sorted(known.tails(0, 0).tolist()) == [1, 3]
    assert sorted(known.heads(1, 0).tolist()) == [0, 2]
    assert known.tails(3, 1).size == 0
    popularity = Popularity(train, num_entities=4, num_relations=2)
    assert popularity.tail_scores(np.array([5, 6]), 0).tolist() == [[0, 2, 0, 1]] * 2
    assert popularity.head_scores(np.array([1]), 0).tolist() == [[2, 0, 1, 0]]


def test_a_perfect_scorer_beats_the_baseline_under_the_same_protocol() -> None:
    # relation 0 maps entity i to entity i + 4; popularity cannot know which
    train = np.array([[i, 0, i + 4] for i in range(4)] + [[0, 0, 5]])
    test = np.array([[1, 0, 5], [2, 0, 6]])

    class Oracle:
        num_entities = 8

        def tail_scores(self, heads: np.ndarray, relation: int) -> torch.Tensor:
            scores = torch.zeros(len(heads), 8)
            scores[torch.arange(len(heads)), torch.as_tensor(heads) + 4] = 1.0
            return scores

        def head_scores(self, tails: np.ndarray, relation: int) -> torch.Tensor:
            scores = torch.zeros(len(tails), 8)
            scores[torch.arange(len(tails)), torch.as_tensor(tails) - 4] = 1.0
            return scores

    known = KnownTriples(np.concatenate([train, test]), 1)
    report = evaluate(Oracle(), test, known, Popularity(train, 8, 1), ["R"])
    assert report.model.both.mrr == 1.0 and report.model.both.count == 4
    assert report.baseline.both.mrr < 1.0 and report.beats_baseline
    assert set(report.per_relation) == {"R"} and report.per_relation["R"].triples == 2
    assert "both sides" in report.protocol
