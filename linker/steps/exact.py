"""``exact``: the mention, as written, is a name or record alias of a type-compatible concept."""

from __future__ import annotations

from linker.config import LinkerConfig
from linker.index import ConceptIndex
from linker.records import Candidate
from linker.steps.base import Query, ScoreBoard, merge_candidates

__all__ = ["ExactStep"]


class ExactStep:
    """Raw string equality (surrounding whitespace ignored); score ``exact_score`` minus label penalty."""

    name = "exact"

    def __init__(self, index: ConceptIndex, config: LinkerConfig) -> None:
        self._index = index
        self._score = config.exact_score

    def run(self, query: Query, candidates: list[Candidate]) -> list[Candidate]:
        """Add concepts named exactly like the mention."""
        board = ScoreBoard(self._index)
        for lp in query.target.labels:
            for pos in self._index.exact(lp.label, query.surface):
                board.add(pos, self._score - lp.penalty)
        return merge_candidates(candidates, board.candidates("exact"))
