"""Chinese ConText (extractor/assertion): rules, scopes, pseudo-triggers, sections, bad input, the evaluation set."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from extractor.assertion.context import ContextEngine, fold
from extractor.assertion.evalset import AnnotationError, load_annotations, parse_row
from extractor.assertion.evaluate import NegExBaseline, all_default, evaluate_method
from extractor.assertion.rules import DEFAULT_RULES, RuleError, load_rules, parse_rules
from extractor.assertion.schema import Assertion

ENGINE = ContextEngine()


def one(text: str, mention: str, nth: int = 0) -> Assertion:
    """The engine's assertion of the ``nth`` occurrence of ``mention`` in ``text`` (all occurrences are mentions)."""
    spans, at = [], -1
    while (at := text.find(mention, at + 1)) >= 0:
        spans.append((at, at + len(mention)))
    assert spans, mention
    return ENGINE.assert_spans(text, spans)[nth]


@pytest.mark.parametrize(("text", "mention", "certainty"), [
    ("患者否认糖尿病病史。", "糖尿病", "negated"),
    ("无发热、咳嗽、咳痰。", "咳痰", "negated"),  # a list joined by 、
    ("无咳嗽咳痰，伴腹痛。", "咳痰", "negated"),  # an unpunctuated run
    ("心肺听诊未闻及干湿啰音。", "干湿啰音", "negated"),
    ("腹部未触及包块。", "包块", "negated"),
    ("不伴恶心呕吐。", "呕吐", "negated"),
    ("乙肝表面抗原（-）。", "乙肝表面抗原", "negated"),
    ("乙肝表面抗原(－)。", "乙肝表面抗原", "negated"),  # full-width minus folded
    ("结核菌素试验阴性。", "结核菌素试验", "negated"),
    ("无发热，咳嗽等不适。", "咳嗽", "negated"),  # a bare list clause after a comma
    ("无发热，咳嗽3天。", "咳嗽", "affirmed"),  # not a bare list: a new statement
    ("无发热，但有咳嗽。", "咳嗽", "affirmed"),  # a contrast word ends the scope
    ("无发热。咳嗽。", "咳嗽", "affirmed"),  # a sentence end ends the scope
    ("无明显诱因出现胸痛。", "胸痛", "affirmed"),  # pseudo-negation
    ("胸痛无明显缓解。", "胸痛", "affirmed"),
    ("胸闷较前无明显加重。", "胸闷", "affirmed"),
    ("未予重视，后出现腹胀。", "腹胀", "affirmed"),
    ("除头晕外无其他不适。", "头晕", "affirmed"),
    ("患者肢体无力。", "肢体无力", "affirmed"),  # the 无 is inside the mention
    ("考虑肺炎。", "肺炎", "possible"),
    ("不能除外结核。", "结核", "possible"),
    ("不排除糖尿病。", "糖尿病", "possible"),
    ("腹痛待查。", "腹痛", "possible"),
    ("肠梗阻？", "肠梗阻", "possible"),
    ("胆囊炎可能。", "胆囊炎", "possible"),
    ("诊断：脑梗死。", "脑梗死", "affirmed"),
])
def test_certainty(text, mention, certainty):
    assert one(text, mention).certainty == certainty


def test_a_bare_list_clause_of_several_mentions_inherits_the_negation():
    text = "无发热，咳嗽、咳痰。伴腹痛，呕吐。"
    found = ENGINE.assert_spans(text, [(1, 3), (4, 6), (7, 9), (11, 13), (14, 16)])
    assert [a.certainty for a in found] == ["negated", "negated", "negated", "affirmed", "affirmed"]


@pytest.mark.parametrize(("text", "mention", "temporality", "experiencer"), [
    ("既往高血压病史10年。", "高血压", "historical", "patient"),
    ("否认高血压及糖尿病史。", "糖尿病", "historical", "patient"),
    ("曾患肺结核。", "肺结核", "historical", "patient"),
    ("如出现发热及时就诊。", "发热", "hypothetical", "patient"),
    ("出院后警惕出血。", "出血", "hypothetical", "patient"),
    ("其父患高血压。", "高血压", "current", "family"),
    ("母亲有糖尿病。", "糖尿病", "current", "family"),
    ("家族史：糖尿病。", "糖尿病", "current", "family"),
    ("既往史：冠心病。", "冠心病", "historical", "patient"),
    ("由家人发现右股内侧红肿。", "红肿", "current", "patient"),  # the relative observes
    ("其同事有发热。", "发热", "current", "other"),
])
def test_temporality_and_experiencer(text, mention, temporality, experiencer):
    found = one(text, mention)
    assert (found.temporality, found.experiencer) == (temporality, experiencer)


def test_cue_offsets_and_section_are_reported():
    text = "现病史：患者否认发热。"
    found = one(text, "发热")
    assert found.cue == "否认" and [text[s:e] for s, e in found.cue_spans] == ["否认"] and found.section == "现病史"
    assert not found.is_evidence and one("伴发热。", "发热").is_evidence


