"""``alias``: the normalised mention (or a modifier-stripped variant) is a known alias.

Aliases come from the records themselves and from the curated table (``linker/data/aliases.tsv``:
trade names such as 爱若华 -> 来氟米特, abbreviations such as CT, 乙肝, 冠心病).
"""

from __future__ import annotations

from linker.config import LinkerConfig
from linker.index import ConceptIndex
from linker.records import Candidate
from linker.steps.base import Query, ScoreBoard, merge_candidates

__all__ = ["AliasStep"]


class AliasStep:
    """Alias lookup over every form; score ``alias_score`` minus label and variant penalties."""

    name = "alias"

    def __init__(self, index: ConceptIndex, config: LinkerConfig) -> None:
        self._index = index
        self._score = config.alias_score

    def run(self, query: Query, candidates: list[Candidate]) -> list[Candidate]:
        """Add concepts one of the mention's forms is an alias of."""
        board = ScoreBoard(self._index)
        for form in query.forms:
            for lp in query.target.labels:
                for pos in self._index.alias(lp.label, form.text):
                    board.add(pos, self._score - lp.penalty - form.penalty)
        return merge_candidates(candidates, board.candidates("alias"))
