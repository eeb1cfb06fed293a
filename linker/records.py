"""Typed inputs and outputs of the linker: concept records, candidates and link results.

The graph side builds :class:`ConceptRecord` objects from Neo4j (or any other source); the linker only
carries their ids, it never invents KG ids. NIL results propose an id in the ``candidate:`` namespace,
which the graph side may turn into a ``status: candidate`` concept.

Example:
    >>> rec = ConceptRecord("Disease:糖尿病", "Disease", "糖尿病", aliases=("消渴",))
    >>> rec.aliases
    ('消渴',)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "KG_TYPES",
    "Candidate",
    "ConceptRecord",
    "LinkResult",
    "Method",
    "candidate_concept_id",
]

KG_TYPES: tuple[str, ...] = ("Disease", "Symptom", "Drug", "Check", "Department", "Food", "Producer")
"""Concept labels of the source KG (the graph model's type labels)."""

Method = Literal["exact", "alias", "normalized", "fuzzy", "vector", "nil"]
"""Which step of the chain decided a candidate (``nil`` only appears as a result's method)."""


@dataclass(frozen=True)
class ConceptRecord:
    """One KG concept as the linker sees it.

    Attributes:
        id: Stable business key, e.g. ``Disease:糖尿病``; carried through unchanged.
        type: KG label (one of :data:`KG_TYPES`, although other labels are accepted and searchable).
        name: Preferred name.
        aliases: Other surface forms known for this concept (synonyms, abbreviations).
        vector: Optional 1-D embedding (e.g. a TransE node vector) used for re-ranking.
    """

    id: str
    type: str
    name: str
    aliases: tuple[str, ...] = ()
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Accept any iterable of aliases but store a tuple, so records stay hashable and immutable.
        if not isinstance(self.aliases, tuple):
            object.__setattr__(self, "aliases", tuple(self.aliases))
        for attr in ("id", "type", "name"):
            value = getattr(self, attr)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"ConceptRecord.{attr} must be a non-empty string, got {value!r}")
        if self.vector is not None:
            vec = np.asarray(self.vector, dtype=np.float32)
            if vec.ndim != 1 or vec.size == 0:
                raise ValueError(f"ConceptRecord.vector of {self.id!r} must be a non-empty 1-D array")
            object.__setattr__(self, "vector", vec)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One scored KG concept for a mention.

    Attributes:
        concept_id: The record's id.
        name: The record's preferred name.
        type: The record's KG label.
        score: Confidence in [0, 1]; comparable across steps (see ``linker/README.md``).
        method: The step that produced (or last re-scored) this candidate.
    """

    concept_id: str
    name: str
    type: str
    score: float
    method: Method


@dataclass(frozen=True)
class LinkResult:
    """The outcome of linking one mention.

    Attributes:
        mention: The text as given.
        normalized: The plain normalised form that was linked (capped, see ``NormalizerConfig``).
        type: The resolved type name the caller asked for (``None`` for all types).
        candidates: Up to ``k`` candidates, best first; kept even when the result is NIL.
        best: The accepted candidate, or ``None`` when NIL.
        is_nil: True when no candidate reached the NIL threshold (or the type has no KG label).
        nil_candidate_id: For NIL results, the id of a candidate new concept
            (``candidate:<Type>:<normalised text>``); ``None`` when the normalised text is empty.
    """

    mention: str
    normalized: str
    type: str | None
    candidates: list[Candidate]
    best: Candidate | None
    is_nil: bool
    nil_candidate_id: str | None

    @property
    def method(self) -> Method:
        """The step that decided the result (``nil`` for NIL results)."""
        return "nil" if self.best is None else self.best.method


def candidate_concept_id(type_name: str | None, normalized: str) -> str | None:
    """Id of a proposed new concept for a NIL mention.

    Args:
        type_name: The mention's resolved type (``None`` becomes ``Unknown``).
        normalized: The mention's plain normalised text.

    Returns:
        ``candidate:<Type>:<normalised text>``, or ``None`` when there is no text to name it by.
    """
    if not normalized:
        return None
    return f"candidate:{type_name or 'Unknown'}:{normalized}"
