"""Which KG labels a mention type may link to.

NER types come from the tagger (CCKS 2019: 疾病和诊断, 药物, 手术, 解剖部位, 实验室检验, 影像检查, or
their English names). The xywy KG has no anatomy or operation nodes and does not tell lab tests from
imaging (its ``Check``); CMeKG (``medkg kg load --format cmekg``) adds ``Anatomy``, ``Operation``,
``LabTest`` and ``ImagingExam`` concepts, which these types search first. With the xywy KG alone the
new labels hold nothing, so anatomy and operations give NIL candidates and tests link to ``Check``
exactly as before. A fallback label is searched too, with a small score penalty so that a concept of
the primary label wins a tie.

| mention type | KG labels searched (penalty) |
|---|---|
| Disease / 疾病和诊断 | Disease (0), Symptom (fallback) |
| Drug / 药物 | Drug (0), Producer (fallback) |
| LabTest / 实验室检验 | LabTest (0), Check (0) |
| ImagingExam / 影像检查 | ImagingExam (0), Check (0) |
| Anatomy / 解剖部位 | Anatomy (0): NIL while the KG has no anatomy |
| Operation / 手术 | Operation (0): NIL while the KG has no operations |
| a KG label (Symptom, Check, Food, Department, Producer) | that label only |
| ``None`` | every label in the index (0) |

``Disease`` and ``Drug`` are both NER types and KG labels; the NER reading wins, so they search their
fallback label as well.

Example:
    >>> target = resolve_type("药物", ("Drug", "Producer"), fallback_penalty=0.03)
    >>> target.name, [lp.label for lp in target.labels]
    ('Drug', ['Drug', 'Producer'])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from linker.records import KG_TYPES

__all__ = ["CCKS_LABELS", "NER_TO_KG", "NER_TYPES", "LabelPenalty", "TypeTarget", "resolve_type"]

NER_TYPES: tuple[str, ...] = ("Disease", "Drug", "Operation", "Anatomy", "LabTest", "ImagingExam")
"""English NER type names used by the tagger."""

CCKS_LABELS: dict[str, str] = {
    "疾病和诊断": "Disease",
    "药物": "Drug",
    "手术": "Operation",
    "解剖部位": "Anatomy",
    "实验室检验": "LabTest",
    "影像检查": "ImagingExam",
}
"""CCKS 2019 Chinese labels -> English NER types."""

NER_TO_KG: dict[str, tuple[tuple[str, bool], ...]] = {
    "Disease": (("Disease", False), ("Symptom", True)),
    "Drug": (("Drug", False), ("Producer", True)),
    "LabTest": (("LabTest", False), ("Check", False)),
    "ImagingExam": (("ImagingExam", False), ("Check", False)),
    "Anatomy": (("Anatomy", False),),
    "Operation": (("Operation", False),),
}
"""NER type -> (KG label, is_fallback) pairs, primary label first."""


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
        type_name: NER type (English or CCKS Chinese label), KG label, or ``None`` for all labels.
        index_labels: Labels present in the index (searched when ``type_name`` is ``None``).
        fallback_penalty: Score penalty for fallback labels (Symptom for Disease, Producer for Drug).

    Returns:
        The canonical type name and the labels with their penalties.

    Raises:
        ValueError: If ``type_name`` is neither a known NER type, a CCKS label, nor a KG/index label.
    """
    labels = tuple(index_labels)
    if type_name is None:
        return TypeTarget(None, tuple(LabelPenalty(label, 0.0) for label in labels))
    if not isinstance(type_name, str):
        raise ValueError(f"type must be a string or None, got {type_name!r}")
    name = CCKS_LABELS.get(type_name.strip(), type_name.strip())
    if name in NER_TO_KG:
        return TypeTarget(
            name,
            tuple(LabelPenalty(label, fallback_penalty if fb else 0.0) for label, fb in NER_TO_KG[name]),
        )
    if name in KG_TYPES or name in labels:
        return TypeTarget(name, (LabelPenalty(name, 0.0),))
    known = ", ".join([*NER_TYPES, *CCKS_LABELS, *KG_TYPES])
    raise ValueError(f"unknown mention type {type_name!r}; expected None or one of: {known}")
