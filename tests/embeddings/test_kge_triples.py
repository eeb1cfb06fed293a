"""Triples: validation, de-duplication, deterministic coverage split."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.config import SplitConfig
from embeddings.triples import EmptyTriplesError, prepare_triples, split_triples, triples_digest


def test_prepare_sorts_and_deduplicates(triples: list[tuple[str, str, str]]) -> None:
    shuffled = list(reversed(triples)) + triples[:5]
    prepared = prepare_triples(shuffled)
    assert prepared.shape == (len(set(triples)), 3)
    assert [tuple(row) for row in prepared.tolist()] == sorted(set(triples))
    assert triples_digest(prepared) == triples_digest(prepare_triples(triples))


def test_empty_and_malformed_triples_raise() -> None:
    with pytest.raises(EmptyTriplesError, match="no triples"):
        prepare_triples([])
    with pytest.raises(ValueError, match="triple 1"):
        prepare_triples([("a", "r", "b"), ("a", "", "b")])
    with pytest.raises(ValueError, match="triple 0"):
        prepare_triples([("a", "r")])  # type: ignore[list-item]


def test_split_covers_every_entity_and_is_deterministic(triples: list[tuple[str, str, str]]) -> None:
    labelled = prepare_triples(triples)
    first = split_triples(labelled, SplitConfig(), seed=5)
    again = split_triples(prepare_triples(list(reversed(triples))), SplitConfig(), seed=5)
    other = split_triples(labelled, SplitConfig(), seed=6)
    assert np.array_equal(first.test, again.test) and np.array_equal(first.train, again.train)
    assert not np.array_equal(first.test, other.test)
    summary = first.summary
    assert summary.train + summary.validation + summary.test == summary.triples == len(labelled)
    assert summary.validation > 0 and summary.test > 0
    in_train = set(first.train[:, 0]) | set(first.train[:, 2])
    assert in_train == set(range(len(first.entities)))
    assert set(first.train[:, 1]) == set(range(len(first.relations)))
    assert first.entities == sorted(first.entities)


def test_tiny_graphs_hold_nothing_out() -> None:
    split = split_triples(prepare_triples([("a", "r", "b"), ("b", "r", "c")]), SplitConfig(), seed=1)
    assert (split.summary.train, split.summary.validation, split.summary.test) == (2, 0, 0)
    assert "nothing held out" in split.summary.note


def test_single_triple_relations_stay_in_training(triples: list[tuple[str, str, str]]) -> None:
    labelled = prepare_triples([*triples, ("Disease:感冒", "RARE", "Drug:阿莫西林")])
    split = split_triples(labelled, SplitConfig(), seed=1)
    assert split.summary.single_triple_relations == ["RARE"]
    rare = split.relations.index("RARE")
    assert (split.train[:, 1] == rare).sum() == 1 and not (split.test[:, 1] == rare).any()


def test_star_graph_cannot_hold_out_and_says_so() -> None:
    star = [(f"leaf{i}", "r", "hub") for i in range(40)]
    split = split_triples(prepare_triples(star), SplitConfig(), seed=1)
    assert split.summary.train == 40 and split.summary.test == 0
    assert "coverage" in split.summary.note
