"""Bad input: no crash; NIL, or a ValueError/TypeError that names the problem."""

from __future__ import annotations

import pytest

from linker import ConceptIndex, Gazetteer, Linker

ODD_MENTIONS = [
    "糖" * 10_000,
    "😀🤒💊",
    "❤️\u200d🔥",
    "\x00\x01\x1b[31m胃炎\x7f",
    "\ufeff\u202e胃炎\u2066",
    "CT2型糖尿病abc123",
    "5-FU+CF方案 d1-5",
    "，。！？、；：“”‘’（）【】…—",
    "!!!???...---",
    "\ud800",  # a lone surrogate
    "Ａ",
    "a",
]
TYPES = [None, "Disease", "疾病和诊断", "Drug", "LabTest", "Anatomy", "Operation", "Food"]


@pytest.mark.parametrize("text", ODD_MENTIONS)
@pytest.mark.parametrize("type_name", TYPES)
def test_odd_mentions_never_crash(linker: Linker, text: str, type_name: str | None) -> None:
    res = linker.link(text, type=type_name)
    assert len(res.normalized) <= linker.index.normalizer.config.max_chars
    assert all(0.0 <= c.score <= 1.0 for c in res.candidates)
    assert res.is_nil == (res.best is None)
    if res.is_nil and res.normalized:
        assert res.nil_candidate_id and res.nil_candidate_id.startswith("candidate:")


def test_punctuation_only_is_nil_without_candidate_id(linker: Linker) -> None:
    res = linker.link("，。！？", type="Disease")
    assert res.is_nil and res.normalized == "" and res.nil_candidate_id is None


def test_long_mentions_are_capped(linker: Linker) -> None:
    res = linker.link("胃炎" + "糖" * 10_000, type="Disease")
    assert len(res.normalized) == linker.index.normalizer.config.max_chars
    assert res.mention.startswith("胃炎") and len(res.mention) == 10_002


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_mentions_raise(linker: Linker, text: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        linker.link(text)


def test_other_bad_arguments(linker: Linker) -> None:
    with pytest.raises(TypeError, match="must be str"):
        linker.link(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be str"):
        linker.link(b"\xe8\x83\x83")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown mention type"):
        linker.link("胃炎", type="Gene")
    with pytest.raises(ValueError, match="k must be"):
        linker.link("胃炎", k=0)


@pytest.mark.parametrize("text", ODD_MENTIONS)
def test_gazetteer_survives_odd_text(index: ConceptIndex, text: str) -> None:
    gaz = Gazetteer(index)
    seg = gaz.segment(text + "胃炎" + text)
    assert len(seg.tags) == len(text) * 2 + 2
    assert any(s.concept_id == "Disease:胃炎" for s in seg.spans)


@pytest.mark.parametrize("prefix", ["😀😀", "𠀀𪚥\U0002b740", "\x00\x07", "\ud800", "a\u0301"])
def test_gazetteer_offsets_shift_by_exactly_the_prefix(index: ConceptIndex, prefix: str) -> None:
    """Offsets count code points: astral characters, lone surrogates and control characters in front
    move every span by exactly ``len(prefix)`` and ``text[start:end]`` stays the concept's name."""
    gaz = Gazetteer(index)
    base = "患者胃炎三年，"
    plain = [(s.start, s.end, s.concept_id) for s in gaz.segment(base).spans]
    assert ("Disease:胃炎" in {c for _, _, c in plain}) and plain
    shifted = [(s.start - len(prefix), s.end - len(prefix), s.concept_id) for s in gaz.segment(prefix + base).spans]
    assert shifted == plain
    text = prefix + base
    assert all(text[s.start:s.end] == "胃炎" for s in gaz.segment(text).spans if s.concept_id == "Disease:胃炎")
