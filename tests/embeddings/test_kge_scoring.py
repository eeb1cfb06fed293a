"""The fast translation scorer agrees with pykeen's own scores; fold-in is exact where it should be."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embeddings import KGEConfig
from embeddings.foldin import EntityConstraint, Evidence, fold_in, relation_offsets
from embeddings.registry import resolve_model
from embeddings.scoring import GenericScorer, TranslationScorer, linear_form
from embeddings.train import _build
from embeddings.triples import prepare_triples, split_triples


def _model(name: str, triples: list[tuple[str, str, str]]):
    config = KGEConfig(model=name, dim=5, seed=11)
    split = split_triples(prepare_triples(triples), config.split, config.seed)
    model, _, _ = _build(resolve_model(name), split, config)
    model.eval()
    return model, split


@pytest.mark.parametrize("name", ["TransE", "TransH", "TransR"])
def test_translation_scores_equal_pykeen_scores(name: str, triples: list[tuple[str, str, str]]) -> None:
    model, split = _model(name, triples)
    scorer = TranslationScorer(linear_form(model, resolve_model(name).family))
    generic = GenericScorer(model)
    heads = np.array([0, 3, 7])
    for relation in range(len(split.relations)):
        fast_t, slow_t = scorer.tail_scores(heads, relation), generic.tail_scores(heads, relation)
        fast_h, slow_h = scorer.head_scores(heads, relation), generic.head_scores(heads, relation)
        if model.interaction.power_norm:  # pragma: no cover - not a default of these models
            fast_t, fast_h = -(-fast_t) ** model.interaction.p, -(-fast_h) ** model.interaction.p
        torch.testing.assert_close(fast_t, slow_t, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(fast_h, slow_h, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["TransE", "TransH"])
def test_fold_in_from_one_relation_scores_perfectly(name: str, triples: list[tuple[str, str, str]]) -> None:
    model, split = _model(name, triples)
    form = linear_form(model, resolve_model(name).family)
    projections = None if form.projections is None else form.projections.numpy()
    offsets = relation_offsets(form.translations.numpy(), projections)
    free = EntityConstraint(None)
    scorer = TranslationScorer(form)
    entity = form.entities.numpy()
    for relation in range(len(split.relations)):
        projected = scorer.projected(relation).numpy()
        tail = fold_in([Evidence(relation, "in", entity[2])], offsets, free)  # (e2, r, x)
        head = fold_in([Evidence(relation, "out", entity[2])], offsets, free)  # (x, r, e2)
        matrix = np.eye(entity.shape[1]) if projections is None else projections[relation]
        translation = form.translations.numpy()[relation]
        assert np.allclose(projected[2] + translation, tail @ matrix, atol=1e-4)
        assert np.allclose(head @ matrix + translation, projected[2], atol=1e-4)


def test_transe_fold_in_is_the_mean_of_h_plus_r_and_t_minus_r() -> None:
    offsets = relation_offsets(np.array([[1.0, 0.0], [0.0, 2.0]]), None)
    evidence = [Evidence(0, "in", np.array([0.0, 1.0])),   # (e, r0, x): e + r0 = (1, 1)
                Evidence(1, "out", np.array([3.0, 3.0]))]  # (x, r1, e): e - r1 = (3, 1)
    assert fold_in(evidence, offsets, EntityConstraint(None)).tolist() == [2.0, 1.0]
    unit = fold_in(evidence, offsets, EntityConstraint("unit"))
    assert np.isclose(np.linalg.norm(unit), 1.0)
    assert fold_in([], offsets, EntityConstraint("unit")) is None
    clamped = EntityConstraint("max_norm", p=1, max_norm=1.0).apply(np.array([3.0, -1.0]))
    assert np.isclose(np.abs(clamped).sum(), 1.0)


def test_transr_offsets_map_back_through_the_projection() -> None:
    rng = np.random.default_rng(0)
    projections = rng.normal(size=(2, 5, 3))
    translations = rng.normal(size=(2, 3))
    offsets = relation_offsets(translations, projections)
    for r in range(2):
        assert np.allclose(offsets[r] @ projections[r], translations[r])


def test_grouped_transr_scores_equal_pykeen_transr(triples: list[tuple[str, str, str]]) -> None:
    from pykeen.models import TransR

    from embeddings.models import GroupedTransR

    grouped, split = _model("TransR", triples)
    assert isinstance(grouped, GroupedTransR)
    plain = TransR(triples_factory=_factory(split), embedding_dim=5, relation_dim=5, max_projection_norm=5 ** 0.5)
    plain.interaction.max_projection_norm = grouped.interaction.max_projection_norm  # pykeen leaves it at 1
    plain.load_state_dict(grouped.state_dict())
    batch = torch.as_tensor(np.concatenate([split.train, split.train[::-1]]))
    torch.testing.assert_close(grouped.score_hrt(batch), plain.score_hrt(batch), rtol=1e-5, atol=1e-6)
    grouped.score_hrt(batch).sum().backward()  # gradients flow through the grouped projection
    assert grouped.relation_representations[1]._embeddings.weight.grad is not None


def _factory(split):
    from pykeen.triples import CoreTriplesFactory

    return CoreTriplesFactory(torch.as_tensor(split.train), num_entities=len(split.entities),
                              num_relations=len(split.relations))


def test_paper_transh_uses_the_unit_normal_as_normal(triples: list[tuple[str, str, str]]) -> None:
    from embeddings import train_embeddings

    result = train_embeddings(triples, KGEConfig(model="TransH", dim=5, epochs=2, batch_size=16,
                                                 early_stopping={"enabled": False}, evaluation={"enabled": False}))
    model, _ = _model("TransH", triples)
    normal, translation = model.relation_representations
    assert normal._embeddings.weight.shape == translation._embeddings.weight.shape == (4, 5)
    assert normal.constrainer is not None and translation.constrainer is None  # w_r is kept at unit norm
    assert result.relation_vectors.shape == (4, 5)
