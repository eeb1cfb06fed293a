"""``vector``: re-rank candidates by cosine similarity to a query embedding.

Runs only when the caller passes a query vector and the chain has not already accepted a lexical
match (a confident exact/alias/normalised decision is never overridden by embeddings). Candidates
whose record has a vector get ``(1 - w) * score + w * (cos + 1) / 2`` and method ``vector``; the rest
keep their lexical score.
"""

from __future__ import annotations

import numpy as np

from linker.config import LinkerConfig
from linker.index import ConceptIndex
from linker.records import Candidate
from linker.steps.base import Query

__all__ = ["VectorStep"]


class VectorStep:
    """Cosine re-ranking with weight ``VectorConfig.weight``."""

    name = "vector"

    def __init__(self, index: ConceptIndex, config: LinkerConfig) -> None:
        self._index = index
        self._weight = config.vector.weight
        self._pos = {rec.id: i for i, rec in enumerate(index.records)}

    def run(self, query: Query, candidates: list[Candidate]) -> list[Candidate]:
        """Blend lexical scores with cosine similarity.

        Raises:
            ValueError: If the query vector's dimension differs from a candidate's.
        """
        if query.vector is None or not candidates or self._weight == 0.0:
            return candidates
        q = query.vector
        out: list[Candidate] = []
        for cand in candidates:
            vec = self._index.vector(self._pos[cand.concept_id])
            if vec is None:
                out.append(cand)
                continue
            if vec.shape != q.shape:
                raise ValueError(
                    f"query vector has shape {q.shape}, concept {cand.concept_id!r} has {vec.shape}"
                )
            cos = float(np.dot(q, vec))
            score = (1.0 - self._weight) * cand.score + self._weight * (cos + 1.0) / 2.0
            out.append(Candidate(cand.concept_id, cand.name, cand.type, min(1.0, max(0.0, score)), "vector"))
        out.sort(key=lambda c: -c.score)
        return out
