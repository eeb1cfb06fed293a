from __future__ import annotations

import random

import pytest

from linker import ConceptIndex, ConceptRecord, IndexConfig, Linker, LinkerConfig
from linker.steps import get_step, register_step, step_names
from linker.steps.base import LinkStep, merge_candidates


def test_exact_step_decides(linker: Linker) -> None:
    res = linker.link("胰腺炎", type="疾病和诊断")
    assert res.best is not None
    assert (res.best.concept_id, res.best.score, res.method) == ("Disease:胰腺炎", 1.0, "exact")
    assert not res.is_nil and res.nil_candidate_id is None


def test_exact_on_record_alias(linker: Linker) -> None:
    assert linker.link("发烧", type="Symptom").best.concept_id == "Symptom:发热"


def test_exact_prefers_primary_label_over_fallback(linker: Linker) -> None:
    res = linker.link("高血压", type="Disease", k=5)
    assert res.best.concept_id == "Disease:高血压"
    fallback = next(c for c in res.candidates if c.concept_id == "Symptom:高血压")
    assert fallback.score == pytest.approx(1.0 - 0.03)


def test_alias_step_decides_curated_trade_name_and_abbreviation(linker: Linker) -> None:
    res = linker.link("爱若华", type="药物")
    assert (res.best.concept_id, res.method) == ("Drug:来氟米特片", "alias")
    assert linker.link("冠心病", type="Disease").best.concept_id == "Disease:冠状动脉粥样硬化性心脏病"
    assert linker.link("乙肝", type="Disease").best.concept_id == "Disease:乙型病毒性肝炎"
    assert linker.link("CT", type="ImagingExam").best.concept_id == "Check:CT检查"


def test_alias_step_uses_normalised_record_aliases(linker: Linker) -> None:
    res = linker.link("消渴症 ", type="Disease")  # trailing space defeats the raw match
    assert res.best.concept_id == "Disease:糖尿病"
    res = linker.link("消 渴 症", type="Disease")
    assert (res.best.concept_id, res.method) == ("Disease:糖尿病", "alias")


def test_normalized_step_decides(linker: Linker) -> None:
    res = linker.link("Ⅱ型 糖尿病", type="Disease")
    assert (res.best.concept_id, res.method) == ("Disease:II型糖尿病", "normalized")
    assert res.best.score == pytest.approx(0.98)
    assert linker.link("乾燥綜合徵", type="Disease").best.concept_id == "Disease:干燥综合征"


def test_normalized_on_derived_keys(linker: Linker) -> None:
    res = linker.link("吉西他滨", type="Drug")
    assert (res.best.concept_id, res.method) == ("Drug:注射用盐酸吉西他滨", "normalized")
    assert res.best.score == pytest.approx(0.95)
    assert linker.link("CEA", type="LabTest").best.concept_id == "Check:癌胚抗原（CEA）"


def test_modifier_variant_only_when_qualified_name_is_missing(linker: Linker) -> None:
    # The KG has 急性胰腺炎: it matches as written.
    assert linker.link("急性胰腺炎", type="Disease").best.concept_id == "Disease:急性胰腺炎"
    # The KG lacks 急性胃炎: the acuity rule falls back to 胃炎, one variant penalty lower.
    res = linker.link("急性胃炎", type="Disease")
    assert (res.best.concept_id, res.method) == ("Disease:胃炎", "normalized")
    assert res.best.score == pytest.approx(0.98 - 0.04)
    assert linker.link("左侧直肠癌术后", type="Disease").best.concept_id == "Disease:直肠癌"


def test_fuzzy_step_decides(linker: Linker) -> None:
    res = linker.link("冠状动脉粥样硬化性心脏并", type="Disease")
    assert (res.best.concept_id, res.method) == ("Disease:冠状动脉粥样硬化性心脏病", "fuzzy")
    assert 0.79 <= res.best.score < 0.95


