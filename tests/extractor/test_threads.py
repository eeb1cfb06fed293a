"""A training step gives torch's process-wide thread count back when it ends (``extractor.threads``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from app.tagging.recipe import RecipeConfig, _threads
from extractor.kge_quick import KgeQuickConfig, train_transe
from extractor.pretrain_emb import EmbeddingPretrainConfig, pretrain_char_vectors
from extractor.threads import keeps_torch_threads


@pytest.fixture
def two_threads() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_char_vectors_on_one_thread_leave_the_process_on_two(two_threads: None) -> None:
    vectors = pretrain_char_vectors(["患者胃癌术后复查", "无发热，否认糖尿病"] * 20,
                                    EmbeddingPretrainConfig(dim=8, steps=3, batch_size=16, threads=1))
    assert vectors.meta["steps"] == 3
    assert torch.get_num_threads() == 2


def test_transe_on_one_thread_leaves_the_process_on_two(two_threads: None) -> None:
    triples = [("d1", "has_symptom", "s1"), ("d2", "has_symptom", "s2"), ("d1", "recommend_drug", "m1")]
    kg = train_transe(triples, KgeQuickConfig(dim=4, epochs=2, threads=1))
    assert len(kg.vectors) == 5
    assert torch.get_num_threads() == 2


def test_the_count_comes_back_when_the_step_fails(two_threads: None) -> None:
    @keeps_torch_threads
    def failing() -> None:
        torch.set_num_threads(1)
        raise RuntimeError("step failed")

    with pytest.raises(RuntimeError, match="step failed"):
        failing()
    assert torch.get_num_threads() == 2


def test_recipe_threads_zero_means_every_core_torch_uses(two_threads: None) -> None:
    assert _threads(RecipeConfig(threads=0)) == 2
    assert _threads(RecipeConfig(threads=1)) == 1
