"""The fact page: one concept-level relationship traced to the record spans and KG sources behind it.

A relationship's ``confidence`` is the noisy-OR of its sources' confidences. A KG source brings the confidence
it was loaded with; a record extractor ``x`` brings ``c_x = 1 - prod_r (1 - p_x * s_r)`` over the record texts
``r`` with a current positive relation mention of the fact by ``x`` (``p_x`` the extractor's precision, ``s_r``
its best score in that text; ``cypher/internal/update_record_relationships.cypher``). :func:`fact_page` reads
the relationship and its relation mentions and works that rule through again, step by step, from the mentions
it read, so the page can show each term and whether the stored figure agrees.

Example:
    >>> page = fact_page(client, "Disease:糖尿病", "HAS_SYMPTOM", "Symptom:多饮")  # doctest: +SKIP
    >>> [(s.source, s.confidence) for s in page.steps]  # doctest: +SKIP
    [('xywy', 0.8), ('cooccurrence-relations@1', 0.118)]
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from graph.browse.reader import read_rows
from graph.db.connection import GraphClient
from kgmodel.model import RELATION_TYPES

__all__ = ["FactPage", "RecordTerm", "SourceStep", "fact_key", "fact_page", "noisy_or"]

#: Most relation mentions a fact page lists (and recomputes from).
MAX_EVIDENCE = 500
#: Characters of record text shown either side of the two mentions.
CONTEXT_CHARS = 40
#: The precision a relation mention written before precisions were stored is weighed by (as the update rule).
DEFAULT_PRECISION = 0.5
#: Stored and recomputed confidences closer than this agree (floating-point sums in another order).
TOLERANCE = 1e-6


def noisy_or(values: list[float]) -> float:
    """``1 - prod(1 - v)``: the chance at least one of independent sources is right."""
    return 1.0 - math.prod(1.0 - v for v in values)


def fact_key(head: str, type_: str, tail: str) -> str:
    """The key relation mentions and archives name a fact by: ``'<head id>|<TYPE>|<tail id>'``."""
    return f"{head}|{type_}|{tail}"


@dataclass(frozen=True)
class RecordTerm:
    """One record text's term in a record extractor's confidence: ``p_x * s_r`` for its best relation mention."""

    record: str
    precision: float
    score: float

    @property
    def weight(self) -> float:
        """``p_x * s_r``."""
        return self.precision * self.score


@dataclass(frozen=True)
class SourceStep:
    """One source of the fact with the confidence it brings."""

    source: str
    #: ``kg`` (a loaded KG source) or ``record`` (a relation extractor reading the records).
    kind: str
    #: As stored on the relationship (``None`` when the relationship no longer lists this source).
    stored: float | None
    #: Worked out again from the relation mentions read (record sources only).
    recomputed: float | None = None
    terms: list[RecordTerm] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        """The stored confidence, else the recomputed one."""
        if self.stored is not None:
            return self.stored
        return self.recomputed or 0.0

    @property
    def agrees(self) -> bool:
        """The recomputed confidence equals the stored one (KG sources: always)."""
        if self.recomputed is None or self.stored is None:
            return self.recomputed is None
        return abs(self.recomputed - self.stored) <= TOLERANCE


@dataclass(frozen=True)
class FactPage:
    """One fact: the relationship as stored, its steps of the confidence rule and the record spans behind it."""

    head: dict[str, Any]
    type: str
    tail: dict[str, Any]
    #: The row of ``cypher/internal/web_fact.cypher`` (``exists`` false: no such relationship now, e.g. pruned).
    fact: dict[str, Any]
    steps: list[SourceStep]
    evidence: list[dict[str, Any]]
    negatives: list[dict[str, Any]]
    #: The noisy-OR of the steps' confidences.
    confidence: float
    #: True when :data:`MAX_EVIDENCE` cut the relation mentions (the recomputation then covers only those read).
    truncated: bool = False

    @property
    def key(self) -> str:
        """The fact's key."""
        return fact_key(self.head["id"], self.type, self.tail["id"])

    @property
    def agrees(self) -> bool:
        """Every step and the total agree with what is stored."""
        stored = self.fact.get("confidence")
        return all(step.agrees for step in self.steps) and (
            stored is None or abs(stored - self.confidence) <= TOLERANCE)


def _record_terms(rows: list[dict[str, Any]]) -> dict[str, list[RecordTerm]]:
    """Per relation extractor, one term per record text: the best ``precision * score`` of its positive mentions."""
    best: dict[str, dict[str, RecordTerm]] = defaultdict(dict)
    for row in rows:
        if row["polarity"] != "positive" or row["score"] is None:
            continue
        text = row["text_sha256"] or row["record"]
        precision = DEFAULT_PRECISION if row["precision"] is None else float(row["precision"])
        term = RecordTerm(row["record"], precision, float(row["score"]))
        kept = best[row["extractor"]].get(text)
        if kept is None or term.weight > kept.weight:
            best[row["extractor"]][text] = term
    return {x: sorted(terms.values(), key=lambda t: (-t.weight, t.record)) for x, terms in best.items()}


def _steps(fact: dict[str, Any], terms: dict[str, list[RecordTerm]]) -> list[SourceStep]:
    stored = dict(zip(fact["sources"], fact["source_confidence"], strict=False))
    record_sources = set(fact["record_sources"]) | set(terms)
    steps = [SourceStep(s, "kg", stored.get(s)) for s in fact["sources"] if s not in record_sources]
    for source in sorted(record_sources):
        mine = terms.get(source, [])
        steps.append(SourceStep(source, "record", stored.get(source),
                                noisy_or([t.weight for t in mine]) if mine else 0.0, mine))
    return steps


def fact_page(client: GraphClient, head: str, type_: str, tail: str) -> FactPage | None:
    """The page of the fact ``(head)-[type_]->(tail)``, or ``None`` when neither it nor any trace of it exists.

    A fact that was pruned (no relationship now) still has a page when its archive or relation mentions remain:
    it shows the archive and the spans, with nothing stored to compare.

    Raises:
        graph.browse.reader.GraphUnavailable: The database cannot be reached.
    """
    if type_ not in RELATION_TYPES:
        return None
    rows = read_rows(client, "internal/web_fact", head=head, type=type_, tail=tail)
    if not rows:
        return None
    fact = rows[0]
    key = fact_key(head, type_, tail)
    mentions = read_rows(client, "internal/web_fact_evidence", key=key, context=CONTEXT_CHARS,
                         limit=MAX_EVIDENCE)
    if not fact["exists"] and not fact["pruned"] and not mentions:
        return None
    steps = _steps(fact, _record_terms(mentions))
    return FactPage(
        head={"id": fact["head"], "name": fact["head_name"], "type": fact["head_type"]}, type=type_,
        tail={"id": fact["tail"], "name": fact["tail_name"], "type": fact["tail_type"]}, fact=fact, steps=steps,
        evidence=[m for m in mentions if m["polarity"] == "positive"],
        negatives=[m for m in mentions if m["polarity"] != "positive"],
        confidence=noisy_or([s.confidence for s in steps]), truncated=len(mentions) == MAX_EVIDENCE)
