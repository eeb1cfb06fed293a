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

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from itertools import groupby
from typing import Any

from neo4j.exceptions import Neo4jError

from graph.analyst.library import QuerySpec, coerce_params, get_spec
from graph.browse.reader import read_rows
from graph.db.connection import GraphClient

__all__ = ["ConceptExtras", "ConceptPage", "FactGroup", "RecordPage", "concept_extras", "concept_page", "record_page"]

#: Most relationships and records a concept page lists.
MAX_FACTS = 500
MAX_RECORDS = 200
#: Rows of each of the concept page's extra sections.
MAX_EXTRAS = 10
#: The threads a page's independent reads run on (each read is its own READ transaction, on its own session).
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="medkg-page-read")


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

    Its three lists are read at once, each in its own READ transaction (:data:`_POOL`).

    Raises:
        graph.browse.reader.GraphUnavailable: The database cannot be reached.
    """
    found = _one(client, "internal/web_concept", concept_id)
    if found is None:
        return None
    facts_job = _POOL.submit(read_rows, client, "internal/web_concept_facts", id=concept_id, limit=MAX_FACTS)
    assertions_job = _POOL.submit(read_rows, client, "internal/web_concept_assertions", id=concept_id)
    records_job = _POOL.submit(read_rows, client, "internal/web_concept_records", id=concept_id, limit=MAX_RECORDS)
    facts, assertions, records = facts_job.result(), assertions_job.result(), records_job.result()
    groups = [FactGroup(kind, outgoing, list(rows))
              for (kind, outgoing), rows in groupby(facts, key=lambda r: (r["type"], r["outgoing"]))]
    certainty: dict[str, int] = {"affirmed": 0, "negated": 0, "possible": 0, "unknown": 0}
    for row in assertions:
        certainty[row["certainty"]] = certainty.get(row["certainty"], 0) + row["mentions"]
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


@dataclass(frozen=True)
class ConceptExtras:
    """What the concept page shows beside the facts: from the query library, the vector index and the curators."""

    #: A disease's treatments in records beside the KG's recommendation (``top_treatments``).
    treatments: list[dict[str, Any]] = field(default_factory=list)
    #: Findings co-occurring with a disease in records (``disease_findings``).
    findings: list[dict[str, Any]] = field(default_factory=list)
    #: Nearest concepts by the TransE vector index (``concept_neighbours``); empty without vectors.
    neighbours: list[dict[str, Any]] = field(default_factory=list)
    #: Why there are no neighbours (no vector, no index), or ``None``.
    neighbours_note: str | None = None
    #: Candidate concepts merged into this one.
    merged: list[dict[str, Any]] = field(default_factory=list)


@cache
def _spec(name: str) -> QuerySpec:
    return get_spec(name)


def _library_rows(client: GraphClient, name: str, **given: Any) -> list[dict[str, Any]]:
    """A library query the page chose, with its header's defaults for what ``given`` leaves out.

    Read as every page reads (:func:`graph.browse.reader.read_rows`): the runner's guard is for users' statements,
    and this one is ours.
    """
    return read_rows(client, f"analyst/{name}", **coerce_params(_spec(name), given))


def concept_extras(client: GraphClient, concept: dict[str, Any]) -> ConceptExtras:
    """The extra sections of ``concept`` (a row of ``internal/web_concept``), read at once in READ transactions.

    Raises:
        graph.browse.reader.GraphUnavailable: The database cannot be reached.
    """
    key = concept["id"]
    jobs: dict[str, Future[list[dict[str, Any]]]] = {
        "merged": _POOL.submit(read_rows, client, "internal/web_concept_merged", id=key, limit=MAX_RECORDS)}
    if concept["type"] == "Disease":
        jobs["treatments"] = _POOL.submit(_library_rows, client, "top_treatments", disease=key, limit=MAX_EXTRAS)
        jobs["findings"] = _POOL.submit(_library_rows, client, "disease_findings", disease=key, limit=MAX_EXTRAS)
    note = None if concept.get("has_vector") else "no-vector"
    if note is None:
        jobs["neighbours"] = _POOL.submit(_library_rows, client, "concept_neighbours", id=key, k=MAX_EXTRAS,
                                          candidates=MAX_EXTRAS + 1)
    found: dict[str, list[dict[str, Any]]] = {}
    for name, job in jobs.items():
        try:
            found[name] = job.result()
        except Neo4jError:
            if name != "neighbours":
                raise
            note, found[name] = "no-index", []  # the vectors are there but the index is not (being built, dropped)
    return ConceptExtras(found.get("treatments", []), found.get("findings", []), found.get("neighbours", []), note,
                         found["merged"])
