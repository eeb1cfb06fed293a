"""The plugin protocol, the registry, the NER overlap rule and the built-in dictionary, linking and rule plugins."""

from __future__ import annotations

import pytest

from extractor.plugin import (
    ExtractionRecord,
    LinkResultItem,
    PluginOutputError,
    RecordResult,
    RelationResult,
    SpanResult,
    validate_result,
)
from extractor.plugins.context import PluginContext
from extractor.plugins.cooccurrence import CooccurrenceConfig, CooccurrenceRelations
from extractor.plugins.gazetteer_ner import GazetteerNER, GazetteerNERConfig
from extractor.plugins.linking import KGLinker, KGLinkerConfig
from extractor.plugins.merge import merge_ner_spans
from extractor.plugins.registry import (
    UnknownPluginError,
    find_spec,
    load_class,
    plugin_specs,
    register_class,
    unregister_class,
)
from linker.records import ConceptRecord

CONCEPTS = [ConceptRecord(f"{label}:{name}", label, name, aliases) for label, name, aliases in (
    ("Disease", "糖尿病", ("消渴",)), ("Drug", "二甲双胍", ()), ("Check", "头颅CT", ()), ("Check", "血常规", ()),
    ("Symptom", "多尿", ()), ("Food", "苹果", ()))]


def span(text: str, sub: str, type_: str, score: float = 0.9, start: int = 0) -> SpanResult:
    at = text.index(sub, start)
    return SpanResult(at, at + len(sub), type_, score, sub)


def test_registry_lists_builtins_without_importing_them() -> None:
    import sys

    sys.modules.pop("extractor.plugins.tagger", None)
    specs = plugin_specs()
    assert {"gazetteer-ner@1", "cbt-kg-tagger@1", "kg-linker@1", "cooccurrence-relations@1"} <= set(specs)
    assert "extractor.plugins.tagger" not in sys.modules  # listing does not import torch
    assert find_spec("kg-linker").kind == "link"
    with pytest.raises(UnknownPluginError, match="unknown plugin 'nope'"):
        find_spec("nope")
    with pytest.raises(UnknownPluginError, match="no version '9'"):
        find_spec("kg-linker", "9")


def test_registry_refuses_an_entry_point_it_does_not_know() -> None:
    with pytest.raises(UnknownPluginError, match="refusing to load"):
        load_class("kg-linker@1", "os:system")
    with pytest.raises(UnknownPluginError, match="not installed here"):
        load_class("evil@1", "os:system")
    assert load_class("kg-linker@1", "extractor.plugins.linking:KGLinker") is KGLinker


def test_code_registered_class_is_listed_then_forgotten() -> None:
    class Upper(GazetteerNER):
        name, version = "upper-ner", "2"

    spec = register_class(Upper)
    try:
        assert spec.id == "upper-ner@2" and load_class(spec.id, spec.entry_point) is Upper
        assert find_spec("upper-ner").version == "2"
    finally:
        unregister_class(spec.id)
    assert "upper-ner@2" not in plugin_specs()
    with pytest.raises(UnknownPluginError, match="built-in"):
        class Clash(GazetteerNER):
            pass
        register_class(Clash)


def test_overlap_rule_keeps_the_best_non_overlapping_spans() -> None:
    text = "2型糖尿病伴多尿"
    tagger = [SpanResult(0, 5, "Disease", 0.95, "2型糖尿病"), SpanResult(6, 8, "Symptom", 0.5, "多尿")]
    gaz = [SpanResult(2, 5, "Disease", 0.8, "糖尿病"), SpanResult(6, 8, "Symptom", 0.8, "多尿")]
    merged = merge_ner_spans([("tagger@1", tagger), ("gaz@1", gaz)])
    # the tagger's longer, higher-scoring span wins the overlap; the identical 多尿 goes to the higher score
    assert [(x, s.start, s.end) for x, s in merged] == [("tagger@1", 0, 5), ("gaz@1", 6, 8)]
    # equal scores: the longer span wins, then the earlier plugin
    longer = [SpanResult(0, 5, "Disease", 0.8, text[0:5]), SpanResult(6, 8, "Symptom", 0.8, "多尿")]
    tie = merge_ner_spans([("a@1", [SpanResult(2, 5, "Disease", 0.8, text[2:5])]), ("b@1", longer)])
    assert [(x, s.start) for x, s in tie] == [("b@1", 0), ("b@1", 6)]
    twin = [SpanResult(6, 8, "Symptom", 0.8, "多尿")]
    same = merge_ner_spans([("a@1", twin), ("b@1", twin)])
    assert [x for x, _ in same] == ["a@1"]
    assert merge_ner_spans([]) == []


