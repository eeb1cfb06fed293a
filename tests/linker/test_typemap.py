from __future__ import annotations

import pytest

from extractor.corpus_check import CORPUS_TYPES
from kgmodel.model import CONCEPT_LABELS
from linker.records import KG_TYPES
from linker.typemap import CORPUS_TYPE_MAP, MENTION_TYPES, NER_TO_KG, resolve_type


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
        ("Symptom", [("Symptom", 0.0), ("Disease", 0.03)]),
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


@pytest.mark.parametrize(
    ("type_name", "expected"),
    [
        ("Symptom", [("Symptom", 0.0), ("Disease", 0.03)]),
        ("症状和体征", [("Symptom", 0.0), ("Disease", 0.03)]),
        ("Check", [("Check", 0.0), ("LabTest", 0.0), ("ImagingExam", 0.0)]),
        ("检查和检验", [("Check", 0.0), ("LabTest", 0.0), ("ImagingExam", 0.0)]),
        ("Procedure", [("Procedure", 0.0), ("Operation", 0.0), ("Check", 0.03)]),
        ("治疗", [("Procedure", 0.0), ("Operation", 0.0), ("Check", 0.03)]),
        ("身体部位", [("Anatomy", 0.0)]),
        ("Equipment", [("Equipment", 0.0)]),
        ("Microorganism", [("Microorganism", 0.0)]),
        ("Department", [("Department", 0.0)]),
    ],
)
def test_type_map_of_the_corpus_types(type_name: str, expected: list[tuple[str, float]]) -> None:
    assert labels(type_name) == expected


# the decided table, written out once more so that a changed row fails here
EXPECTED_MAP = {
    "ccks2019": {"Disease": "Disease", "Drug": "Drug", "Operation": "Operation", "Anatomy": "Anatomy",
                 "LabTest": "LabTest", "ImagingExam": "ImagingExam"},
    "ccks2017": {"症状和体征": "Symptom", "检查和检验": "Check", "身体部位": "Anatomy", "治疗": "Procedure",
                 "疾病和诊断": "Disease"},
    "cmeee": {"dis": "Disease", "sym": "Symptom", "pro": "Procedure", "equ": "Equipment", "dru": "Drug",
              "ite": "LabTest", "bod": "Anatomy", "dep": "Department", "mic": "Microorganism"},
}


@pytest.mark.parametrize("schema", sorted(CORPUS_TYPES))
def test_every_corpus_type_has_a_mention_type(schema: str) -> None:
    assert schema in CORPUS_TYPE_MAP, f"schema {schema} has no row in CORPUS_TYPE_MAP"
    assert set(CORPUS_TYPE_MAP[schema]) == set(CORPUS_TYPES[schema])
    assert CORPUS_TYPE_MAP[schema] == EXPECTED_MAP[schema]


def test_every_mention_type_links_to_allow_listed_labels() -> None:
    mapped = {t for table in CORPUS_TYPE_MAP.values() for t in table.values()}
    assert mapped == set(MENTION_TYPES) and len(MENTION_TYPES) == len(set(MENTION_TYPES))
    for mention_type in MENTION_TYPES:
        target = resolve_type(mention_type, KG_TYPES, 0.03)
        assert target.name == mention_type
        assert target.labels[0].label == mention_type and target.labels[0].penalty == 0.0  # its own label first
        assert {lp.label for lp in target.labels} <= CONCEPT_LABELS  # a candidate concept gets a valid label
    assert {label for pairs in NER_TO_KG.values() for label, _ in pairs} <= CONCEPT_LABELS


def test_cmeee_short_codes_are_not_mention_types() -> None:
    # they are mapped once, when the corpora are read; the linker never sees them
    with pytest.raises(ValueError, match="unknown mention type 'sym'"):
        resolve_type("sym", KG_TYPES, 0.0)


def test_the_new_mention_types_link_or_propose_a_candidate_of_their_label() -> None:
    from linker import ConceptIndex, ConceptRecord, Linker

    index = ConceptIndex.build([ConceptRecord("Symptom:发热", "Symptom", "发热"),
                                ConceptRecord("Disease:头晕", "Disease", "头晕"),
                                ConceptRecord("Operation:阑尾切除术", "Operation", "阑尾切除术"),
                                ConceptRecord("Check:胃镜", "Check", "胃镜"),
                                ConceptRecord("LabTest:血常规", "LabTest", "血常规"),
                                ConceptRecord("Microorganism:幽门螺杆菌", "Microorganism", "幽门螺杆菌"),
                                ConceptRecord("Department:消化内科", "Department", "消化内科")])
    linker = Linker(index)
    assert linker.link("发热", type="症状和体征").best.concept_id == "Symptom:发热"
    dizzy = linker.link("头晕", type="Symptom").best  # only a disease by that name: the fallback, penalised
    assert (dizzy.concept_id, dizzy.score) == ("Disease:头晕", pytest.approx(0.97))
    assert linker.link("血常规", type="检查和检验").best.concept_id == "LabTest:血常规"
    assert linker.link("阑尾切除术", type="治疗").best.concept_id == "Operation:阑尾切除术"
    gastroscopy = linker.link("胃镜", type="Procedure").best  # a check is a procedure's fallback
    assert (gastroscopy.concept_id, gastroscopy.score) == ("Check:胃镜", pytest.approx(0.97))
    assert linker.link("幽门螺杆菌", type="Microorganism").best.concept_id == "Microorganism:幽门螺杆菌"
    assert linker.link("消化内科", type="Department").best.concept_id == "Department:消化内科"
    for text, kind in (("吸氧", "Procedure"), ("呼吸机", "Equipment"), ("大肠杆菌", "Microorganism")):
        result = linker.link(text, type=kind)
        assert result.is_nil and result.nil_candidate_id == f"candidate:{kind}:{text}"