def test_edges_nesting_and_odd_text():
    assert one("发热", "发热").certainty == "affirmed"  # offset 0 and the text's end
    assert one("无发热", "发热").certainty == "negated"
    assert one("否认无发热", "发热").certainty == "negated"  # nested: the nearest trigger wins
    assert one("患者无咳嗽咳痰伴腹痛胸痛", "胸痛").certainty == "negated"  # no punctuation at all
    assert one("患者無發熱。", "發熱").certainty in ("negated", "affirmed")  # traditional: no crash
    assert ENGINE.assert_spans("体温３８℃，无发热。", [(2, 5), (8, 10)])[1].certainty == "negated"
    assert ENGINE.assert_spans("", []) == []
    assert fold("（－）１２") == "(-)12"


def test_a_long_record_is_fast():
    text = "患者无发热，伴腹痛，考虑胃炎。" * 7000  # ~100,000 characters
    spans = [(i * 15 + 3, i * 15 + 5) for i in range(7000)]
    started = time.perf_counter()
    found = ENGINE.assert_spans(text, spans)
    assert time.perf_counter() - started < 20
    assert {a.certainty for a in found} == {"negated"} and len(found) == 7000


@pytest.mark.parametrize(("line", "error"), [
    ("x-1\tnegative\tforward\t0\t无\t", "rules:1 category: unknown category 'negative'"),
    ("x-1\tnegated\tsideways\t0\t无\t", "rules:1 direction: unknown direction 'sideways'"),
    ("x-1\tnegated\tforward\t0\t\t", "rules:1 pattern: the trigger is empty"),
    ("x-1\tnegated\tforward\t0\t(无\t", "rules:1 pattern: invalid regular expression"),
    ("x-1\tnegated\tforward\tfar\t无\t", "rules:1 scope: 'far' is not a whole number"),
    ("x-1\tpseudo\tforward\t0\t无\t", "rules:1 direction: a pseudo rule has no direction"),
    ("X 1\tnegated\tforward\t0\t无\t", "rules:1 id: 'X 1' is not a rule id"),
    ("x-1\tnegated\tforward\t0\t无\t\nx-1\tnegated\tforward\t0\t未\t", "rules:2 id: rule 'x-1' is also on line 1"),
    ("x-1\tnegated\tforward\t0\ta?\t", "rules:1 pattern: 'a?' matches the empty string"),
    ("x-1\tnegated", "rules:1: expected the tab-separated fields"),
])
def test_bad_rule_files_name_file_line_and_field(line, error):
    with pytest.raises(RuleError, match=error.replace("(", "\\(").replace("?", "\\?")):
        parse_rules(line, "rules")


def test_the_shipped_rules_and_a_broken_copy(tmp_path: Path):
    rules = load_rules()
    assert rules.version == "zh_context_v1" and len(rules.sha256) == 64
    broken = tmp_path / "mine.tsv"
    broken.write_bytes(b"x-1\tnegated\tforward\t0\t\xb2\xe2\t\n")
    with pytest.raises(RuleError, match="mine.tsv:\\?: not UTF-8"):
        load_rules(broken)
    # without the 无 trigger, 无发热 is affirmed: the tests above depend on the rules, not on luck
    text = DEFAULT_RULES.read_text(encoding="utf-8").replace("neg-wu\tnegated\tforward\t0\t无\t", "neg-wu\tnegated\t"
                                                             "forward\t0\t无无无无\t")
    assert ContextEngine(parse_rules(text, "no-wu")).assert_spans("无发热。", [(1, 3)])[0].certainty == "affirmed"


def test_annotation_rows_are_checked():
    with pytest.raises(AnnotationError, match="a.tsv:3 certainty: 'absent' is not one of"):
        parse_row(["ccks2019:1", "0", "2", "Symptom", "gold", "absent", "current", "patient", "test", ""], "a.tsv", 3)
    with pytest.raises(AnnotationError, match="a.tsv:4 start/end: need 0 <= start < end"):
        parse_row(["ccks2019:1", "5", "2", "Symptom", "gold", "negated", "current", "patient", "test", ""], "a.tsv", 4)


def test_the_shipped_annotation_set_is_well_formed():
    rows = load_annotations()
    assert len(rows) >= 1500
    assert {r.split for r in rows} == {"train", "test"}
    assert len({r.doc for r in rows if r.split == "train"} & {r.doc for r in rows if r.split == "test"}) == 0


def test_baselines_and_engine_on_a_small_set_of_our_own():
    text = "患者无发热，伴咳嗽。考虑肺炎。其母患糖尿病。"
    spans = [(3, 5), (7, 9), (12, 14), (18, 21)]

    class Row:
        def __init__(self, span, assertion):
            self.start, self.end, self.assertion = span[0], span[1], assertion

    gold = [Assertion("negated"), Assertion(), Assertion("possible"), Assertion(experiencer="family")]
    items = [(Row(s, g), text) for s, g in zip(spans, gold, strict=True)]
    assert evaluate_method(ENGINE, items)["macro_f1"] == 1.0
    assert evaluate_method(all_default, items)["scores"]["certainty"]["negated"]["f1"] == 0.0
    assert evaluate_method(NegExBaseline(), items)["scores"]["certainty"]["negated"]["recall"] == 1.0
