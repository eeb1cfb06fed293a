from __future__ import annotations

import pytest

from linker.config import ALL_RULES, NormalizerConfig
from linker.normalize import Normalizer, length_preserving_table


def only(*rules: str, **kw: int) -> Normalizer:
    return Normalizer(NormalizerConfig(rules=rules, **kw))


@pytest.mark.parametrize(
    ("rule", "text", "expected"),
    [
        ("fullwidth", "ＣＴ１２", "CT12"),
        ("fullwidth", "Ⅱ型", "II型"),
        ("control", "胃\u200b炎\x07", "胃炎"),
        ("t2s", "乾燥綜合徵", "干燥综合征"),
        ("t2s", "急性胰腺炎", "急性胰腺炎"),
        ("casefold", "MRI", "mri"),
        ("numerals", "II型糖尿病", "2型糖尿病"),
        ("numerals", "Ⅲ期", "3期"),
        ("numerals", "二型糖尿病", "2型糖尿病"),
        ("numerals", "vitamin", "vitamin"),
        ("whitespace", "胃 炎\t\n", "胃炎"),
        ("punctuation", "癌胚抗原（CEA）", "癌胚抗原CEA"),
        ("punctuation", "5-FU，😀", "5FU"),
    ],
)
def test_each_plain_rule(rule: str, text: str, expected: str) -> None:
    assert only(rule).normalize(text) == expected


def test_all_plain_rules_together() -> None:
    assert Normalizer().normalize("ＣＴ 檢查") == "ct检查"
    assert Normalizer().normalize("Ⅱ型 糖尿病") == "2型糖尿病"


def test_rules_switch_off() -> None:
    assert only().normalize("ＣＴ 檢查") == "ＣＴ 檢查"
    assert only("casefold").normalize("CT 檢查") == "ct 檢查"


@pytest.mark.parametrize(
    ("rule", "text", "expected"),
    [
        ("laterality", "左侧股骨颈骨折", "股骨颈骨折"),
        ("laterality", "双肺炎", "肺炎"),
        ("acuity", "急性胰腺炎", "胰腺炎"),
        ("acuity", "慢性胃炎", "胃炎"),
        ("postop", "直肠癌术后", "直肠癌"),
        ("postop", "胃癌根治术后", "胃癌"),
        ("uncertainty", "疑似肺炎", "肺炎"),
        ("uncertainty", "肺炎可能", "肺炎"),
        ("uncertainty", "发热待查", "发热"),
        ("history", "高血压病史", "高血压"),
        ("dosage_form", "来氟米特片", "来氟米特"),
        ("dosage_form", "注射用顺铂", "顺铂"),
        ("drug_salt", "盐酸吉西他滨", "吉西他滨"),
        ("drug_salt", "头孢曲松钠", "头孢曲松"),
        ("check_suffix", "ct检查", "ct"),
        ("check_suffix", "血清肌酐", "肌酐"),
    ],
)
def test_each_variant_rule(rule: str, text: str, expected: str) -> None:
    variants = only(rule).variants(text)
    assert [v.text for v in variants] == [expected]
    assert variants[0].rules == (rule,)


def test_variant_rules_keep_short_stems_and_salts() -> None:
    norm = Normalizer()
    assert [v.text for v in norm.variants("左肺")] == []  # stem would be one character
    assert "氯化" not in [v.text for v in norm.variants("氯化钠")]


def test_variants_fewest_rules_first_and_capped() -> None:
    norm = Normalizer()
    variants = norm.variants("左侧急性胰腺炎")
    assert [v.text for v in variants] == ["急性胰腺炎", "胰腺炎"]
    assert variants[1].rules == ("laterality", "acuity")
    assert only(*ALL_RULES, max_variants=1).variants("左侧急性胰腺炎")[0].text == "急性胰腺炎"
    assert len(only(*ALL_RULES, max_variants=1).variants("左侧急性胰腺炎")) == 1


def test_plain_form_is_not_a_variant() -> None:
    assert "急性胰腺炎" not in [v.text for v in Normalizer().variants("急性胰腺炎")]


def test_name_keys_parenthetical_and_label_rules() -> None:
    norm = Normalizer()
    plain, derived = norm.name_keys("癌胚抗原（CEA）", "Check")
    assert plain == "癌胚抗原cea"
    assert {"癌胚抗原", "cea"} <= {v.text for v in derived}
    _, drug = norm.name_keys("注射用盐酸吉西他滨", "Drug")
    assert "吉西他滨" in {v.text for v in drug}
    _, disease = norm.name_keys("注射用盐酸吉西他滨", "Disease")
    assert disease == []  # drug rules derive keys for Drug and Producer names only
    _, truncated = norm.name_keys("乙肝e抗体（抗...", "Check")
    assert [v.text for v in truncated] == ["乙肝e抗体"]


def test_caps_bound_work() -> None:
    norm = only(*ALL_RULES, max_input_chars=20, max_chars=5)
    assert norm.normalize("糖" * 10_000) == "糖" * 5


def test_non_string_rejected() -> None:
    with pytest.raises(TypeError):
        Normalizer().normalize(None)  # type: ignore[arg-type]


def test_length_preserving_table_maps_one_char_to_one() -> None:
    table = length_preserving_table()
    text = "ＣＴ檢查，Ⅱ型，ABC"
    folded = text.translate(table)
    assert len(folded) == len(text)
    assert folded.startswith("ct检查")
    assert all(len(v) == 1 for v in table.values())
