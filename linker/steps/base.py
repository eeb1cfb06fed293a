"""What every linking step sees and returns.

A step is a small object with a ``name`` and ``run(query, candidates) -> candidates``: it receives the
candidates found so far (best first) and returns the updated list. Generating steps add concepts they
find; a concept already found by an earlier, more trusted step keeps that step's score and method.
Re-ranking steps (``vector``) re-score the list they are given.

Example:
    >>> merge_candidates([], [Candidate("Disease:胃炎", "胃炎", "Disease", 0.9, "fuzzy")])[0].score
    0.9
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Protocol, runtime_checkable

import numpy as np

from linker.index import ConceptIndex
from linker.records import Candidate, Method
from linker.typemap import TypeTarget

__all__ = ["Form", "LinkStep", "Query", "ScoreBoard", "merge_candidates"]


@dataclass(frozen=True, slots=True)
class Form:
    """A normalised form of the mention to look up, and the score penalty its rules cost."""

    text: str
    penalty: float


@dataclass(frozen=True, slots=True)
class Query:
    """One mention, prepared for the steps.

    Attributes:
        mention: The text as given.
        surface: The (length-capped) text with surrounding whitespace removed, for raw matching.
        normalized: Plain normalised form.
        forms: The plain form first, then modifier-stripped variants with their penalties.
        target: Resolved type and the KG labels to search.
        k: Candidates wanted.
        vector: Optional query embedding for re-ranking.
    """

    mention: str
    surface: str
    normalized: str
    forms: tuple[Form, ...]
    target: TypeTarget
    k: int
    vector: np.ndarray | None = None


@runtime_checkable
class LinkStep(Protocol):
    """A named step of the linking chain."""

    name: str

    def run(self, query: Query, candidates: list[Candidate]) -> list[Candidate]:
        """Return the updated candidate list, best first."""
        ...


class ScoreBoard:
    """Best score per record position for one step, turned into sorted candidates.

    Attributes:
        best: Record position -> best score so far (steps with hot loops update it directly).
    """

    def __init__(self, index: ConceptIndex) -> None:
        self._index = index
        self.best: dict[int, float] = {}

    def add(self, pos: int, score: float) -> None:
        """Record ``score`` for record ``pos`` if it beats what is there."""
        if score > self.best.get(pos, -1.0):
            self.best[pos] = score

    def __bool__(self) -> bool:
        return bool(self.best)

    def candidates(self, method: Method, limit: int | None = None) -> list[Candidate]:
        """Candidates best first, scores clipped to [0, 1].

        Ties are broken by concept id (through the index's id rank), so results never depend on the
        order records were given in. Only the kept positions become ``Candidate`` objects.
        """
        rank = self._index.id_rank
        # Sort on the score alone first (a C-level key), cut to the limit plus ties at the cut, and
        # only then pay for the id tie-break.
        items = sorted(self.best.items(), key=itemgetter(1), reverse=True)
        if limit is not None and len(items) > limit:
            end, cut = limit, items[limit - 1][1]
            while end < len(items) and items[end][1] == cut:
                end += 1
            items = items[:end]
        items.sort(key=lambda kv: (-kv[1], rank[kv[0]]))
        if limit is not None:
            items = items[:limit]
        recs = self._index.records
        return [
            Candidate(recs[p].id, recs[p].name, recs[p].type, min(1.0, max(0.0, s)), method) for p, s in items
        ]


def merge_candidates(existing: list[Candidate], new: list[Candidate]) -> list[Candidate]:
    """Add ``new`` concepts to ``existing``; a concept found earlier keeps its earlier candidate.

    The sort is stable, so on equal scores the earlier step (the more trusted one) stays ahead.
    """
    if not new:
        return existing
    have = {c.concept_id for c in existing}
    merged = existing + [c for c in new if c.concept_id not in have]
    merged.sort(key=lambda c: -c.score)
    return merged
