"""Extraction output -> the rows the provenance merges write (pure: no database here).

Ids are stable hashes, so re-running the same extractor version on the same text gives the same ids
and the MERGEs write nothing new:

- ``Mention.id`` = hash(record id, text sha256, start, end, type, NER extractor id) and, when an assertion
  plugin asserted the span, its id and every assertion value it wrote (certainty, temporality, experiencer,
  cue, cue offsets, section): another assertion supersedes the mention (and its links and relation
  mentions) like another NER version does;
- a link's key = mention id | concept id | link extractor id (one ``REFERS_TO`` per link extractor);
- ``RelationMention.id`` = hash(subject mention, object mention, predicate, the two linked concepts,
  relation extractor id); its ``fact_key`` ``head|TYPE|tail`` names the concept-level relationship it
  supports (``None`` when a mention is unlinked or the pair is outside the predicate's signature).

Relations are kept only between mentions asserted of the patient (:mod:`extractor.plugins.evidence`,
applied here to whatever a relation plugin returned): ``polarity`` ``positive`` (evidence), or
``negative`` when the object is a finding the record says is absent (a pertinent negative, which never
counts as evidence); ``temporality`` is ``historical`` when either mention is. Mentions without an
assertion (no assertion plugin enabled) count as asserted, as before assertions existed.

Example:
    >>> mention_id("emr-1", "ab" * 32, 3, 5, "Disease", "gazetteer-ner@1")[:8]
    'c460cb13'
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from extractor.assertion.schema import Assertion
from extractor.plugin import LinkResultItem, RelationResult, SpanResult
from extractor.plugins.evidence import relation_polarity, relation_temporality
from graph.kg.relations import record_relationship
from kgmodel.model import CONCEPT_LABELS

__all__ = ["BatchRows", "RecordFacts", "build_rows", "mention_id"]


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:32]


def mention_id(record_id: str, sha256: str, start: int, end: int, type_: str, extractor: str,
               assertion: tuple[str, Assertion] | None = None) -> str:
    """The stable id of one mention; ``assertion`` is ``(assertion extractor id, its assertion)`` when there is one."""
    if assertion is None:
        return _digest("m", record_id, sha256, start, end, type_, extractor)
    asserted_by, a = assertion
    cues = ",".join(f"{s}-{e}" for s, e in a.cue_spans)
    return _digest("m", record_id, sha256, start, end, type_, extractor, asserted_by, a.certainty, a.temporality,
                   a.experiencer, a.cue, cues, a.section)


def _assertion_fields(assertion: tuple[str, Assertion] | None) -> dict[str, Any]:
    """The ``Mention`` properties of an assertion (all ``None`` without one)."""
    if assertion is None:
        return dict.fromkeys(("certainty", "temporality", "experiencer", "assertion_cue", "assertion_cue_offsets",
                              "section", "assertion_extractor"))
    asserted_by, a = assertion
    return {"certainty": a.certainty, "temporality": a.temporality, "experiencer": a.experiencer,
            "assertion_cue": a.cue, "assertion_cue_offsets": [i for span in a.cue_spans for i in span],
            "section": a.section, "assertion_extractor": asserted_by}


@dataclass
class RecordFacts:
    """Everything the enabled extractors found in one record (spans already merged)."""

    record_id: str
    sha256: str
    spans: list[tuple[str, SpanResult]] = field(default_factory=list)
    links: list[tuple[str, LinkResultItem]] = field(default_factory=list)
    relations: list[tuple[str, RelationResult]] = field(default_factory=list)
    assertions: dict[tuple, tuple[str, Assertion]] = field(default_factory=dict)
    """Span key -> (assertion extractor id, assertion); empty without an assertion plugin."""


@dataclass
class BatchRows:
    """Rows for one write transaction."""

    records: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    relations: list[dict[str, Any]] = field(default_factory=list)
    unlinked_relations: int = 0
    """Relation mentions without a concept-level fact (a mention unlinked, or outside the signature)."""


def _relation_rows(rec: RecordFacts, by_key: dict[tuple, str], concept_of: dict[tuple, tuple[str, str]],
                   precision: dict[str, float], out: BatchRows) -> list[str]:
    """Append the relation rows of one record to ``out``; returns their ids."""
    asserted = {key: a for key, (_, a) in rec.assertions.items()}
    relation_ids = []
    for extractor, rel in rec.relations:
        subject, object_ = asserted.get(tuple(rel.subject)), asserted.get(tuple(rel.object))
        polarity = relation_polarity(subject, object_)
        if polarity is None:
            continue  # not a fact about the patient (a denied disease, a relative's finding, a hypothetical one)
        subj, obj = by_key[tuple(rel.subject)], by_key[tuple(rel.object)]
        head, tail = concept_of.get(tuple(rel.subject)), concept_of.get(tuple(rel.object))
        rel_type = record_relationship(rel.predicate, head[1], tail[1]) if head and tail else None
        fact_key = f"{head[0]}|{rel_type}|{tail[0]}" if rel_type and head and tail else None
        rid = _digest("r", subj, obj, rel.predicate, head and head[0], tail and tail[0], extractor)
        relation_ids.append(rid)
        out.unlinked_relations += fact_key is None
        out.relations.append({"id": rid, "record_id": rec.record_id, "predicate": rel.predicate,
                              "type": rel_type, "score": float(rel.score), "extractor": extractor,
                              "subject": subj, "object": obj, "fact_key": fact_key,
                              "head": head[0] if fact_key and head else None,
                              "tail": tail[0] if fact_key and tail else None,
                              "precision": precision.get(extractor, 0.5), "polarity": polarity,
                              "temporality": relation_temporality(subject, object_), "text_sha256": rec.sha256})
    return relation_ids


def build_rows(facts: Sequence[RecordFacts], precision: dict[str, float],
               concept_labels: dict[str, str] | None = None) -> BatchRows:
    """Rows of one batch.

    Args:
        facts: Per record, what the extractors found.
        precision: Relation extractor id -> its precision (the confidence rule's ``p``).
        concept_labels: KG concept id -> type label, for signature checks of links whose
            ``concept_type`` is missing (normally the link carries it).
    """
    out = BatchRows()
    labels = concept_labels or {}
    candidates: dict[str, dict[str, Any]] = {}
    for rec in facts:
        by_key: dict[tuple, str] = {}
        mention_ids, link_keys = [], []
        for extractor, span in rec.spans:
            assertion = rec.assertions.get(span.key)
            mid = mention_id(rec.record_id, rec.sha256, span.start, span.end, span.type, extractor, assertion)
            by_key[span.key] = mid
            mention_ids.append(mid)
            out.mentions.append({"id": mid, "record_id": rec.record_id, "start": span.start, "end": span.end,
                                 "text": span.text, "type": span.type, "score": float(span.score),
                                 "extractor": extractor, "text_sha256": rec.sha256, **_assertion_fields(assertion)})
        concept_of: dict[tuple, tuple[str, str]] = {}
        for extractor, link in rec.links:
            mid = by_key[tuple(link.span)]
            label = link.concept_type or labels.get(link.concept_id)
            if link.nil:
                if label not in CONCEPT_LABELS:
                    continue  # a candidate concept needs an allow-listed type label
                candidates.setdefault(link.concept_id, {"id": link.concept_id, "name": link.concept_name,
                                                        "label": label, "extractor": extractor})
            key = f"{mid}|{link.concept_id}|{extractor}"
            link_keys.append(key)
            out.links.append({"key": key, "mention_id": mid, "concept_id": link.concept_id,
                              "score": float(link.score), "method": link.method, "extractor": extractor})
            concept_of.setdefault(tuple(link.span), (link.concept_id, label or ""))
        relation_ids = _relation_rows(rec, by_key, concept_of, precision, out)
        out.records.append({"id": rec.record_id, "sha256": rec.sha256, "mention_ids": mention_ids,
                            "link_keys": link_keys, "relation_ids": relation_ids,
                            "mentions": len(mention_ids), "relations": len(relation_ids)})
    out.candidates = list(candidates.values())
    return out