def test_nil_below_threshold_keeps_candidates(linker: Linker) -> None:
    res = linker.link("糖尿并", type="Disease")
    assert res.is_nil and res.best is None and res.method == "nil"
    assert res.nil_candidate_id == "candidate:Disease:糖尿并"
    assert res.candidates and res.candidates[0].concept_id == "Disease:糖尿病"
    assert linker.with_config(nil_threshold=0.5).link("糖尿并", type="Disease").best is not None


def test_anatomy_and_operation_are_nil_without_such_concepts(linker: Linker) -> None:
    for text, type_name in [("胃", "解剖部位"), ("胃癌根治术", "Operation"), ("胰腺炎", "Anatomy")]:
        res = linker.link(text, type=type_name)
        assert res.is_nil and res.candidates == []
    assert linker.link("左肺", type="解剖部位").nil_candidate_id == "candidate:Anatomy:左肺"


def test_the_new_labels_link_when_the_kg_has_them() -> None:
    """With CMeKG's labels in the index, anatomy and operations link, and lab tests prefer LabTest to Check."""
    from linker import ConceptIndex, ConceptRecord

    index = ConceptIndex.build([ConceptRecord("Anatomy:左肺", "Anatomy", "左肺", ("左侧肺",)),
                          ConceptRecord("Operation:胃癌根治术", "Operation", "胃癌根治术"),
                          ConceptRecord("LabTest:血常规", "LabTest", "血常规"),
                          ConceptRecord("Check:血常规", "Check", "血常规"),
                          ConceptRecord("Check:胸部CT", "Check", "胸部CT"),
                          ConceptRecord("Disease:胃癌", "Disease", "胃癌")])
    linker = Linker(index)
    assert linker.link("左侧肺", type="解剖部位").best.concept_id == "Anatomy:左肺"
    assert linker.link("胃癌根治术", type="手术").best.concept_id == "Operation:胃癌根治术"
    assert linker.link("胃癌", type="Anatomy").is_nil  # a disease is not an anatomical site
    blood = linker.link("血常规", type="LabTest")
    assert {c.concept_id for c in blood.candidates} == {"LabTest:血常规", "Check:血常规"} and not blood.is_nil
    assert linker.link("胸部CT", type="ImagingExam").best.concept_id == "Check:胸部CT"  # Check still serves


def test_type_none_searches_all_labels(linker: Linker) -> None:
    assert linker.link("小米粥").best.concept_id == "Food:小米粥"
    assert linker.link("不存在的东西").nil_candidate_id == "candidate:Unknown:不存在的东西"


def test_type_restricts_labels(linker: Linker) -> None:
    assert linker.link("小米粥", type="Disease").best is None


def test_results_carry_at_most_k_sorted_candidates(linker: Linker) -> None:
    res = linker.link("胃炎症", type="Disease", k=2)
    assert len(res.candidates) == 2  # the fixture has more than two diseases close to 胃炎症: k cuts the list
    assert len(linker.link("胃炎症", type="Disease", k=5).candidates) > 2
    assert [c.score for c in res.candidates] == sorted((c.score for c in res.candidates), reverse=True)
    assert all(0.0 <= c.score <= 1.0 for c in res.candidates)


def test_steps_switch_on_and_off(index: ConceptIndex) -> None:
    # Aliases are fuzzy keys too, so without the alias step the trade name is found by fuzzy...
    no_alias = Linker(index, LinkerConfig(steps=("exact", "normalized", "fuzzy")))
    assert no_alias.link("爱若华", type="Drug").method == "fuzzy"
    # ...and without both it is not found at all.
    lookups = Linker(index, LinkerConfig(steps=("exact", "normalized")))
    assert lookups.link("爱若华", type="Drug").best is None
    exact_only = Linker(index, LinkerConfig(steps=("exact",)))
    assert exact_only.link("Ⅱ型 糖尿病", type="Disease").candidates == []
    assert exact_only.link("糖尿病", type="Disease").method == "exact"


def test_step_registry_is_lazy_and_extensible(index: ConceptIndex) -> None:
    assert set(step_names()) >= {"exact", "alias", "normalized", "fuzzy", "vector"}
    with pytest.raises(ValueError, match="unknown linker step"):
        Linker(index, LinkerConfig(steps=("exact", "nope")))
    with pytest.raises(ValueError, match="repeats"):
        Linker(index, LinkerConfig(steps=("exact", "exact")))
    with pytest.raises(ValueError, match="already registered"):
        register_step("exact", get_step("exact"))
    assert isinstance(get_step("exact")(index, LinkerConfig()), LinkStep)


