"""What the web application's overview shows: the report's sections, read from the live graph on each visit.

Every section comes from a library query through the read-only runner (:func:`graph.analyst.library.run_library_query`,
READ transactions), the same queries ``medkg report`` draws: the graph in numbers, the top treatments of one
disease in records beside the KG's recommendation, mentions by type and how they link, what the records assert,
the watcher's runs, the confidence histogram by origin, and the sizes of the two curation queues.

Example:
    >>> view = overview(client)  # doctest: +SKIP
    >>> view.disease, [r["name"] for r in view.treatments][:3]  # doctest: +SKIP
    ('Disease:肺炎', ['头孢曲松', '阿奇霉素', '莫西沙星'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.analyst.library import run_library_query
from graph.curate.actions import PruneCriteria, list_low_confidence
from graph.db.connection import GraphClient

__all__ = ["Overview", "overview"]

#: Rows of the low-confidence and NIL queues counted at most (the page says "at least" beyond it).
QUEUE_CAP = 10_000


@dataclass(frozen=True)
class Overview:
    """The overview's sections (rows as the library queries return them)."""

    cards: dict[str, int]
    disease: str | None
    disease_name: str | None
    diseases: list[dict[str, Any]]
    treatments: list[dict[str, Any]]
    mentions: list[dict[str, Any]]
    #: Per mention type: certainty -> mentions.
    assertion: dict[str, dict[str, int]]
    #: Oldest first.
    runs: list[dict[str, Any]]
    #: origin -> ten bucket counts (confidence 0.0-0.1, ..., 0.9-1.0).
    histogram: dict[str, list[int]]
    low_confidence: int
    candidates: int
    below: float


def _rows(client: GraphClient, name: str, row_limit: int = QUEUE_CAP, **params: Any) -> list[dict[str, Any]]:
    return run_library_query(client, name, params, row_limit=row_limit).rows


def overview(client: GraphClient, disease: str | None = None, *, top: int = 15, below: float = 0.5) -> Overview:
    """The overview of the graph now; ``disease`` for the treatments (default: most record-derived treatments).

    Raises:
        graph.analyst.library.QueryParamError: ``disease`` is not a concept of the graph.
        graph.analyst.library.QueryError: A query failed or the database cannot be reached.
    """
    labels = {r["label"]: r["count"] for r in _rows(client, "count_labels")}
    relationships = sum(r["count"] for r in _rows(client, "count_relationship_types"))
    cards = {"Concepts": labels.get("Concept", 0), "Relationships": relationships, "Records": labels.get("EMR", 0),
             "Mentions": labels.get("Mention", 0), "Relation mentions": labels.get("RelationMention", 0),
             "Watcher runs": labels.get("Run", 0)}
    diseases = _rows(client, "diseases_by_records", limit=top)
    with_treatments = [d for d in diseases if d["treatments"]]
    if disease is None and with_treatments:
        disease = with_treatments[0]["disease"]
    treatments = _rows(client, "top_treatments", disease=disease, limit=top) if disease else []
    name = None
    if disease:
        name = _rows(client, "get_concept", id=disease)[0]["concept"]["name"]
    assertion: dict[str, dict[str, int]] = {}
    for r in _rows(client, "mentions_by_assertion"):
        counts = assertion.setdefault(r["type"], {})
        counts[r["certainty"]] = counts.get(r["certainty"], 0) + r["mentions"]
    histogram: dict[str, list[int]] = {}
    for r in _rows(client, "confidence_histogram"):
        histogram.setdefault(r["origin"], [0] * 10)[min(int(r["bucket"]), 9)] = r["relationships"]
    return Overview(
        cards=cards, disease=disease, disease_name=name, diseases=diseases, treatments=treatments,
        mentions=_rows(client, "mentions_by_type", certainty="any", experiencer="any", temporality="any"),
        assertion=dict(sorted(assertion.items(), key=lambda kv: -sum(kv[1].values()))),
        runs=list(reversed(_rows(client, "run_coverage", limit=200))), histogram=histogram,
        low_confidence=len(list_low_confidence(client, PruneCriteria(below=below), limit=QUEUE_CAP)),
        candidates=len(_rows(client, "nil_queue", limit=QUEUE_CAP)), below=below)

