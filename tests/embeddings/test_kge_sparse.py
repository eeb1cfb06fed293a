"""Sparse entity gradients and LazyAdam: the same update rules as torch's optimisers, and they learn."""

from __future__ import annotations

import pytest
import torch

from embeddings import KGEConfig, train_embeddings
from embeddings.optim import LazyAdam, use_sparse_entities


def _steps(sparse: bool, optimiser: type, steps: int = 5, **kwargs: float) -> torch.Tensor:
    torch.manual_seed(0)
    table = torch.nn.Embedding(12, 3, sparse=sparse)
    opt = optimiser(table.parameters(), **kwargs)
    batches = [torch.tensor([1, 4, 4, 7]), torch.tensor([2, 4]), torch.tensor([7, 9, 11])]
    for step in range(steps):
        opt.zero_grad()
        (table(batches[step % 3]) ** 2).sum().backward()
        opt.step()
    return table.weight.detach()


def test_sparse_rule_is_sparse_adams_and_dense_rule_is_adams() -> None:
    assert torch.allclose(_steps(True, LazyAdam, lr=0.05), _steps(True, torch.optim.SparseAdam, lr=0.05), atol=1e-6)
    assert torch.allclose(_steps(False, LazyAdam, lr=0.05), _steps(False, torch.optim.Adam, lr=0.05), atol=1e-6)
    untouched = _steps(True, LazyAdam, lr=0.05)[[0, 3, 5]]  # rows no batch used do not move
    torch.manual_seed(0)
    assert torch.equal(untouched, torch.nn.Embedding(12, 3).weight.detach()[[0, 3, 5]])


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="lr > 0"):
        LazyAdam([torch.nn.Parameter(torch.zeros(2))], lr=0.0)


@pytest.mark.parametrize("name", ["TransE", "TransH"])
def test_sparse_training_switches_the_entity_table_and_learns(name: str, triples: list[tuple[str, str, str]]) -> None:
    config = KGEConfig(model=name, dim=8, epochs=40, batch_size=16, seed=1, learning_rate=0.02, margin=2.0,
                       sparse=True, early_stopping={"frequency": 10, "patience": 3})
    result = train_embeddings(triples, config)
    assert result.config["sparse"] is True and result.evaluation.beats_baseline
    assert torch.isfinite(torch.as_tensor(result.entity_vectors)).all()


def test_use_sparse_entities_leaves_relations_dense(triples: list[tuple[str, str, str]]) -> None:
    import numpy as np
    from pykeen.models import TransH
    from pykeen.triples import TriplesFactory

    model = TransH(triples_factory=TriplesFactory.from_labeled_triples(np.array(triples)), embedding_dim=4)
    assert use_sparse_entities(model) == 1
    assert model.entity_representations[0]._embeddings.sparse
    assert not any(getattr(r, "_embeddings", None) is not None and r._embeddings.sparse
                   for r in model.relation_representations)


def test_transh_whole_table_regularizer_moves_onto_the_batch_rows(triples: list[tuple[str, str, str]]) -> None:
    import numpy as np
    from pykeen.models import TransH
    from pykeen.regularizers import NormLimitRegularizer
    from pykeen.triples import TriplesFactory

    factory = TriplesFactory.from_labeled_triples(np.array(triples))
    model = TransH(triples_factory=factory, embedding_dim=4)
    assert len(model.weight_regularizers) == 2  # entities (norm limit) and relations (orthogonality)
    use_sparse_entities(model)
    entities = model.entity_representations[0]
    assert len(model.weight_regularizers) == 1 and isinstance(entities.regularizer, NormLimitRegularizer)
    assert entities.regularizer.weight == 0.05 and not entities.regularizer.apply_only_once
    batch = factory.mapped_triples[:8]
    (model.score_hrt(batch).sum() + model.collect_regularization_term()).backward()
    grad = entities._embeddings.weight.grad
    assert grad.is_sparse and set(grad.coalesce().indices()[0].tolist()) == set(batch[:, [0, 2]].flatten().tolist())