def test_chain_stops_at_accept_score(index: ConceptIndex) -> None:
    seen: list[str] = []

    class Spy:
        name = "spy"

        def __init__(self, index: ConceptIndex, config: LinkerConfig) -> None:
            pass

        def run(self, query, candidates):
            seen.append(query.mention)
            return candidates

    from linker import steps as registry

    registry.REGISTRY.register("spy_test", Spy)
    try:
        spy = Linker(index, LinkerConfig(steps=("exact", "spy_test")))
        spy.link("胰腺炎", type="Disease")
        spy.link("胰腺言", type="Disease")
    finally:
        registry.REGISTRY.unregister("spy_test")
    assert seen == ["胰腺言"]


def test_merge_keeps_earlier_step_for_same_concept(linker: Linker) -> None:
    first = linker.link("胰腺炎", type="Disease").candidates
    later = [c.__class__(c.concept_id, c.name, c.type, 0.5, "fuzzy") for c in first]
    assert merge_candidates(first, later)[0].method == "exact"


def test_link_many_matches_link_and_validates_lengths(linker: Linker) -> None:
    texts = ["胰腺炎", "爱若华", "胰腺炎", "胃"]
    types = ["Disease", "Drug", "Disease", "Anatomy"]
    many = linker.link_many(texts, types)
    one_by_one = [linker.link(t, ty) for t, ty in zip(texts, types, strict=True)]
    assert [r.candidates for r in many] == [r.candidates for r in one_by_one]
    assert [r.is_nil for r in many] == [False, False, False, True]
    assert many[0] is many[2]  # a repeated (text, type) pair is linked once
    assert linker.link_many(["胰腺炎"], "Disease")[0].best.concept_id == "Disease:胰腺炎"
    with pytest.raises(ValueError, match="2 texts, 1 types"):
        linker.link_many(["a", "b"], ["Disease"])


def test_config_is_closed_and_validated(index: ConceptIndex) -> None:
    with pytest.raises(ValueError):
        LinkerConfig(unknown_key=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        LinkerConfig(nil_threshold=1.5)
    with pytest.raises(ValueError, match="differs"):
        Linker(index, LinkerConfig(index=IndexConfig(curated_aliases=False)))
    with pytest.raises(ValueError, match="fixed"):
        Linker(index).with_config(index=IndexConfig())
    with pytest.raises(ValueError):
        Linker(index).with_config(nil_threshold=-1)


def test_results_do_not_depend_on_record_order(records: list[ConceptRecord]) -> None:
    recs = list(records)
    shuffled = list(recs)
    random.Random(1).shuffle(shuffled)
    a, b = Linker(recs), Linker(shuffled)
    for text in ["伸试验", "胃言", "糖尿并", "胰腺", "阿司匹林"]:
        assert a.link(text, k=5).candidates == b.link(text, k=5).candidates


def test_index_rejects_duplicate_ids() -> None:
    rec = ConceptRecord("Disease:胃炎", "Disease", "胃炎")
    with pytest.raises(ValueError, match="duplicate concept id"):
        ConceptIndex.build([rec, rec])
    with pytest.raises(ValueError, match="ConceptRecord.name"):
        ConceptRecord("Disease:x", "Disease", " ")


def test_extra_alias_table(tmp_path, records) -> None:
    table = tmp_path / "aliases.tsv"
    table.write_text("# local shorthand\n胰炎\t胰腺炎\tDisease\n不存在\t没有这个\t\n", encoding="utf-8")
    index = ConceptIndex.build(records, IndexConfig(alias_tables=(table,), curated_aliases=False))
    assert Linker(index).link("胰炎", "Disease").best.concept_id == "Disease:胰腺炎"
    assert index.stats.curated_resolved == 1 and index.stats.curated_unresolved == 1
