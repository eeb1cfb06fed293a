"""``fuzzy``: rapidfuzz similarity against a blocked candidate set.

For each KG label the mention may link to, the index's n-gram blocker returns at most
``BlockingConfig.top_n`` keys; only those are scored. The plain form is scored, then up to
``FuzzyConfig.max_variants`` modifier-stripped variants (with their penalty). A record's score is the
best over its keys and forms, minus the label penalty.
"""

from __future__ import annotations

from linker.config import LinkerConfig
from linker.index import ConceptIndex
from linker.records import Candidate
from linker.scorers import FuzzyScorer, get_scorer
from linker.steps.base import Query, ScoreBoard, merge_candidates

__all__ = ["FuzzyStep"]


class FuzzyStep:
    """Blocked fuzzy matching; keeps ``FuzzyConfig.keep`` candidates for later steps."""

    name = "fuzzy"

    def __init__(self, index: ConceptIndex, config: LinkerConfig) -> None:
        self._index = index
        self._config = config.fuzzy
        self.scorer: FuzzyScorer = get_scorer(config.fuzzy.scorer)(config.fuzzy)

    def run(self, query: Query, candidates: list[Candidate]) -> list[Candidate]:
        """Add the best fuzzy matches of the mention's forms."""
        cfg = self._config
        if len(query.normalized) < cfg.min_query_chars:
            return candidates
        board = ScoreBoard(self._index)
        best = board.best  # updated inline: this loop runs for every blocked key
        for form in query.forms[: 1 + cfg.max_variants]:
            if len(form.text) < cfg.min_query_chars:
                continue
            for lp in query.target.labels:
                keys, entries = self._index.block(lp.label, form.text)
                if not keys:
                    continue
                offset = lp.penalty + form.penalty
                for key_entries, score in zip(entries, self.scorer.score(form.text, keys), strict=True):
                    score -= offset
                    for pos, _kind in key_entries:
                        if score > best.get(pos, -1.0):
                            best[pos] = score
        keep = max(cfg.keep, query.k)
        return merge_candidates(candidates, board.candidates("fuzzy", keep))
