from __future__ import annotations

import random

import pytest

from linker import Linker, LinkerConfig
from linker.calibrate import calibrate
from linker.evalset import EvalExample, EvalSetConfig, build_evalset
from linker.evaluate import evaluate
from linker.perturb import HOMOPHONES, KINDS, NEAR_FORMS, perturb
from linker.sources import CcksEntity, CcksRecord

SMALL = EvalSetConfig(
    seed=7,
    per_label={"Disease": 12, "Symptom": 4, "Drug": 5, "Check": 5},
    heldout_fraction=0.2,
    max_ccks_nil=3,
)


def ccks_records() -> list[CcksRecord]:
    text = "患者胰腺炎术后，左肺见结节，行胃癌根治术，口服卡培他滨片，查CEA升高。"
    spans = [("胰腺炎术后", "疾病和诊断"), ("左肺", "解剖部位"), ("胃癌根治术", "手术"),
             ("卡培他滨片", "药物"), ("CEA", "实验室检验"), ("结节", "疾病和诊断")]
    ents = []
    for span, label in spans:
        start = text.index(span)
        ents.append(CcksEntity(start, start + len(span), label, span))
    return [CcksRecord(text, tuple(ents))]


def test_same_seed_same_set_regardless_of_input_order(records) -> None:
    a = build_evalset(records, ccks_records(), SMALL)
    shuffled = list(records)
    random.Random(3).shuffle(shuffled)
    b = build_evalset(shuffled, ccks_records(), SMALL)
    assert a.examples == b.examples
    assert a.heldout_ids == b.heldout_ids
    assert [r.id for r in a.index_records] == [r.id for r in b.index_records]


def test_different_seed_different_set(records) -> None:
    a = build_evalset(records, (), SMALL)
    b = build_evalset(records, (), SMALL.model_copy(update={"seed": 8}))
    assert a.examples != b.examples


def test_contents_sources_and_splits(records) -> None:
    evalset = build_evalset(records, ccks_records(), SMALL)
    sources = {e.source for e in evalset.examples}
    assert sources == {"kg_perturbed", "kg_nil", "ccks", "ccks_nil"}
    held = set(evalset.heldout_ids)
    assert held and not held & {r.id for r in evalset.index_records}
    for ex in evalset.examples:
        assert ex.split in ("dev", "test")
        if ex.source == "kg_perturbed":
            assert ex.gold_ids and ex.kind in KINDS and not set(ex.gold_ids) & held
        if ex.source in ("kg_nil", "ccks_nil"):
            assert ex.is_nil
    ccks = {(e.mention, e.gold_ids) for e in evalset.examples if e.source == "ccks"}
    assert ("胰腺炎术后", ("Disease:胰腺炎",)) in ccks or "Disease:胰腺炎" in held
    assert all(m != "结节" for m, _ in ccks)  # no KG match: not an example
    assert {e.mention for e in evalset.examples if e.source == "ccks_nil"} <= {"左肺", "胃癌根治术"}
    assert sum(evalset.counts().values()) == len(evalset.examples)
    assert len(evalset.split("dev")) + len(evalset.split("test")) == len(evalset.examples)


def test_nil_examples_have_no_lookup_match(records) -> None:
    evalset = build_evalset(records, (), SMALL)
    lookups = LinkerConfig(steps=("exact", "alias", "normalized"), nil_threshold=0)
    probe = Linker(evalset.index_records, lookups)
    for ex in evalset.examples:
        if ex.source == "kg_nil":
            assert probe.link(ex.mention, ex.type).best is None


def test_perturbations() -> None:
    rng = random.Random(0)
    assert perturb("胰腺炎", "homophone", rng, "Disease") is None  # swaps need four characters
    swapped = perturb("慢性胰腺炎", "homophone", rng, "Disease")
    assert swapped and len(swapped) == 5 and swapped != "慢性胰腺炎"
    assert perturb("冠状动脉粥样硬化性心脏病", "abbreviation", random.Random(1), "Disease")
    assert perturb("胃溃疡", "traditional", rng, "Disease") == "胃潰瘍"
    assert perturb("CT检查", "surface", rng, "Check") == "ｃｔ检查"
    assert perturb("胃炎", "modifier", rng, "Food") is None
    assert perturb("胃炎", "double", rng, "Disease") in {"胃胃炎", "胃炎炎"}
    assert all(len(k) == 1 and v for k, v in {**HOMOPHONES, **NEAR_FORMS}.items())
    with pytest.raises(ValueError, match="unknown perturbation"):
        perturb("胃炎", "nope", rng, "Disease")


def test_calibrate_and_evaluate(records) -> None:
    evalset = build_evalset(records, ccks_records(), SMALL)
    linker = Linker(evalset.index_records)
    cal = calibrate(linker, evalset.examples, grid=[0.5, 0.6, 0.7, 0.8, 0.9])
    assert cal.nil_threshold in (0.5, 0.6, 0.7, 0.8, 0.9)
    assert cal.dev_accuracy == max(p.accuracy for p in cal.points)
    tuned = cal.apply(linker)
    assert tuned.config.nil_threshold == cal.nil_threshold and tuned.index is linker.index
    report = evaluate(tuned, evalset.examples)
    assert report.overall.n == len(evalset.examples)
    assert set(report.by_source) == {"kg_perturbed", "kg_nil", "ccks", "ccks_nil"}
    assert report.by_source["ccks_nil"].nil_recall == 1.0
    assert 0.0 <= report.overall.accuracy <= 1.0
    assert report.to_dict()["overall"]["n"] == len(evalset.examples)
    with pytest.raises(ValueError):
        calibrate(linker, [])


def test_evaluate_definitions(linker: Linker) -> None:
    examples = [
        EvalExample("胰腺炎", "Disease", ("Disease:胰腺炎",), "kg_perturbed", "x", "test"),
        EvalExample("糖尿并", "Disease", ("Disease:糖尿病",), "kg_perturbed", "x", "test"),  # NIL, in top k
        EvalExample("胃", "Anatomy", (), "ccks_nil", "x", "test"),
        EvalExample("胰腺", "Disease", (), "kg_nil", "x", "test"),
    ]
    m = evaluate(linker, examples).overall
    assert (m.n, m.n_linkable, m.n_nil) == (4, 2, 2)
    assert m.acc1 == 0.5 and m.acck == 1.0
    # answered NIL: 糖尿并 (wrongly: its gold is 糖尿病) and 胃 (rightly); 胰腺 links to 胰腺炎 (fuzzy, 0.82)
    assert linker.link("糖尿并", "Disease").is_nil and not linker.link("胰腺", "Disease").is_nil
    assert m.nil_precision == pytest.approx(1 / 2)
    assert m.nil_recall == pytest.approx(1 / 2)  # of the two gold NIL mentions only 胃 was answered NIL
