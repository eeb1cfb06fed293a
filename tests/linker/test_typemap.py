from __future__ import annotations

import pytest

from linker.records import KG_TYPES
from linker.typemap import resolve_type


def labels(type_name: str | None) -> list[tuple[str, float]]:
    return [(lp.label, lp.penalty) for lp in resolve_type(type_name, KG_TYPES, 0.03).labels]


@pytest.mark.parametrize(
    ("type_name", "expected"),
    [
        ("Disease", [("Disease", 0.0), ("Symptom", 0.03)]),
        ("疾病和诊断", [("Disease", 0.0), ("Symptom", 0.03)]),
        ("Drug", [("Drug", 0.0), ("Producer", 0.03)]),
        ("药物", [("Drug", 0.0), ("Producer", 0.03)]),
        ("LabTest", [("LabTest", 0.0), ("Check", 0.0)]),
        ("实验室检验", [("LabTest", 0.0), ("Check", 0.0)]),
        ("ImagingExam", [("ImagingExam", 0.0), ("Check", 0.0)]),
        ("影像检查", [("ImagingExam", 0.0), ("Check", 0.0)]),
        ("Anatomy", [("Anatomy", 0.0)]),
        ("解剖部位", [("Anatomy", 0.0)]),
        ("Operation", [("Operation", 0.0)]),
        ("手术", [("Operation", 0.0)]),
        ("Symptom", [("Symptom", 0.0)]),
        ("Food", [("Food", 0.0)]),
    ],
)
def test_type_map(type_name: str, expected: list[tuple[str, float]]) -> None:
    assert labels(type_name) == expected


def test_none_means_every_label() -> None:
    assert [label for label, _ in labels(None)] == list(KG_TYPES)


def test_canonical_names() -> None:
    assert resolve_type("影像检查", KG_TYPES, 0.0).name == "ImagingExam"
    assert resolve_type(None, KG_TYPES, 0.0).name is None


def test_unknown_type_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown mention type 'Gene'"):
        resolve_type("Gene", KG_TYPES, 0.0)
    with pytest.raises(ValueError, match="must be a string"):
        resolve_type(3, KG_TYPES, 0.0)  # type: ignore[arg-type]


def test_labels_present_only_in_the_index_are_accepted() -> None:
    assert resolve_type("Gene", (*KG_TYPES, "Gene"), 0.0).labels[0].label == "Gene"