def test_overlap_rule_keeps_one_plugins_nested_spans_only() -> None:
    """左下腹 inside 左下腹压痛 from one span head: two mentions; nesting across plugins or crossing: one."""
    text = "左下腹压痛明显"
    symptom, body = SpanResult(0, 5, "Symptom", 0.9, text[0:5]), SpanResult(0, 3, "Anatomy", 0.8, text[0:3])
    crossing = SpanResult(3, 7, "Symptom", 0.6, text[3:7])
    merged = merge_ner_spans([("tagger@2", [symptom, body, crossing])])
    assert [(s.start, s.end, s.type) for _, s in merged] == [(0, 3, "Anatomy"), (0, 5, "Symptom")]
    across = merge_ner_spans([("tagger@2", [symptom]), ("gaz@1", [SpanResult(0, 3, "Anatomy", 0.95, text[0:3])])])
    assert [(x, s.end) for x, s in across] == [("gaz@1", 3)]
    retyped = merge_ner_spans([("tagger@2", [symptom, SpanResult(0, 5, "Disease", 0.7, text[0:5])])])
    assert [s.type for _, s in retyped] == ["Symptom"]


def test_gazetteer_ner_maps_labels_and_tells_imaging_from_lab_tests() -> None:
    ctx = PluginContext.from_concepts(CONCEPTS)
    text = "😀消渴病史，查血常规及头颅CT，予二甲双胍，多吃苹果"
    result = GazetteerNER(GazetteerNERConfig(), ctx).extract([ExtractionRecord("r", text)])[0]
    found = {(s.text, s.type) for s in result.spans}
    assert found == {("消渴", "Disease"), ("血常规", "LabTest"), ("头颅CT", "ImagingExam"), ("二甲双胍", "Drug")}
    for s in result.spans:  # offsets are exact, past a character outside the BMP
        assert text[s.start:s.end] == s.text and s.score == 0.8
    assert result.spans[0].start == text.index("消渴") == 1
    only_drugs = GazetteerNER(GazetteerNERConfig(type_map={"Drug": "Drug"}), ctx).extract([ExtractionRecord("r", text)])
    assert [s.type for s in only_drugs[0].spans] == ["Drug"]


def test_linker_plugin_links_and_proposes_candidates_for_nil() -> None:
    ctx = PluginContext.from_concepts(CONCEPTS)
    text = "糖尿病，左肾囊肿"
    rec = ExtractionRecord("r", text, spans=(span(text, "糖尿病", "Disease"), span(text, "左肾", "Anatomy"),
                                             span(text, "囊肿", "Gene")))
    links = KGLinker(KGLinkerConfig(), ctx).extract([rec])[0].links
    assert links[0] == LinkResultItem((0, 3, "Disease"), "Disease:糖尿病", "Disease", "糖尿病", 1.0, "exact")
    assert links[1].nil and links[1].concept_id == "candidate:Anatomy:左肾" and links[1].concept_type == "Anatomy"
    assert len(links) == 2  # a type the linker does not know stays unlinked
    no_nil = KGLinker(KGLinkerConfig(link_nil=False), ctx).extract([rec])[0].links
    assert [link.concept_id for link in no_nil] == ["Disease:糖尿病"]


