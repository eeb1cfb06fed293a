"""Which KG labels a mention type may link to, and which mention type each annotated corpus type becomes.

Mention types come from the NER plugins: the tagger's (one type per annotated corpus type, by
:data:`CORPUS_TYPE_MAP`) and ``gazetteer-ner``'s (the label of the KG concept it matched). The xywy KG
has no anatomy or operation nodes and does not tell lab tests from imaging (its ``Check``); CMeKG
(``medkg kg load --format cmekg``) adds ``Anatomy``, ``Operation``, ``LabTest`` and ``ImagingExam``
concepts, which these types search first. With the xywy KG alone the new labels hold nothing, so
anatomy and operations give NIL candidates and tests link to ``Check`` exactly as before.
``Procedure``, ``Equipment`` and ``Microorganism`` are labels no KG has yet: their mentions are NIL
(a candidate concept of that label) until a KG or a curator adds concepts. A fallback label is
searched too, with a small score penalty so that a concept of the primary label wins a tie.

| mention type | KG labels searched (penalty) |
|---|---|
| Disease / 疾病和诊断 | Disease (0), Symptom (fallback) |
| Symptom / 症状和体征 | Symptom (0), Disease (fallback) |
| Drug / 药物 | Drug (0), Producer (fallback) |
| LabTest / 实验室检验 | LabTest (0), Check (0) |
| ImagingExam / 影像检查 | ImagingExam (0), Check (0) |
| Check / 检查和检验 | Check (0), LabTest (0), ImagingExam (0) |
| Anatomy / 解剖部位 / 身体部位 | Anatomy (0): NIL while the KG has no anatomy |
| Operation / 手术 | Operation (0): NIL while the KG has no operations |
| Procedure / 治疗 | Procedure (0), Operation (0), Check (fallback) |
| Equipment | Equipment (0) |
| Microorganism | Microorganism (0) |
| Department | Department (0) |
| another KG label (Food, Producer) | that label only |
| ``None`` | every label in the index (0) |

``Disease``, ``Symptom``, ``Drug``, ``Check`` and ``Department`` are both mention types and KG labels;
the mention-type reading wins, so they search their other labels as well. The Chinese corpus labels
of CCKS 2019 and CCKS 2017 are accepted as mention types; CMeEE's short codes (``dis``, ``sym``, ...)
are not: they are mapped once, by :data:`CORPUS_TYPE_MAP`, when the tagger reads its corpora.

Example:
    >>> target = resolve_type("药物", ("Drug", "Producer"), fallback_penalty=0.03)
    >>> target.name, [lp.label for lp in target.labels]
    ('Drug', ['Drug', 'Producer'])
    >>> CORPUS_TYPE_MAP["cmeee"]["mic"], CORPUS_TYPE_MAP["ccks2017"]["治疗"]
    ('Microorganism', 'Procedure')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from linker.records import KG_TYPES

__all__ = [
    "CCKS_LABELS",
    "CORPUS_TYPE_MAP",
    "MENTION_TYPES",
    "NER_TO_KG",
    "NER_TYPES",
    "LabelPenalty",
    "TypeTarget",
    "resolve_type",
]

NER_TYPES: tuple[str, ...] = ("Disease", "Drug", "Operation", "Anatomy", "LabTest", "ImagingExam")
"""CCKS 2019's six types in English: the single-schema tagger's types (all mention types: :data:`MENTION_TYPES`)."""

CCKS_LABELS: dict[str, str] = {
    "疾病和诊断": "Disease",
    "药物": "Drug",
    "手术": "Operation",
    "解剖部位": "Anatomy",
    "实验室检验": "LabTest",
    "影像检查": "ImagingExam",
}
"""CCKS 2019 Chinese labels -> English NER types."""

CORPUS_TYPE_MAP: dict[str, dict[str, str]] = {
    "ccks2019": {t: t for t in NER_TYPES},
    "ccks2017": {
        "症状和体征": "Symptom",
        "检查和检验": "Check",
        "身体部位": "Anatomy",
        "治疗": "Procedure",
        "疾病和诊断": "Disease",
    },
    "cmeee": {
        "dis": "Disease",
        "sym": "Symptom",
        "pro": "Procedure",
        "equ": "Equipment",
        "dru": "Drug",
        "ite": "LabTest",
        "bod": "Anatomy",
        "dep": "Department",
        "mic": "Microorganism",
    },
}
"""Schema -> the corpus's own type name -> mention type: the one place the annotated corpora's types
meet the graph. CCKS 2017's 检查和检验 covers lab tests and imaging alike, so it becomes ``Check`` (which
searches both); its 治疗 and CMeEE's ``pro`` are operations and other treatments alike, so they become
``Procedure`` (which searches operations too)."""

MENTION_TYPES: tuple[str, ...] = (
    *NER_TYPES, "Symptom", "Check", "Procedure", "Equipment", "Microorganism", "Department",
)
"""Every mention type a corpus type maps to (:data:`CORPUS_TYPE_MAP`), CCKS 2019's first."""

