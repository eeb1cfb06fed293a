"""``normalized``: a form of the mention equals a normalised name or a key derived from a name."""

from __future__ import annotations

from linker.config import LinkerConfig
from linker.index import ConceptIndex
from linker.records import Candidate
from linker.steps.base import Query, ScoreBoard, merge_candidates

__all__ = ["NormalizedStep"]


class NormalizedStep:
    """Normalised lookup: ``normalized_score`` on names, ``derived_score`` on derived keys, less penalties."""

    name = "normalized"

    def __init__(self, index: ConceptIndex, config: LinkerConfig) -> None:
        self._index = index
        self._name_score = config.normalized_score
        self._derived_score = config.derived_score

    def run(self, query: Query, candidates: list[Candidate]) -> list[Candidate]:
        """Add concepts whose normalised name (or derived key) equals a form of the mention."""
        board = ScoreBoard(self._index)
        for form in query.forms:
            for lp in query.target.labels:
                for pos, kind in self._index.lookup(lp.label, form.text):
                    base = self._name_score if kind == "name" else self._derived_score
                    board.add(pos, base - lp.penalty - form.penalty)
        return merge_candidates(candidates, board.candidates("normalized"))
