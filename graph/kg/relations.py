"""Relationship types found in records: the allow-listed map from relation predicates to graph types.

A relation extractor names its predicates in its own vocabulary (CMeIE's Chinese predicates for the
built-in plugins). Only predicates listed in :data:`RECORD_RELATIONS` become concept-level
relationships, each with a signature: the head concept's type label must be one of ``heads`` and the
tail's one of ``tails`` (KG concepts carry KG labels: a linked lab test is a ``Check``; candidate
concepts carry the mention's type). Other predicates, and pairs outside a signature, are kept as
``(:RelationMention)`` nodes only.

``临床表现`` and ``并发症`` map onto the KG's own ``HAS_SYMPTOM`` and ``ACCOMPANY_WITH``, so a record can add
evidence to a KG-asserted relationship (its sources are appended to, never replaced); the others are
record-only types.

| predicate | type | heads | tails |
|---|---|---|---|
| 药物治疗 | ``TREATED_WITH`` | Disease, Symptom | Drug |
| 手术治疗 | ``TREATED_BY_OPERATION`` | Disease, Symptom | Operation |
| 其他治疗 | ``TREATED_BY_PROCEDURE`` | Disease, Symptom | Procedure |
| 实验室检查 | ``EXAMINED_BY_LAB_TEST`` | Disease, Symptom | LabTest, Check |
| 影像学检查 | ``EXAMINED_BY_IMAGING`` | Disease, Symptom | ImagingExam, Check |
| 临床表现 | ``HAS_SYMPTOM`` | Disease | Symptom |
| 发病部位 | ``LOCATED_AT`` | Disease, Symptom | Anatomy |
| 并发症 | ``ACCOMPANY_WITH`` | Disease | Disease |
| 内窥镜检查 | ``EXAMINED_BY_ENDOSCOPY`` | Disease, Symptom | ImagingExam, Check |
| 辅助检查 | ``EXAMINED_BY`` | Disease, Symptom | LabTest, ImagingExam, Check |

Example:
    >>> record_relationship("药物治疗", "Disease", "Drug")
    'TREATED_WITH'
    >>> record_relationship("药物治疗", "Drug", "Disease") is None
    True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from kgmodel.model import RELATION_TYPES

__all__ = ["RECORD_RELATIONS", "RECORD_RELATION_TYPES", "RecordRelation", "record_relationship",
           "static_relationship_statement"]


@dataclass(frozen=True)
class RecordRelation:
    """A graph relationship type for one predicate, with its signature."""

    type: str
    heads: frozenset[str]
    tails: frozenset[str]


_DISEASE = frozenset({"Disease", "Symptom"})

RECORD_RELATIONS: dict[str, RecordRelation] = {
    "药物治疗": RecordRelation("TREATED_WITH", _DISEASE, frozenset({"Drug"})),
    "手术治疗": RecordRelation("TREATED_BY_OPERATION", _DISEASE, frozenset({"Operation"})),
    "其他治疗": RecordRelation("TREATED_BY_PROCEDURE", _DISEASE, frozenset({"Procedure"})),
    "实验室检查": RecordRelation("EXAMINED_BY_LAB_TEST", _DISEASE, frozenset({"LabTest", "Check"})),
    "影像学检查": RecordRelation("EXAMINED_BY_IMAGING", _DISEASE, frozenset({"ImagingExam", "Check"})),
    "临床表现": RecordRelation("HAS_SYMPTOM", frozenset({"Disease"}), frozenset({"Symptom"})),
    "发病部位": RecordRelation("LOCATED_AT", _DISEASE, frozenset({"Anatomy"})),
    "并发症": RecordRelation("ACCOMPANY_WITH", frozenset({"Disease"}), frozenset({"Disease"})),
    "内窥镜检查": RecordRelation("EXAMINED_BY_ENDOSCOPY", _DISEASE, frozenset({"ImagingExam", "Check"})),
    "辅助检查": RecordRelation("EXAMINED_BY", _DISEASE, frozenset({"LabTest", "ImagingExam", "Check"})),
}

#: Every relationship type a record may produce.
RECORD_RELATION_TYPES: frozenset[str] = frozenset(r.type for r in RECORD_RELATIONS.values())


def record_relationship(predicate: str, head_label: str | None, tail_label: str | None) -> str | None:
    """The relationship type for ``predicate`` between concepts of these labels, or ``None``."""
    rel = RECORD_RELATIONS.get(predicate)
    if rel is None or head_label not in rel.heads or tail_label not in rel.tails:
        return None
    return rel.type


def static_relationship_statement(text: str, rel_type: str) -> str:
    """``text`` with its dynamic ``$(row.type)`` replaced by an allow-listed static type.

    Raises:
        ValueError: The type is in neither allow-list, or the statement has no ``$(row.type)``.
    """
    if rel_type not in RECORD_RELATION_TYPES and rel_type not in RELATION_TYPES:
        raise ValueError(f"relationship type {rel_type!r} is not in the allow-list")
    return _specialised(text, rel_type)


@functools.lru_cache(maxsize=64)
def _specialised(text: str, rel_type: str) -> str:
    if "$(row.type)" not in text:
        raise ValueError("statement has no $(row.type) to specialise")
    return text.replace("$(row.type)", f"`{rel_type}`")
