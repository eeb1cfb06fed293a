"""Sparse entity-embedding gradients for large KGs: :func:`use_sparse_entities` and :class:`LazyAdam`.

pykeen's embeddings take dense gradients: each optimiser step's backward pass and Adam update cover
the whole entity table, although a batch of 1,024 triples touches a few thousand of its rows. On the
merged xywy + CMeKG KG (109k entities) that made a TransH epoch 29 times longer than on xywy alone
(301.9 against 10.3 s, ``benchmarks/bench_kge_sparse.py``), for 3.4 times the triples. With sparse
gradients the lookup gives back only the rows the batch used, and :class:`LazyAdam` moves only those
rows (the rule of ``torch.optim.SparseAdam``: the moments of rows a batch did not touch are not
decayed), while the dense parameters (relation vectors, TransH's hyperplane normals) get the ordinary
Adam update. One optimiser for both, because pykeen's training
loop builds a fresh optimiser of the same class from ``param_groups[0]`` when training starts.

Example:
    >>> import torch
    >>> table = torch.nn.Embedding(10, 2, sparse=True)
    >>> opt = LazyAdam(table.parameters(), lr=0.1)
    >>> before = table.weight.detach().clone()
    >>> table(torch.tensor([3])).sum().backward()
    >>> opt.step()
    >>> sorted(set((table.weight.detach() != before).any(dim=1).nonzero().flatten().tolist()))
    [3]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch

__all__ = ["LazyAdam", "use_sparse_entities"]


class LazyAdam(torch.optim.Optimizer):
    """Adam for dense gradients and lazy Adam for sparse ones, in one optimiser.

    Args:
        params: Parameters (or parameter groups).
        lr: Learning rate.
        betas: Decay rates of the first and second moment.
        eps: Added to the denominator.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        if lr <= 0.0 or eps <= 0.0 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"LazyAdam needs lr > 0, eps > 0 and betas in [0, 1), got {lr}, {eps}, {betas}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps})

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # the closure's loss
        """One update of every parameter that has a gradient."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(param)
                    state["exp_avg_sq"] = torch.zeros_like(param)
                state["step"] += 1
                correction1, correction2 = 1 - beta1 ** state["step"], (1 - beta2 ** state["step"]) ** 0.5
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                grad = param.grad
                if grad.is_sparse:
                    grad = grad.coalesce()  # one entry per row: a row used twice in a batch sums its gradients
                    rows, values = grad.indices()[0], grad.values()
                    avg = exp_avg[rows].mul_(beta1).add_(values, alpha=1 - beta1)
                    avg_sq = exp_avg_sq[rows].mul_(beta2).addcmul_(values, values, value=1 - beta2)
                    exp_avg[rows], exp_avg_sq[rows] = avg, avg_sq
                    # SparseAdam's placement of eps (outside the bias correction)
                    param.index_add_(0, rows, avg.div_(avg_sq.sqrt_().add_(eps)), alpha=-lr * correction2 / correction1)
                else:  # Adam's
                    exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                    param.addcdiv_(exp_avg, exp_avg_sq.sqrt().div_(correction2).add_(eps), value=-lr / correction1)
        return loss


def use_sparse_entities(model: Any) -> int:  # a pykeen model
    """Switch the entity tables of a pykeen model to sparse gradients; returns how many tables.

    Only plain :class:`pykeen.nn.Embedding` entity representations are switched; anything else (and
    every relation representation, which is small) keeps dense gradients. A weight regularizer over a
    whole entity table (TransH's soft norm constraint, which pykeen applies to every entity at every
    step, as the TransH paper states it) would make the gradient dense again, so it is moved onto the
    representation: the same penalty and weight on the rows each batch looks up, which are the only
    rows a sparse step moves.
    """
    from pykeen.nn import Embedding

    switched = []
    for representation in model.entity_representations:
        if isinstance(representation, Embedding) and isinstance(representation._embeddings, torch.nn.Embedding):
            representation._embeddings.sparse = True
            switched.append(representation)
    tables = {id(rep._embeddings.weight): rep for rep in switched}
    kept = []
    for regularizer in model.weight_regularizers:
        owners = {id(p) for p in regularizer.tracked_parameters} & set(tables)
        if not owners:
            kept.append(regularizer)
            continue
        owner = owners.pop()
        if owners or len(regularizer.tracked_parameters) != 1 or tables[owner].regularizer is not None:
            raise ValueError(f"{type(regularizer).__name__} cannot be moved onto one entity representation; "
                             "sparse gradients cannot keep it")
        regularizer.tracked_parameters, regularizer.apply_only_once = [], False  # every lookup of a batch counts
        tables[owner].regularizer = regularizer
    model.weight_regularizers = torch.nn.ModuleList(kept)
    return len(switched)
