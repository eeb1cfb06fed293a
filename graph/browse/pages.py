"""What the web application's concept and record pages show, each read in READ transactions.

A concept page: the concept, its concept-level relationships grouped by type (KG sources, record support,
confidence), how the records assert it (per certainty, experiencer and temporality) and the records mentioning
it with the certainty of their mentions. A record page: the record's text, its current mentions (offsets,
type, score, extractor, run, assertion, links) and its relation mentions.

Example:
    >>> page = concept_page(client, "Disease:糖尿病")  # doctest: +SKIP
    >>> [group.type for group in page.facts]  # doctest: +SKIP
    ['HAS_SYMPTOM', 'RECOMMEND_DRUG', ...]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from graph.browse.reader import read_rows
from graph.db.connection import GraphClient

__all__ = ["ConceptPage", "FactGroup", "RecordPage", "concept_page", "record_page"]

#: Most relationships and records a concept page lists.
MAX_FACTS = 500
MAX_RECORDS = 200


@dataclass(frozen=True)
class FactGroup:
    """The relationships of one type (and direction) of a concept."""

    type: str
    outgoing: bool
    facts: list[dict[str, Any]]


@dataclass(frozen=True)
class ConceptPage:
    """One concept and what the graph knows and the records say of it."""

    concept: dict[str, Any]
    facts: list[FactGroup]
    #: Rows of (certainty, experiencer, temporality, mentions, records).
    assertions: list[dict[str, Any]]
    #: Mentions per certainty over all its records (``affirmed``, ``negated``, ``possible``, ``unknown``).
    certainty: dict[str, int]
    records: list[dict[str, Any]]
    #: True when :data:`MAX_FACTS` or :data:`MAX_RECORDS` cut a list.
    truncated: bool = False


@dataclass(frozen=True)
class RecordPage:
    """One record with its current mentions and relation mentions."""

    record: dict[str, Any]
    mentions: list[dict[str, Any]] = field(default_factory=list)
    relations: list[dict[str, Any]] = field(default_factory=list)


def _one(client: GraphClient, name: str, key: str) -> dict[str, Any] | None:
    """The single row of ``name`` for the id ``key``, or ``None``."""
    rows = read_rows(client, name, id=key)
    return rows[0] if rows else None


def concept_page(client: GraphClient, concept_id: str) -> ConceptPage | None:
    """The page of ``concept_id``, or ``None`` when no concept has that id.

    Raises:
        graph.browse.reader.GraphUnavailable: The database cannot be reached.
    """
    found = _one(client, "internal/web_concept", concept_id)
    if found is None:
        return None
    facts = read_rows(client, "internal/web_concept_facts", id=concept_id, limit=MAX_FACTS)
    groups = [FactGroup(kind, outgoing, list(rows))
              for (kind, outgoing), rows in groupby(facts, key=lambda r: (r["type"], r["outgoing"]))]
    assertions = read_rows(client, "internal/web_concept_assertions", id=concept_id)
    certainty: dict[str, int] = {"affirmed": 0, "negated": 0, "possible": 0, "unknown": 0}
    for row in assertions:
        certainty[row["certainty"]] = certainty.get(row["certainty"], 0) + row["mentions"]
    records = read_rows(client, "internal/web_concept_records", id=concept_id, limit=MAX_RECORDS)
    return ConceptPage(found, groups, assertions, certainty, records,
                       len(facts) == MAX_FACTS or len(records) == MAX_RECORDS)


def record_page(client: GraphClient, record_id: str) -> RecordPage | None:
    """The page of ``record_id``, or ``None`` when no record has that id.

    Raises:
        graph.browse.reader.GraphUnavailable: The database cannot be reached.
    """
    record = _one(client, "internal/web_record", record_id)
    return None if record is None else RecordPage(
        record, read_rows(client, "internal/web_record_mentions", id=record_id),
        read_rows(client, "internal/web_record_relations", id=record_id))
