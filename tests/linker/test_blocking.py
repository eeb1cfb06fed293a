from __future__ import annotations

from collections.abc import Sequence

import pytest

from linker import BlockingConfig, ConceptRecord, FuzzyConfig, IndexConfig, Linker, LinkerConfig, scorers
from linker.blocking import NgramBlocker, ngrams
from linker.scorers import LcsMixScorer, RatioMixScorer, get_scorer


class CountingScorer:
    calls: list[int] = []

    def __init__(self, config: FuzzyConfig) -> None:
        self._inner = LcsMixScorer(config)

    def score(self, query: str, choices: Sequence[str]) -> list[float]:
        CountingScorer.calls.append(len(choices))
        return self._inner.score(query, choices)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> type[CountingScorer]:
    CountingScorer.calls = []
    monkeypatch.setitem(scorers.REGISTRY._registered, "counting", CountingScorer)
    return CountingScorer


def synthetic_names(n: int) -> list[str]:
    chars = "胃肠肝肺肾脾胆心脑骨皮血尿眼耳鼻喉舌牙颈"
    suffix = "炎癌病症瘤痛"
    out = []
    for i in range(n):
        a, b, c = chars[i % 20], chars[(i // 20) % 20], suffix[(i // 400) % 6]
        out.append(f"{a}{b}{c}{i}")
    return out


def test_fuzzy_never_scores_all_names(counting: type[CountingScorer]) -> None:
    names = synthetic_names(2000)
    recs = [ConceptRecord(f"Disease:{n}", "Disease", n) for n in names]
    cfg = LinkerConfig(
        index=IndexConfig(blocking=BlockingConfig(top_n=16), curated_aliases=False),
        fuzzy=FuzzyConfig(scorer="counting"),
        steps=("exact", "normalized", "fuzzy"),
    )
    linker = Linker(recs, cfg)
    for query in ["胃肠言12", "肝肺癌", "心脑病症", "血尿", "眼耳鼻喉舌"]:
        linker.link(query, type="Disease")
    assert counting.calls, "fuzzy step did not run"
    assert max(counting.calls) <= 16
    assert sum(counting.calls) < len(names)


def test_lookup_hits_skip_fuzzy_scoring(counting: type[CountingScorer], records) -> None:
    linker = Linker(records, LinkerConfig(fuzzy=FuzzyConfig(scorer="counting")))
    linker.link("胰腺炎", type="Disease")
    linker.link("爱若华", type="Drug")
    assert counting.calls == []


def test_blocker_ranks_by_overlap_and_is_deterministic() -> None:
    blocker = NgramBlocker(["胃炎", "肠炎", "胃溃疡", "慢性胃炎", "肝硬化"], BlockingConfig(top_n=3))
    top = [blocker.keys[i] for i in blocker.top("慢性胃言")]
    assert top[0] == "慢性胃炎"
    assert "肝硬化" not in top
    assert blocker.top("慢性胃言") == blocker.top("慢性胃言")


def test_unigram_fallback_for_queries_without_shared_bigrams() -> None:
    blocker = NgramBlocker(["胃炎", "肝硬化"], BlockingConfig(boundary_bigrams=False))
    assert [blocker.keys[i] for i in blocker.top("言胃")] == ["胃炎"]
    strict = NgramBlocker(["胃炎", "肝硬化"], BlockingConfig(boundary_bigrams=False, unigram_fallback=False))
    assert strict.top("言胃") == []


def test_stop_grams_are_skipped_when_other_grams_exist() -> None:
    keys = [f"{chr(0x4E00 + i)}{chr(0x4F00 + i)}片" for i in range(600)] + ["阿莫西林片"]
    blocker = NgramBlocker(keys, BlockingConfig(top_n=5, stop_min=100, stop_fraction=0.05))
    assert blocker.keys[blocker.top("阿莫西林片")[0]] == "阿莫西林片"
    assert blocker.top("片")  # only a stop gram left: it is used


def test_ngrams() -> None:
    assert ngrams("胃炎") == {"\x02胃", "胃炎", "炎\x03"}
    assert ngrams("胃炎", boundary=False, unigrams=True) == {"胃炎", "胃", "炎"}


def test_scorers() -> None:
    cfg = FuzzyConfig()
    lcs = get_scorer("lcs_mix")(cfg)
    assert lcs.score("胰腺炎", ["胰腺炎"]) == [pytest.approx(1.0)]
    near, far = lcs.score("胰腺言", ["胰腺炎", "肝硬化"])
    assert near > far == 0.0
    assert lcs.score("胰腺炎", []) == []
    ratio = RatioMixScorer(cfg)
    assert ratio.score("胰腺炎", ["胰腺炎"]) == [pytest.approx(1.0)]
    with pytest.raises(ValueError, match="unknown fuzzy scorer"):
        get_scorer("nope")
    with pytest.raises(ValueError, match="must be positive"):
        LcsMixScorer(FuzzyConfig(ratio_weight=0.0, partial_weight=0.0))
