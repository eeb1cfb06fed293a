"""Mention -> KG concept linking: a chain of named steps with a NIL threshold.

Steps run in ``LinkerConfig.steps`` order (default ``exact``, ``alias``, ``normalized``, ``fuzzy``,
``vector``). After each step the chain stops if the best score reached ``accept_score``, so a plain
lookup hit never pays for fuzzy matching. The best candidate is accepted when its score is at least
``nil_threshold``; otherwise the result is NIL and proposes ``candidate:<Type>:<normalised text>``.

Bad input: an empty or whitespace-only mention, an unknown type or ``k < 1`` raise ``ValueError``;
anything else (emoji, control characters, punctuation only, 10,000 characters) links or gives NIL.
Long mentions are capped: ``NormalizerConfig.max_input_chars`` raw characters are read and the first
``max_chars`` normalised characters are linked.

Example:
    >>> from linker.records import ConceptRecord
    >>> linker = Linker([ConceptRecord("Disease:胰腺炎", "Disease", "胰腺炎")])
    >>> result = linker.link("急性胰腺炎", type="疾病和诊断")
    >>> result.best.concept_id, result.method
    ('Disease:胰腺炎', 'normalized')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from linker.config import LinkerConfig
from linker.index import ConceptIndex
from linker.records import Candidate, ConceptRecord, LinkResult, candidate_concept_id
from linker.steps import get_step
from linker.steps.base import Form, LinkStep, Query
from linker.typemap import resolve_type

__all__ = ["Linker"]


class Linker:
    """Links mentions to concepts of one :class:`ConceptIndex`.

    Args:
        records: Concept records (an index is built from them) or an already built index.
        config: Linker settings. When an index is passed, ``config.index`` must be left at its default
            or equal the index's own config.

    Raises:
        ValueError: On unknown or repeated step names, or a config that contradicts the given index.
    """

    def __init__(
        self, records: ConceptIndex | Iterable[ConceptRecord], config: LinkerConfig | None = None
    ) -> None:
        self.config = config or LinkerConfig()
        if isinstance(records, ConceptIndex):
            if "index" in self.config.model_fields_set and self.config.index != records.config:
                raise ValueError("LinkerConfig.index differs from the config the given index was built with")
            self.index = records
        else:
            self.index = ConceptIndex.build(records, self.config.index)
        if len(set(self.config.steps)) != len(self.config.steps):
            raise ValueError(f"LinkerConfig.steps repeats a step: {list(self.config.steps)}")
        self.steps: list[LinkStep] = [get_step(name)(self.index, self.config) for name in self.config.steps]

    def with_config(self, **changes: Any) -> Linker:
        """A linker sharing this index, with some top-level config fields changed (validated).

        Raises:
            ValueError: If ``index`` is among the changes (index settings are fixed at build time).

        Example:
            >>> strict = linker.with_config(nil_threshold=0.9)  # doctest: +SKIP
        """
        if "index" in changes:
            raise ValueError("index settings are fixed when the index is built; build a new ConceptIndex")
        data = self.config.model_dump()
        data.update(changes)
        data["index"] = self.index.config
        return Linker(self.index, LinkerConfig.model_validate(data))

    def link(
        self, text: str, type: str | None = None, k: int = 5, vector: np.ndarray | None = None
    ) -> LinkResult:
        """Link one mention.

        Args:
            text: The mention as it appears in the record.
            type: NER type (English or CCKS label), KG label, or ``None`` for all labels.
            k: Number of candidates to return.
            vector: Optional query embedding, used by the ``vector`` step.

        Returns:
            The candidates (best first), the accepted one, and NIL information.

        Raises:
            TypeError: If ``text`` is not a string.
            ValueError: If ``text`` is empty or whitespace, ``type`` is unknown, ``k < 1``, or the
                vector is not a finite, non-zero 1-D array.
        """
        query = self._prepare(text, type, k, vector)
        candidates: list[Candidate] = []
        if query.normalized and query.target.labels:
            accept = self.config.accept_score
            for step in self.steps:
                candidates = step.run(query, candidates)
                if candidates and candidates[0].score >= accept:
                    break
        best = candidates[0] if candidates and candidates[0].score >= self.config.nil_threshold else None
        return LinkResult(
            mention=text,
            normalized=query.normalized,
            type=query.target.name,
            candidates=candidates[:k],
            best=best,
            is_nil=best is None,
            nil_candidate_id=None if best else candidate_concept_id(query.target.name, query.normalized),
        )

    def link_many(
        self,
        texts: Sequence[str],
        types: str | None | Sequence[str | None] = None,
        k: int = 5,
        vectors: Sequence[np.ndarray | None] | None = None,
    ) -> list[LinkResult]:
        """Link many mentions; repeated (text, type) pairs without vectors are linked once.

        Args:
            texts: Mentions.
            types: One type for all mentions, or one per mention.
            k: Candidates per mention.
            vectors: Optional query vectors, one per mention.

        Raises:
            ValueError: If ``types`` or ``vectors`` differ in length from ``texts``, or on bad mentions.
        """
        n = len(texts)
        type_list = [types] * n if types is None or isinstance(types, str) else list(types)
        vec_list = [None] * n if vectors is None else list(vectors)
        if len(type_list) != n or len(vec_list) != n:
            raise ValueError(f"got {n} texts, {len(type_list)} types and {len(vec_list)} vectors")
        cache: dict[tuple[str, str | None], LinkResult] = {}
        out: list[LinkResult] = []
        for text, type_name, vec in zip(texts, type_list, vec_list, strict=True):
            if vec is not None:
                out.append(self.link(text, type_name, k, vec))
                continue
            key = (text, type_name)
            if key not in cache:
                cache[key] = self.link(text, type_name, k)
            out.append(cache[key])
        return out

    def _prepare(self, text: str, type_name: str | None, k: int, vector: np.ndarray | None) -> Query:
        if not isinstance(text, str):
            raise TypeError(f"mention must be str, got {type(text).__name__}")
        if not text.strip():
            raise ValueError("mention is empty or whitespace only")
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        target = resolve_type(type_name, self.index.labels, self.config.fallback_penalty)
        norm = self.index.normalizer
        normalized = norm.normalize(text)
        forms = [Form(normalized, 0.0)]
        penalty = self.config.variant_penalty
        forms.extend(Form(v.text, penalty * len(v.rules)) for v in norm.variants(normalized))
        surface = text[: norm.config.max_input_chars].strip()
        return Query(text, surface, normalized, tuple(forms), target, k, _unit_vector(vector))


def _unit_vector(vector: np.ndarray | None) -> np.ndarray | None:
    if vector is None:
        return None
    vec = np.asarray(vector, dtype=np.float32)
    if vec.ndim != 1 or vec.size == 0 or not np.all(np.isfinite(vec)):
        raise ValueError("query vector must be a non-empty, finite 1-D array")
    norm = float(np.linalg.norm(vec))
    if norm == 0.0:
        raise ValueError("query vector must not be all zeros")
    return vec / norm
