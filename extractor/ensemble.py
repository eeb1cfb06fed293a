"""Span voting over several taggers (e.g. the seeds of one configuration): ``VotingEnsemble``.

Each member tags the records; a span (exact start, end and type) is kept when at least ``min_votes``
members predicted it (default: a majority). Where the output cannot nest (a CRF head), kept spans that
overlap are resolved greedily: most votes first, then the higher mean score, then the earlier start;
where it can (a span head, :meth:`VotingEnsemble.nested`), every kept span stays. A kept span's score is
the members' mean score times the share of members that voted for it. Inference costs one pass per member.

Like a tagger, the ensemble serves each of its members' schemas (``predict(..., schema="cmeee")``) or
their merged output (``schema=None``); the members must have the same schemas with the same types.

Example:
    >>> ens = VotingEnsemble([load_tagger(d) for d in ("s1", "s2", "s3")])  # doctest: +SKIP
    >>> ens.predict(["患者因胃癌行胃大部切除术"])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.progress import ProgressFactory
from extractor.data import Span

if TYPE_CHECKING:  # the tagger module imports torch
    from extractor.predict import Tagger

__all__ = ["VotingEnsemble", "vote"]


def vote(per_member: Sequence[Sequence[Span]], min_votes: int, *, nested: bool = False) -> list[Span]:
    """Spans of one record that at least ``min_votes`` members agree on, in text order.

    Args:
        per_member: Each member's spans of the record.
        min_votes: Members that must have predicted a span (exact start, end and type).
        nested: Keep overlapping spans; otherwise resolve overlaps greedily (module docstring).
    """
    tally: dict[tuple[int, int, str], list[float]] = {}
    for spans in per_member:
        for span in set((s.start, s.end, s.type, s.score) for s in spans):
            tally.setdefault(span[:3], []).append(span[3])
    n = max(len(per_member), 1)
    ranked = sorted(((len(scores), sum(scores) / len(scores), key) for key, scores in tally.items()
                     if len(scores) >= min_votes), key=lambda item: (-item[0], -item[1], item[2][0], item[2]))
    taken: list[Span] = []
    for votes, mean, (start, end, kind) in ranked:
        if nested or all(end <= s.start or start >= s.end for s in taken):
            taken.append(Span(start, end, kind, mean * votes / n))
    return sorted(taken, key=lambda s: (s.start, s.end))


class VotingEnsemble:
    """Taggers whose predictions are combined by :func:`vote`.

    Args:
        taggers: The members (``extractor.predict.Tagger``s with the same schemas and entity types).
        min_votes: Members that must agree on a span (default ``len(taggers) // 2 + 1``).

    Raises:
        ValueError: No member, members with different schemas or entity types, or ``min_votes`` out of range.
    """

    def __init__(self, taggers: Sequence[Tagger], min_votes: int | None = None) -> None:
        if not taggers:
            raise ValueError("an ensemble needs at least one tagger")
        outputs = {(tuple(t.config.types), tuple((s, tuple(t.schema_types(s))) for s in t.schemas)) for t in taggers}
        if len(outputs) > 1:
            raise ValueError(f"ensemble members tag different entity types or schemas: {sorted(outputs)}")
        self.taggers = list(taggers)
        self.min_votes = min_votes if min_votes is not None else len(self.taggers) // 2 + 1
        if not 1 <= self.min_votes <= len(self.taggers):
            raise ValueError(f"min_votes must be in 1..{len(self.taggers)}, got {self.min_votes}")

    @property
    def schemas(self) -> tuple[str, ...]:
        """The schemas the members have output heads for (the same for every member)."""
        return tuple(self.taggers[0].schemas)

    def schema_types(self, name: str) -> tuple[str, ...]:
        """The types of the members' ``name`` head.

        Raises:
            ValueError: The members have no such head.
        """
        return tuple(self.taggers[0].schema_types(name))

    def nested(self, name: str | None = None) -> bool:
        """Whether the output may hold overlapping spans: the ``name`` head's, or (``None``) the merged output's.

        The merged output may nest as soon as one of the heads can.

        Raises:
            ValueError: The members have no ``name`` head.
        """
        names = self.schemas if name is None else (name,)
        return any(t.nested(n) for t in self.taggers for n in names)

    def predict(self, texts: Sequence[str], batch_size: int = 32, progress: ProgressFactory | None = None,
                schema: str | None = None) -> list[list[Span]]:
        """Voted spans per record, in record offsets and text order.

        Args:
            texts: The records.
            batch_size: Windows per batch.
            progress: A bar per member over its windows.
            schema: ``None``: the merged output in mention types; a schema name: that head's spans in its
                corpus's own type names.

        Raises:
            ValueError: ``schema`` is not one of :attr:`schemas`.
        """
        nested = self.nested(schema)
        per_model = [t.predict(texts, batch_size=batch_size, progress=progress, schema=schema)
                     for t in self.taggers]
        return [vote([member[r] for member in per_model], self.min_votes, nested=nested) for r in range(len(texts))]
