"""The ``assertion`` plugin kind: ``context-assertion``, its protocol checks, the relations' evidence rule."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from extractor.assertion.rules import DEFAULT_RULES, RuleError, load_rules
from extractor.assertion.schema import Assertion
from extractor.plugin import (
    KIND_ORDER,
    AssertionResult,
    ExtractionRecord,
    PluginOutputError,
    RecordResult,
    SpanResult,
    validate_result,
)
from extractor.plugins.assertion import ContextAssertion, ContextAssertionConfig
from extractor.plugins.cooccurrence import CooccurrenceRelations
from extractor.plugins.evidence import relation_polarity, relation_temporality
from extractor.plugins.registry import find_spec, load_class

EXAMPLE = "患者否认高血压、糖尿病病史。无发热、咳嗽、咳痰，无胸痛。诊断：脑梗死。予阿司匹林口服。"
TYPES = {"高血压": "Disease", "糖尿病": "Disease", "发热": "Symptom", "咳嗽": "Symptom", "咳痰": "Symptom",
         "胸痛": "Symptom", "脑梗死": "Disease", "阿司匹林": "Drug", "头痛": "Symptom"}


def spans_of(text: str, names: list[str] | None = None) -> tuple[SpanResult, ...]:
    out = []
    for name in names or [n for n in TYPES if n in text]:
        at = text.index(name)
        out.append(SpanResult(at, at + len(name), TYPES[name], 0.8, name))
    return tuple(sorted(out, key=lambda s: s.start))


def asserted(text: str, names: list[str] | None = None) -> ExtractionRecord:
    """A record with its spans and the assertions ``context-assertion`` gives them."""
    record = ExtractionRecord("r", text, spans_of(text, names))
    result = ContextAssertion().extract([record])[0]
    return dataclasses.replace(record, assertions={a.span: a.assertion for a in result.assertions})


def test_context_assertion_is_a_builtin_run_after_ner_and_before_links() -> None:
    spec = find_spec("context-assertion")
    assert (spec.id, spec.kind) == ("context-assertion@1", "assertion")
    assert load_class(spec.id, spec.entry_point) is ContextAssertion
    assert KIND_ORDER.index("ner") < KIND_ORDER.index("assertion") < KIND_ORDER.index("link")


def test_context_assertion_asserts_every_span_of_the_issue_example() -> None:
    record = asserted(EXAMPLE)
    result = validate_result(record, ContextAssertion().extract([record])[0], "assertion",
                             frozenset(s.key for s in record.spans))
    by_text = {EXAMPLE[a.span[0]:a.span[1]]: a.assertion for a in result.assertions}
    assert len(by_text) == len(TYPES) - 1
    for name in ("高血压", "糖尿病", "发热", "咳嗽", "咳痰", "胸痛"):
        assert by_text[name].certainty == "negated" and not by_text[name].is_evidence, name
    assert by_text["高血压"].cue == "否认" and by_text["高血压"].cue_spans == ((2, 4),)
    assert by_text["发热"].cue == "无" and EXAMPLE[slice(*by_text["发热"].cue_spans[0])] == "无"
    assert by_text["脑梗死"].is_evidence and by_text["阿司匹林"].is_evidence
    family = asserted("其父患高血压。").assertions[(3, 6, "Disease")]
    assert (family.experiencer, family.is_evidence) == ("family", False)


def test_artifact_is_the_rule_file_checksum_and_a_bad_file_names_its_line(tmp_path: Path) -> None:
    assert ContextAssertion.artifact_sha256(ContextAssertionConfig()) == load_rules(DEFAULT_RULES).sha256
    good = tmp_path / "mine.tsv"
    good.write_text("neg-mei\tnegated\tforward\t0\t没\tmine\n", encoding="utf-8")
    config = ContextAssertionConfig(rules=str(good))
    assert ContextAssertion.artifact_sha256(config) == load_rules(good).sha256 != load_rules().sha256
    assert ContextAssertion(config).extract([ExtractionRecord("r", "没发热", spans_of("没发热", ["发热"]))])[0] \
        .assertions[0].assertion.certainty == "negated"
    bad = tmp_path / "bad.tsv"
    bad.write_text("# mine\nneg-mei\tnegated\tforward\t0\t没\n\nx-1\tmaybe\tforward\t0\t或许\n", encoding="utf-8")
    with pytest.raises(RuleError, match=rf"^{bad}:4 category: unknown category 'maybe'"):
        ContextAssertion.artifact_sha256(ContextAssertionConfig(rules=str(bad)))


def test_validate_result_checks_assertions() -> None:
    record = ExtractionRecord("r", "无发热", spans_of("无发热", ["发热"]))
    known = frozenset(s.key for s in record.spans)
    ok = RecordResult("r", assertions=(AssertionResult((1, 3, "Symptom"), Assertion("negated", cue="无",
                                                                                      cue_spans=((0, 1),))),))
    assert validate_result(record, ok, "assertion", known) is ok
    for result, kind, message in (
        (ok, "ner", "unexpected assertion output from a ner plugin"),
        (RecordResult("r", assertions=(AssertionResult((0, 3, "Symptom"), Assertion()),)), "assertion",
         "assertion of an unknown span"),
        (RecordResult("r", assertions=ok.assertions * 2), "assertion", "two assertions of the span"),
        (RecordResult("r", assertions=(AssertionResult((1, 3, "Symptom"), Assertion("denied")),)),  # type: ignore[arg-type]
         "assertion", "certainty 'denied' is not one of affirmed, negated, possible"),
        (RecordResult("r", assertions=(AssertionResult((1, 3, "Symptom"), Assertion(cue_spans=((2, 9),))),)),
         "assertion", "cue offsets 2-9 outside the text"),
    ):
        with pytest.raises(PluginOutputError, match=message):
            validate_result(record, result, kind, known)


def test_evidence_rule_for_relations() -> None:
    negated, family = Assertion(certainty="negated"), Assertion(experiencer="family")
    assert relation_polarity(Assertion(), Assertion()) == relation_polarity(None, None) == "positive"
    assert relation_polarity(Assertion(), negated) == "negative"  # a pertinent negative
    assert relation_polarity(negated, Assertion()) is None  # a denied disease has no findings
    assert relation_polarity(negated, negated) is None
    assert relation_polarity(Assertion(), family) is None
    assert relation_polarity(Assertion(), Assertion(temporality="hypothetical")) is None
    assert relation_polarity(Assertion(), Assertion(certainty="negated", temporality="hypothetical")) is None
    assert relation_polarity(Assertion(certainty="possible"), Assertion()) is None
    assert relation_polarity(Assertion(temporality="historical"), Assertion()) == "positive"
    assert relation_temporality(Assertion(temporality="historical"), Assertion()) == "historical"
    assert relation_temporality(None, Assertion()) == "current"


def test_cooccurrence_takes_only_mentions_asserted_of_the_patient() -> None:
    plugin = CooccurrenceRelations()

    def found(record: ExtractionRecord) -> set[tuple[str, str, str]]:
        text = record.text
        return {(text[r.subject[0]:r.subject[1]], r.predicate, text[r.object[0]:r.object[1]])
                for r in plugin.extract([record])[0].relations}

    example = found(asserted(EXAMPLE))
    # the negated findings stay as pertinent negatives of the affirmed disease (the graph marks them negative);
    # the denied diseases take part in nothing
    assert example == {("脑梗死", "临床表现", s) for s in ("发热", "咳嗽", "咳痰", "胸痛")} | {
        ("脑梗死", "药物治疗", "阿司匹林")}
    # without assertions (no assertion plugin) every pair counts, as before
    plain = found(ExtractionRecord("r", EXAMPLE, spans_of(EXAMPLE)))
    assert ("高血压", "临床表现", "发热") in plain and ("糖尿病", "临床表现", "发热") in plain
    family = "其父患高血压，伴头痛。"
    assert found(ExtractionRecord("r", family, spans_of(family))) == {("高血压", "临床表现", "头痛")}
    record = asserted(family)
    assert {a.experiencer for a in record.assertions.values()} == {"family"}
    assert found(record) == set()