def test_cooccurrence_signature_distance_and_cues() -> None:
    text = "诊断糖尿病，予二甲双胍口服。血常规正常。" + "无" * 70 + "头颅CT未见异常。"
    spans = (span(text, "糖尿病", "Disease"), span(text, "二甲双胍", "Drug"), span(text, "血常规", "LabTest"),
             span(text, "头颅CT", "ImagingExam"))
    rels = CooccurrenceRelations(CooccurrenceConfig()).extract([ExtractionRecord("r", text, spans)])[0].relations
    got = {(r.predicate, r.object, r.score) for r in rels}
    assert ("药物治疗", spans[1].key, 1.0) in got  # same sentence + cue 予
    assert ("实验室检查", spans[2].key, 0.3) in got  # next sentence, no cue between
    assert all(r.object != spans[3].key for r in rels)  # beyond max_distance
    assert all(r.subject == spans[0].key for r in rels)  # the signature fixes the direction
    tight = CooccurrenceRelations(CooccurrenceConfig(max_sentence_gap=0)).extract([ExtractionRecord("r", text, spans)])
    assert {r.predicate for r in tight[0].relations} == {"药物治疗"}


def test_validate_result_rejects_protocol_breaks() -> None:
    rec = ExtractionRecord("r", "胃癌术后")
    ok = RecordResult("r", (SpanResult(0, 2, "Disease", 0.9, "胃癌"),))
    assert validate_result(rec, ok, "ner") is ok
    cases = [
        (RecordResult("other"), "ner", "returned the result of 'other'"),
        ("spans", "ner", "expected a RecordResult"),
        (RecordResult("r", (SpanResult(2, 9, "Disease", 0.9, "术后"),)), "ner", "offsets outside the text"),
        (RecordResult("r", (SpanResult(0, 2, "Disease", 0.9, "术后"),)), "ner", "is not the record's text"),
        (RecordResult("r", (SpanResult(0, 2, "Disease", 1.5, "胃癌"),)), "ner", "score must be a number in 0..1"),
        (RecordResult("r", (SpanResult(0, 2, "Disease", 0.9, "胃癌"),)), "link", "a link plugin returned spans"),
        (RecordResult("r", links=(LinkResultItem((0, 2, "Disease"), "x", "Disease", "x", 1.0, "exact"),)), "link",
         "unknown span"),
        (RecordResult("r", relations=(RelationResult((0, 2, "Disease"), (2, 4, "X"), "p", 0.5),)), "relation",
         "unknown span"),
    ]
    for result, kind, message in cases:
        with pytest.raises(PluginOutputError, match=message):
            validate_result(rec, result, kind)


def test_gazetteer_reports_the_merged_kg_labels_when_its_type_map_names_them() -> None:
    """The config docs/kg-loading.md gives for a graph with CMeKG: anatomy, operations, lab tests, imaging kept."""
    concepts = [ConceptRecord("Anatomy:左肺", "Anatomy", "左肺"), ConceptRecord("Operation:胃癌根治术", "Operation",
                                                                           "胃癌根治术"),
                ConceptRecord("LabTest:血常规", "LabTest", "血常规"), ConceptRecord("Disease:胃癌", "Disease", "胃癌")]
    text = "左肺见结节，行胃癌根治术，复查血常规。"
    default = GazetteerNER(GazetteerNERConfig(), PluginContext.from_concepts(concepts))
    assert {s.type for s in default.extract([ExtractionRecord("r", text)])[0].spans} == set()  # not in its map
    merged_map = {"Disease": "Disease", "Symptom": "Symptom", "Drug": "Drug", "Check": "LabTest",
                  "LabTest": "LabTest", "ImagingExam": "ImagingExam", "Anatomy": "Anatomy", "Operation": "Operation"}
    plugin = GazetteerNER(GazetteerNERConfig(type_map=merged_map), PluginContext.from_concepts(concepts))
    found = {(text[s.start:s.end], s.type) for s in plugin.extract([ExtractionRecord("r", text)])[0].spans}
    assert found == {("左肺", "Anatomy"), ("胃癌根治术", "Operation"), ("血常规", "LabTest")}
