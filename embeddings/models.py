"""Variants of pykeen's TransH and TransR used for the built-in ``TransH`` and ``TransR``.

- :class:`GroupedTransR` is pykeen's TransR whose ``score_hrt`` (the training path of the sLCWA
  loop) projects the triples of a batch relation by relation: one ``(n_r, d) @ (d, k)`` product per
  relation instead of gathering a ``d x k`` matrix for every triple (pykeen's einsum: 1024 positives
  x 5 rows x 100 x 100 floats = 200 MB per batch, and as much again for its gradient). Scores,
  parameters and constraints are TransR's; the tests check the scores against pykeen's.
- :class:`PaperTransH` is pykeen's TransH with its two relation representations in the order the
  interaction reads them. pykeen 1.11.1 builds ``[translation, normal (unit-normalised)]`` but
  ``TransHInteraction`` unpacks ``w_r, d_r = r``: the free vector becomes the hyperplane normal
  (``h - (h.w)w`` is then no projection unless ``|w| = 1``) and the unit-normalised one the
  translation. Swapping them gives the TransH of the paper: unit normal ``w_r``, free ``d_r``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import torch
from pykeen.models import TransH, TransR
from pykeen.nn.modules import TransRInteraction
from pykeen.nn.representation import Representation
from pykeen.utils import clamp_norm, negative_norm_of_sum

__all__ = ["GroupedTransR", "PaperTransH", "identity_projections"]


class PaperTransH(TransH):
    """pykeen's TransH with the unit-normalised relation vector used as the hyperplane normal.

    Example:
        >>> model = PaperTransH(triples_factory=factory, embedding_dim=100)  # doctest: +SKIP
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        translation, normal = self.relation_representations
        # the same cast pykeen makes: the attribute is declared a Sequence and holds a ModuleList
        self.relation_representations = cast(Sequence[Representation], torch.nn.ModuleList([normal, translation]))


def identity_projections(x: torch.Tensor) -> torch.Tensor:
    """Initialise ``(R, d, k)`` relation projections to the identity (the TransR paper's choice)."""
    return torch.eye(x.shape[-2], x.shape[-1], dtype=x.dtype, device=x.device).expand_as(x).clone()


class GroupedTransR(TransR):
    """pykeen's TransR, scoring triples grouped by relation, projections initialised to the identity.

    At the identity a TransR model starts as a TransE model (the paper initialises from TransE and
    identity matrices); pykeen's default, a random Xavier matrix per relation, is kept on request
    (``relation_projection_initializer``).

    Example:
        >>> model = GroupedTransR(triples_factory=factory, embedding_dim=100, relation_dim=100)  # doctest: +SKIP
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("relation_projection_initializer", identity_projections)
        super().__init__(**kwargs)
        # pykeen clamps entities and relation vectors to max_projection_norm but the projected
        # vectors to the interaction's own default (1.0); use the model's bound for both
        self._transr.max_projection_norm = float(kwargs.get("max_projection_norm", 1.0))

    @property
    def _transr(self) -> TransRInteraction:
        """The interaction TransR builds, which pykeen's base class declares only as an ``Interaction``."""
        return cast(TransRInteraction, self.interaction)

    def _project(self, entities: torch.Tensor, relations: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
        """``(n, d)`` entities through ``matrices[relations[i]]`` (``(R, d, k)``), clamped: ``(n, k)``."""
        order = torch.argsort(relations, stable=True)
        kinds, counts = torch.unique_consecutive(relations[order], return_counts=True)
        parts = entities[order].split(counts.tolist())
        projected = torch.cat([part @ matrices[kind] for part, kind in zip(parts, kinds.tolist(), strict=True)])
        inverse = torch.empty_like(order)
        inverse[order] = torch.arange(len(order), device=order.device)
        interaction = self._transr
        return clamp_norm(projected[inverse], p=interaction.p, dim=-1, maxnorm=interaction.max_projection_norm)

    def score_hrt(self, hrt_batch: torch.Tensor, *, mode: object = None) -> torch.Tensor:
        """Scores ``(n, 1)`` of ``(n, 3)`` id triples; equal to :meth:`TransR.score_hrt`."""
        entities = self.entity_representations[0]
        heads, relations, tails = hrt_batch[:, 0], hrt_batch[:, 1], hrt_batch[:, 2]
        translation = self.relation_representations[0](indices=relations)
        matrices = self.relation_representations[1](indices=None)
        h = self._project(entities(indices=heads), relations, matrices)
        t = self._project(entities(indices=tails), relations, matrices)
        interaction = self._transr
        scores = negative_norm_of_sum(h, translation, -t, p=interaction.p, power_norm=interaction.power_norm)
        return scores.unsqueeze(-1)
