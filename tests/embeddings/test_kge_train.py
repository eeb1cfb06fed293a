"""train_embeddings on the toy KG: result object, reproducibility, save/load, every model kind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from kge_toy import CLUSTERS

from embeddings import EmbeddingResult, KGEConfig, UnknownModelError, train_embeddings
from embeddings.triples import EmptyTriplesError


def test_result_holds_vectors_losses_metrics_timings_config_versions(transe_result: EmbeddingResult,
                                                                     tiny_config: KGEConfig) -> None:
    r = transe_result
    assert (r.model, r.key, r.family, r.dim) == ("TransE", "transe", "transe", 4)
    assert r.entity_vectors.shape == (33, 4) and r.entity_vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(r.entity_vectors, axis=1), 1.0, atol=1e-5)  # TransE's constraint
    assert set(r.relation_embeddings) == {"ACCOMPANY_WITH", "BELONGS_TO", "COMMON_DRUG", "HAS_SYMPTOM"}
    assert r.entity_embeddings["Disease:感冒"].shape == (4,)
    assert np.allclose(r.relation_offsets, r.relation_vectors)  # TransE: o_r = r
    assert len(r.losses) == r.training.epochs_trained == 6 and all(np.isfinite(r.losses))
    assert [epoch for epoch, _ in r.training.validation_mrr] == [3, 6]
    assert r.training.best_epoch in (3, 6)
    report = r.evaluation
    assert report is not None and report.triples == r.split.test > 0
    assert report.model.both.count == 2 * report.triples
    assert set(report.per_relation) <= set(r.relations)
    assert {"prepare", "train", "seconds_per_epoch", "evaluate", "total"} <= set(r.timings)
    assert r.config == tiny_config.model_dump() | {"model": "TransE", "margin": 1.8}  # 0.9 * sqrt(4)
    assert KGEConfig(**r.config).model_dump() == r.config  # the resolved config is a config
    assert r.versions["pykeen"] == "1.11.1" and r.versions["torch"]
    assert len(r.triples_sha256) == 64


def test_same_seed_same_vectors_and_metrics(transe_result: EmbeddingResult, triples: list[tuple[str, str, str]],
                                            tiny_config: KGEConfig) -> None:
    again = train_embeddings(list(reversed(triples)), tiny_config)
    assert np.array_equal(again.entity_vectors, transe_result.entity_vectors)
    assert again.losses == transe_result.losses
    assert again.evaluation == transe_result.evaluation
    other = train_embeddings(triples, tiny_config.model_copy(update={"seed": 4}))
    assert not np.array_equal(other.entity_vectors, transe_result.entity_vectors)


def test_save_and_load_round_trip(transe_result: EmbeddingResult, tmp_path: Path) -> None:
    folder = transe_result.save(tmp_path / "run")
    loaded = EmbeddingResult.load(folder)
    assert np.array_equal(loaded.entity_vectors, transe_result.entity_vectors)
    assert np.array_equal(loaded.relation_offsets, transe_result.relation_offsets)
    assert loaded.entities == transe_result.entities and loaded.relations == transe_result.relations
    assert loaded.evaluation == transe_result.evaluation
    assert loaded.training == transe_result.training and loaded.split == transe_result.split
    assert loaded.constraint == transe_result.constraint and loaded.to_dict() == transe_result.to_dict()


@pytest.mark.parametrize("name", ["TransH", "TransR", "DistMult"])
def test_other_models_train(name: str, triples: list[tuple[str, str, str]]) -> None:
    result = train_embeddings(triples, KGEConfig(model=name, dim=4, epochs=3, batch_size=16,
                                                 early_stopping={"enabled": False}))
    assert result.entity_vectors.shape == (33, 4) and result.training.validation_mrr == []
    assert result.evaluation is not None and result.evaluation.model.both.count > 0
    assert (result.relation_offsets is None) == (name == "DistMult")


@pytest.mark.parametrize("name", ["TransE", "TransH", "TransR"])
def test_structure_is_learned_better_than_popularity(name: str, triples: list[tuple[str, str, str]]) -> None:
    # margin 9 (the default, tuned at dim 100) is far above the distances of dim-8 unit vectors
    result = train_embeddings(triples, KGEConfig(model=name, dim=8, epochs=40, batch_size=16, seed=1,
                                                 learning_rate=0.02, margin=2.0,
                                                 early_stopping={"frequency": 10, "patience": 3}))
    assert result.evaluation.beats_baseline
    _, diseases, _, _ = CLUSTERS["resp"]
    assert result.entity_embeddings[f"Disease:{diseases[0]}"].shape == (8,)


def test_bad_input_raises_before_training() -> None:
    with pytest.raises(EmptyTriplesError):
        train_embeddings([], KGEConfig(dim=4, epochs=1))
    with pytest.raises(UnknownModelError):
        train_embeddings([("a", "r", "b")], KGEConfig(model="NoSuchModel", dim=4, epochs=1))


def test_a_two_triple_graph_trains_without_evaluation() -> None:
    result = train_embeddings([("a", "r", "b"), ("b", "r", "c")], KGEConfig(dim=3, epochs=2))
    assert result.evaluation is None and result.training.best_epoch is None
    assert result.entity_vectors.shape == (3, 3) and "nothing held out" in result.split.note
