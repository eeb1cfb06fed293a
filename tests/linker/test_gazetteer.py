from __future__ import annotations

import re

import pytest

from linker import ConceptIndex, ConceptRecord, Gazetteer, GazetteerConfig
from linker.normalize import length_preserving_table

TEXT = "患者慢性胃炎10年，伴头痛、發熱；行ＣＴ检查及CTA，口服来氟米特，既往高血压。"
BIOES = re.compile(r"^(O|S|BI*E)*$")


@pytest.fixture(scope="module")
def gazetteer(index: ConceptIndex) -> Gazetteer:
    return Gazetteer(index)


def test_all_matches_offsets_index_the_original_text(gazetteer: Gazetteer) -> None:
    matches = gazetteer.all_matches(TEXT)
    table = length_preserving_table()
    found = {(TEXT[m.start : m.end], m.concept_id) for m in matches}
    assert ("慢性胃炎", "Disease:慢性胃炎") in found
    assert ("胃炎", "Disease:胃炎") in found  # nested matches are all reported
    assert ("發熱", "Symptom:发热") in found  # traditional characters, same offsets
    assert ("ＣＴ检查", "Check:CT检查") in found  # full-width Latin, same offsets
    assert ("来氟米特", "Drug:来氟米特片") in found  # derived stem of a drug name
    assert {("高血压", "Disease:高血压"), ("高血压", "Symptom:高血压")} <= found
    for m in matches:
        assert 0 <= m.start < m.end <= len(TEXT)
    assert all(len(TEXT[m.start : m.end].translate(table)) == m.end - m.start for m in matches)
    assert matches == sorted(matches, key=lambda m: (m.start, m.end, m.concept_id))


def test_latin_word_boundary(gazetteer: Gazetteer, index: ConceptIndex) -> None:
    spans = {(m.start, m.end) for m in gazetteer.all_matches(TEXT)}
    cta = TEXT.index("CTA")
    assert not any(start == cta for start, _ in spans)  # "CT" inside "CTA" is not a match
    loose = Gazetteer(index, GazetteerConfig(latin_boundary=False))
    assert any(m.start == cta for m in loose.all_matches(TEXT))


def test_segment_longest_first_with_valid_bioes(gazetteer: Gazetteer) -> None:
    seg = gazetteer.segment(TEXT)
    assert len(seg.tags) == len(seg.concept_ids) == len(seg.types) == len(TEXT)
    assert BIOES.match("".join(seg.tags))
    start = TEXT.index("慢性胃炎")
    assert seg.tags[start : start + 4] == ["B", "I", "I", "E"]
    assert set(seg.concept_ids[start : start + 4]) == {"Disease:慢性胃炎"}
    # Spans do not overlap and agree with the per-character lists.
    covered = [0] * len(TEXT)
    for span in seg.spans:
        for i in range(span.start, span.end):
            covered[i] += 1
            assert seg.concept_ids[i] == span.concept_id and seg.types[i] == span.type
    assert max(covered) == 1
    assert all((seg.tags[i] == "O") == (covered[i] == 0) for i in range(len(TEXT)))


def test_segment_type_priority(gazetteer: Gazetteer, index: ConceptIndex) -> None:
    i = TEXT.index("高血压")
    assert gazetteer.segment(TEXT).types[i] == "Disease"
    symptom_first = Gazetteer(index, GazetteerConfig(type_priority=("Symptom", "Disease")))
    assert symptom_first.segment(TEXT).types[i] == "Symptom"


def test_longest_match_wins_over_leftmost_shorter() -> None:
    recs = [ConceptRecord("Disease:AB", "Disease", "甲乙"), ConceptRecord("Disease:BCD", "Disease", "乙丙丁")]
    seg = Gazetteer(recs).segment("甲乙丙丁")
    assert seg.tags == ["O", "B", "I", "E"]
    assert [s.concept_id for s in seg.spans] == ["Disease:BCD"]


def test_single_character_matches_and_min_chars() -> None:
    recs = [ConceptRecord("Check:钒", "Check", "钒"), ConceptRecord("Disease:胃炎", "Disease", "胃炎")]
    assert [m.concept_id for m in Gazetteer(recs).all_matches("钒胃炎")] == ["Disease:胃炎"]
    seg = Gazetteer(recs, GazetteerConfig(min_chars=1)).segment("钒胃炎")
    assert seg.tags == ["S", "B", "E"]


def test_labels_filter_and_no_fold(index: ConceptIndex) -> None:
    diseases = Gazetteer(index, GazetteerConfig(labels=("Disease",)))
    assert {m.type for m in diseases.all_matches(TEXT)} == {"Disease"}
    raw = Gazetteer(index, GazetteerConfig(fold=False))
    assert not any(TEXT[m.start : m.end] == "發熱" for m in raw.all_matches(TEXT))


def test_empty_and_bad_text(gazetteer: Gazetteer) -> None:
    seg = gazetteer.segment("")
    assert seg.tags == [] and seg.spans == []
    assert gazetteer.all_matches("") == []
    with pytest.raises(TypeError):
        gazetteer.segment(None)  # type: ignore[arg-type]
