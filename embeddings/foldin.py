"""Vectors for entities that were not trained: fold-in from their relations to trained ones.

For the translation models (see ``embeddings.scoring``) a true triple satisfies
``h A_r + r ~= t A_r``. A new entity ``x`` with a relation to a trained entity ``e`` gets the
estimate closest to ``e`` that satisfies it exactly (least squares, minimum norm):

- ``(e, r, x)`` (``x`` is a tail): ``x = e + o_r``;
- ``(x, r, e)`` (``x`` is a head):  ``x = e - o_r``;

with the relation's entity-space offset ``o_r = r A_r^+`` (``A_r^+`` the pseudo-inverse). For
TransE ``A_r`` is the identity and ``o_r = r``, so this is "``h + r`` for tails, ``t - r`` for heads".
The vector of ``x`` is the mean of its estimates, then the model's entity constraint is applied
(TransE: unit L2 norm; TransR: L1 norm clamped to its bound; TransH: none). TransR's clamp after
projection is ignored by the estimate, so TransR fold-ins are approximate.

Example:
    >>> offsets = relation_offsets(np.array([[1.0, 0.0]]), None)
    >>> fold_in([Evidence(0, "in", np.array([0.0, 1.0]))], offsets, EntityConstraint(None))
    array([1., 1.])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["EntityConstraint", "Evidence", "fold_in", "relation_offsets"]


@dataclass(frozen=True)
class EntityConstraint:
    """The constraint a model keeps its entity vectors in."""

    kind: Literal["unit", "max_norm"] | None
    """``unit``: L2-normalised; ``max_norm``: L_p norm clamped to ``max_norm``; ``None``: free."""
    p: int = 2
    """Norm of the ``max_norm`` clamp."""
    max_norm: float = 1.0
    """Largest norm allowed by ``max_norm``."""

    def apply(self, vector: np.ndarray) -> np.ndarray:
        """The vector moved into the constraint set."""
        if self.kind is None:
            return vector
        if self.kind == "unit":
            norm = float(np.linalg.norm(vector))
            return vector / norm if norm > 0 else vector
        norm = float(np.linalg.norm(vector, ord=self.p))
        return vector * min(1.0, self.max_norm / norm) if norm > 0 else vector


@dataclass(frozen=True)
class Evidence:
    """One relationship between a new entity and a trained one.

    ``direction`` is ``out`` when the new entity is the head (``(x, r, e)``), ``in`` when it is the
    tail (``(e, r, x)``); ``vector`` is the trained entity's vector.
    """

    relation: int
    direction: Literal["in", "out"]
    vector: np.ndarray


def relation_offsets(translations: np.ndarray, projections: np.ndarray | None) -> np.ndarray:
    """Entity-space offsets ``o_r = r A_r^+`` of every relation.

    Args:
        translations: ``(R, d_r)`` relation vectors.
        projections: ``(R, d_e, d_r)`` projections ``A_r``, or ``None`` for the identity.

    Returns:
        ``(R, d_e)`` offsets.
    """
    translations = np.asarray(translations, dtype=np.float64)
    if projections is None:
        return translations.copy()
    pinv = np.linalg.pinv(np.asarray(projections, dtype=np.float64))  # (R, d_r, d_e)
    offsets: np.ndarray = np.einsum("rk,rke->re", translations, pinv)
    return offsets


def fold_in(evidence: Sequence[Evidence], offsets: np.ndarray, constraint: EntityConstraint) -> np.ndarray | None:
    """The fold-in vector of one new entity, or ``None`` without evidence.

    Args:
        evidence: the new entity's relationships to trained entities.
        offsets: ``(R, d_e)`` from :func:`relation_offsets`.
        constraint: the model's entity constraint.
    """
    if not evidence:
        return None
    estimates = [np.asarray(e.vector, dtype=np.float64) + (offsets[e.relation] if e.direction == "in"
                                                           else -offsets[e.relation]) for e in evidence]
    return constraint.apply(np.mean(estimates, axis=0))
