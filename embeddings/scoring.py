"""Scoring every candidate entity for a query ``(h, r, ?)`` or ``(?, r, t)`` with a trained model.

Two scorers share the :class:`Scorer` protocol:

- :class:`TranslationScorer` for TransE, TransH and TransR, whose pykeen interactions all have the
  linear form ``score(h, r, t) = -|| c(h A_r) + r - c(t A_r) ||_p``, with (row vectors)

  ===========  ==========================  ===============  ======================
  model        ``A_r`` (``d_e x d_r``)     ``r``            ``c``
  ===========  ==========================  ===============  ======================
  TransE       identity                    relation vector  identity
  TransH       ``I - w_r w_r^T``           ``d_r``          identity
  TransR       ``M_r``                     relation vector  clamp L_p norm to <= 1
  ===========  ==========================  ===============  ======================

  (pykeen 1.11's TransH interaction takes the first relation representation as ``w_r`` and the
  second, unit-normalised one, as ``d_r``; the extraction below follows that, and the tests check
  these scores against ``model.score_hrt``). The entities are projected once per relation, so a
  relation's queries cost one ``cdist`` each: TransR is as cheap to evaluate as TransE.
- :class:`GenericScorer` for any other pykeen model, through ``model.score_t``/``model.score_h`` in
  batches sized by a memory budget.

Shapes: ``E`` entities, ``B`` queries, ``d_e`` entity and ``d_r`` relation dimension.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from embeddings.foldin import EntityConstraint
from embeddings.registry import Family

__all__ = ["GenericScorer", "LinearForm", "Scorer", "TranslationScorer", "entity_constraint", "linear_form",
           "make_scorer"]


class Scorer(Protocol):
    """Scores of all entities as the missing side of queries sharing one relation."""

    num_entities: int

    def tail_scores(self, heads: np.ndarray, relation: int) -> torch.Tensor:
        """Scores ``(B, E)`` of every entity as the tail of ``(heads[i], relation, ?)``; higher is better."""
        ...

    def head_scores(self, tails: np.ndarray, relation: int) -> torch.Tensor:
        """Scores ``(B, E)`` of every entity as the head of ``(?, relation, tails[i])``; higher is better."""
        ...


@dataclass(frozen=True)
class LinearForm:
    """The parameters of a translation model in the linear form of the module docstring."""

    entities: torch.Tensor
    """``(E, d_e)`` entity vectors."""
    translations: torch.Tensor
    """``(R, d_r)`` relation translation vectors."""
    projections: torch.Tensor | None
    """``(R, d_e, d_r)`` relation projections ``A_r``, or ``None`` for the identity (TransE)."""
    p: int
    """Norm of the score."""
    max_norm: float | None
    """Clamp of projected vectors (TransR), or ``None``."""


def linear_form(model: Any, family: Family) -> LinearForm:
    """Read a trained pykeen TransE/TransH/TransR model's parameters into a :class:`LinearForm`."""
    with torch.no_grad():
        entities = model.entity_representations[0](indices=None).detach().clone()
        reps = [rep(indices=None).detach().clone() for rep in model.relation_representations]
    p = int(model.interaction.p)
    if family == "transe":
        return LinearForm(entities, reps[0], None, p, None)
    if family == "transh":
        normal, translation = reps[0], reps[1]
        eye = torch.eye(entities.shape[1], dtype=entities.dtype)
        projections = eye.unsqueeze(0) - torch.einsum("ri,rj->rij", normal, normal)
        return LinearForm(entities, translation, projections, p, None)
    max_norm = float(getattr(model.interaction, "max_projection_norm", 1.0))
    return LinearForm(entities, reps[0], reps[1], p, max_norm)


def entity_constraint(model: Any, family: Family) -> EntityConstraint:
    """The constraint a trained translation model keeps its entity vectors in (used by fold-in)."""
    if family == "transe":
        return EntityConstraint("unit")
    if family == "transr":
        return EntityConstraint("max_norm", p=int(model.interaction.p),
                                max_norm=float(model.interaction.max_projection_norm))
    return EntityConstraint(None)


def _clamp(x: torch.Tensor, p: int, max_norm: float) -> torch.Tensor:
    norm = torch.linalg.vector_norm(x, ord=p, dim=-1, keepdim=True)
    return x * torch.clamp(max_norm / norm.clamp_min(1e-12), max=1.0)


class TranslationScorer:
    """Exact scores of a translation model, one entity projection per relation.

    Example:
        >>> scorer = TranslationScorer(linear_form(model, "transe"))  # doctest: +SKIP
        >>> scorer.tail_scores(np.array([0, 1]), relation=0).shape  # doctest: +SKIP
        torch.Size([2, 14])
    """

    def __init__(self, form: LinearForm) -> None:
        self.form = form
        self.num_entities = int(form.entities.shape[0])
        self._cached: tuple[int, torch.Tensor] | None = None

    def projected(self, relation: int) -> torch.Tensor:
        """``(E, d_r)`` entities in relation ``relation``'s space (cached for the last relation)."""
        if self._cached is not None and self._cached[0] == relation:
            return self._cached[1]
        form = self.form
        ent = form.entities if form.projections is None else form.entities @ form.projections[relation]
        if form.max_norm is not None:
            ent = _clamp(ent, form.p, form.max_norm)
        self._cached = (relation, ent)
        return ent

    def tail_scores(self, heads: np.ndarray, relation: int) -> torch.Tensor:  # noqa: D102 - see Scorer
        ent = self.projected(relation)
        query = ent[torch.as_tensor(heads)] + self.form.translations[relation]
        return -torch.cdist(query, ent, p=self.form.p)

    def head_scores(self, tails: np.ndarray, relation: int) -> torch.Tensor:  # noqa: D102 - see Scorer
        ent = self.projected(relation)
        query = ent[torch.as_tensor(tails)] - self.form.translations[relation]
        return -torch.cdist(query, ent, p=self.form.p)


class GenericScorer:
    """Scores of any pykeen model through ``score_t``/``score_h``, in memory-bounded batches."""

    def __init__(self, model: Any, memory_mb: int = 256) -> None:
        self.model = model
        self.num_entities = int(model.num_entities)
        width = max(1, sum(int(np.prod(rep.shape)) for rep in model.entity_representations))
        self.batch = max(1, (memory_mb << 20) // (4 * self.num_entities * width))

    def _scores(self, fixed: np.ndarray, relation: int, side: str) -> torch.Tensor:
        out = []
        with torch.inference_mode():
            for start in range(0, len(fixed), self.batch):
                ids = torch.as_tensor(fixed[start:start + self.batch], dtype=torch.long)
                rel = torch.full_like(ids, relation)
                if side == "tail":
                    out.append(self.model.score_t(torch.stack([ids, rel], dim=1)))
                else:
                    out.append(self.model.score_h(torch.stack([rel, ids], dim=1)))
        return torch.cat(out).float()

    def tail_scores(self, heads: np.ndarray, relation: int) -> torch.Tensor:  # noqa: D102 - see Scorer
        return self._scores(heads, relation, "tail")

    def head_scores(self, tails: np.ndarray, relation: int) -> torch.Tensor:  # noqa: D102 - see Scorer
        return self._scores(tails, relation, "head")


def make_scorer(model: Any, family: Family | None, memory_mb: int = 256) -> Scorer:
    """The fast scorer for translation families, the generic one otherwise."""
    if family is not None:
        return TranslationScorer(linear_form(model, family))
    return GenericScorer(model, memory_mb)