NER_TO_KG: dict[str, tuple[tuple[str, bool], ...]] = {
    "Disease": (("Disease", False), ("Symptom", True)),
    "Drug": (("Drug", False), ("Producer", True)),
    "LabTest": (("LabTest", False), ("Check", False)),
    "ImagingExam": (("ImagingExam", False), ("Check", False)),
    "Anatomy": (("Anatomy", False),),
    "Operation": (("Operation", False),),
    "Symptom": (("Symptom", False), ("Disease", True)),
    "Check": (("Check", False), ("LabTest", False), ("ImagingExam", False)),
    "Procedure": (("Procedure", False), ("Operation", False), ("Check", True)),
    "Equipment": (("Equipment", False),),
    "Microorganism": (("Microorganism", False),),
    "Department": (("Department", False),),
}
"""Mention type -> (KG label, is_fallback) pairs, primary label first."""

_CHINESE_LABELS: dict[str, str] = {**CCKS_LABELS, **CORPUS_TYPE_MAP["ccks2017"]}
"""The Chinese corpus labels :func:`resolve_type` accepts (CCKS 2019's and CCKS 2017's; 疾病和诊断 is in both)."""


@dataclass(frozen=True, slots=True)
class LabelPenalty:
    """A KG label to search and the score penalty for concepts found under it."""

    label: str
    penalty: float


@dataclass(frozen=True, slots=True)
class TypeTarget:
    """A resolved mention type.

    Attributes:
        name: Canonical type name (English NER type or KG label), ``None`` for all types.
        labels: KG labels to search, primary first; empty means the mention is always NIL.
    """

    name: str | None
    labels: tuple[LabelPenalty, ...]


def resolve_type(type_name: str | None, index_labels: Iterable[str], fallback_penalty: float) -> TypeTarget:
    """Map a mention type to the KG labels to search.

    Args:
        type_name: Mention type (English, or a CCKS 2019 / CCKS 2017 Chinese label), KG label, or ``None``
            for all labels.
        index_labels: Labels present in the index (searched when ``type_name`` is ``None``).
        fallback_penalty: Score penalty for fallback labels (Symptom for Disease and back, Producer for Drug,
            Check for Procedure).

    Returns:
        The canonical type name and the labels with their penalties.

    Raises:
        ValueError: If ``type_name`` is neither a known mention type, a CCKS label, nor a KG/index label.
    """
    labels = tuple(index_labels)
    if type_name is None:
        return TypeTarget(None, tuple(LabelPenalty(label, 0.0) for label in labels))
    if not isinstance(type_name, str):
        raise ValueError(f"type must be a string or None, got {type_name!r}")
    name = _CHINESE_LABELS.get(type_name.strip(), type_name.strip())
    if name in NER_TO_KG:
        return TypeTarget(
            name,
            tuple(LabelPenalty(label, fallback_penalty if fb else 0.0) for label, fb in NER_TO_KG[name]),
        )
    if name in KG_TYPES or name in labels:
        return TypeTarget(name, (LabelPenalty(name, 0.0),))
    known = ", ".join(dict.fromkeys([*MENTION_TYPES, *_CHINESE_LABELS, *KG_TYPES]))
    raise ValueError(f"unknown mention type {type_name!r}; expected None or one of: {known}")
