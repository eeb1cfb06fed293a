"""extractor/relations/data.py and evaluate.py on a handful of CMeIE-like sentences written here."""

from __future__ import annotations

import json

import pytest

from extractor.relations.data import (
    NONE,
    CandidateStats,
    LocateStats,
    Mention,
    Schema,
    Sentence,
    Triple,
    build_candidates,
    gold_candidates,
    locate,
    locate_sentence,
    read_cmeie,
    read_schema,
    split_by_text,
    split_counts,
    split_of,
)
from extractor.relations.evaluate import candidate_triples, gold_triples, score_candidates, score_triples

SCHEMA = Schema((("疾病", "临床表现", "症状"), ("疾病", "药物治疗", "药物"), ("疾病", "并发症", "疾病"),
                 ("疾病", "发病部位", "部位")))

RECORDS = [
    {"text": "胃炎@胃炎患者常见腹痛，可予奥美拉唑治疗。",
     "spo_list": [{"Combined": False, "predicate": "临床表现", "subject": "胃炎", "subject_type": "疾病",
                   "object": {"@value": "腹痛"}, "object_type": {"@value": "症状"}},
                  {"Combined": False, "predicate": "药物治疗", "subject": "胃炎", "subject_type": "疾病",
                   "object": {"@value": "奥美拉唑"}, "object_type": {"@value": "药物"}}]},
    {"text": "肺炎@肺炎可并发脓胸。",
     "spo_list": [{"Combined": False, "predicate": "并发症", "subject": "肺炎", "subject_type": "疾病",
                   "object": {"@value": "脓胸"}, "object_type": {"@value": "疾病"}},
                  {"Combined": False, "predicate": "临床表现", "subject": "肺炎", "subject_type": "疾病",
                   "object": {"@value": "咯血"}, "object_type": {"@value": "症状"}}]},
    {"text": "骨性关节炎@在其他关节，骨性关节炎较少见。",
     "spo_list": [{"Combined": False, "predicate": "发病部位", "subject": "骨性关节炎", "subject_type": "疾病",
                   "object": {"@value": "关节"}, "object_type": {"@value": "部位"}}]},
]


def _write(tmp_path, rows):
    path = tmp_path / "cmeie.json"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_read_cmeie_and_schema(tmp_path):
    sentences = read_cmeie(_write(tmp_path, RECORDS), prefix="t")
    assert [s.id for s in sentences] == ["t-0", "t-1", "t-2"]
    assert sentences[0].triples[1] == Triple("胃炎", "疾病", "药物治疗", "奥美拉唑", "药物")
    schema_file = tmp_path / "schema.json"
    schema_file.write_text('{"subject_type": "疾病", "predicate": "临床表现", "object_type": "症状"}\n\n',
                           encoding="utf-8")
    assert read_schema(schema_file).predicates_for("疾病", "症状") == ("临床表现",)
    assert read_schema(schema_file).predicates_for("症状", "疾病") == ()


def test_read_cmeie_bad_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"spo_list": []}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.json:1"):
        read_cmeie(path)


def test_split_is_deterministic_and_by_text():
    sentences = [Sentence(f"s{i}", f"第{i}句：胃炎可见腹痛。") for i in range(300)]
    duplicates = [Sentence(f"d{i}", s.text) for i, s in enumerate(sentences[:50])]
    a = split_by_text(sentences + duplicates)
    b = split_by_text(list(reversed(sentences + duplicates)))
    assert {k: sorted(s.id for s in v) for k, v in a.items()} == {k: sorted(s.id for s in v) for k, v in b.items()}
    sides = {side: {s.text for s in v} for side, v in a.items()}
    assert not (sides["train"] & sides["validation"]) and not (sides["train"] & sides["test"])
    assert not (sides["validation"] & sides["test"])
    counts = split_counts(a)
    assert sum(c["sentences"] for c in counts.values()) == 350
    assert 0.55 < counts["train"]["sentences"] / 350 < 0.85 and counts["test"]["sentences"] > 30
    assert split_of("胃炎可见腹痛。") == split_of("胃炎可见腹痛。")


def test_locate_all_occurrences_and_not_found():
    assert [(m.start, m.end) for m in locate("胃炎@胃炎患者", "胃炎", "疾病")] == [(0, 2), (3, 5)]
    assert locate("胃炎@胃炎患者", "肺炎", "疾病") == []
    assert [m.start for m in locate("aaa", "aa", "x")] == [0, 1]  # overlapping occurrences kept
    stats = LocateStats()
    sentence = read_cmeie_rows(RECORDS)[1]
    mentions = locate_sentence(sentence, stats)
    assert stats.triples == 2 and stats.triples_not_found == 1  # 咯血 is not in the text
    assert stats.entities_ambiguous == 1  # 肺炎 twice
    assert [m.text for m in mentions] == ["肺炎", "肺炎", "脓胸"]


def read_cmeie_rows(rows):
    return [Sentence(f"r{i}", r["text"], tuple(Triple(s["subject"], s["subject_type"], s["predicate"],
                                                      s["object"]["@value"], s["object_type"]["@value"])
                                               for s in r["spo_list"])) for i, r in enumerate(rows)]


def test_candidates_use_closest_occurrences_and_respect_schema():
    stats = CandidateStats()
    cands, texts = gold_candidates(read_cmeie_rows(RECORDS), SCHEMA, stats=stats)
    by_sentence = {}
    for c in cands:
        by_sentence.setdefault(c.sentence_id, []).append(c)
        assert SCHEMA.predicates_for(c.subject.type, c.object.type), "pair outside the schema"
        assert texts[c.sentence_id][c.subject.start:c.subject.end] == c.subject.text
    first = {(c.subject.text, c.object.text): c for c in by_sentence["r0"]}
    # 疾病-症状 and 疾病-药物 allowed; 症状-药物 / 药物-疾病 are not
    assert set(first) == {("胃炎", "腹痛"), ("胃炎", "奥美拉唑")}
    assert first[("胃炎", "腹痛")].subject.start == 3  # the body occurrence is closer than the topic
    assert first[("胃炎", "腹痛")].label == "临床表现"
    # 关节 occurs alone at 9 and inside both 骨性关节炎 (overlapping occurrences never pair)
    third = by_sentence["r2"]
    assert [(c.subject.start, c.object.start, c.label) for c in third] == [(12, 9, "发病部位")]
    assert stats.positives == 4 and stats.labels[NONE] == 1  # 脓胸 -> 肺炎 (疾病-疾病 goes both ways)


def test_candidates_unlabelled_and_both_directions():
    text = "肺炎并发脓胸。"
    ms = [Mention(0, 2, "肺炎", "疾病"), Mention(4, 6, "脓胸", "疾病")]
    cands = build_candidates("x", text, ms, SCHEMA)
    assert [(c.subject.text, c.object.text, c.label) for c in cands] == [("肺炎", "脓胸", NONE), ("脓胸", "肺炎", NONE)]


def test_bad_input():
    assert build_candidates("x", "今天天气很好。", [], SCHEMA) == []
    with pytest.raises(ValueError, match="not inside the sentence"):
        build_candidates("x", "胃炎", [Mention(1, 5, "炎症", "疾病")], SCHEMA)
    with pytest.raises(ValueError, match="not inside the sentence"):
        build_candidates("x", "胃炎", [Mention(0, 2, "肺炎", "疾病")], SCHEMA)
    text = "".join(chr(0x4E00 + i) for i in range(1000))
    ms = [Mention(2 * i, 2 * i + 1, text[2 * i], "疾病" if i % 2 else "症状") for i in range(500)]
    stats = CandidateStats()
    cands = build_candidates("x", text, ms, SCHEMA, max_pairs=64, stats=stats)
    assert len(cands) == 64 and stats.truncated == 250 * 250 + 250 * 249 - 64


def test_scores():
    scores = score_candidates(["临床表现", NONE, "病因", NONE], ["临床表现", "病因", NONE, NONE])
    assert (scores.micro.tp, scores.micro.fp, scores.micro.fn) == (1, 1, 1)
    assert scores.per_predicate["病因"].f1 == 0.0 and scores.per_predicate["临床表现"].f1 == 1.0
    assert scores.as_dict(top=1)["per_predicate"].keys() == {"临床表现"}  # support ties break by name
    with pytest.raises(ValueError):
        score_candidates([NONE], [])
    sentences = read_cmeie_rows(RECORDS)
    cands, _ = gold_candidates(sentences, SCHEMA)
    prf = score_triples(gold_triples(sentences), candidate_triples(cands, [c.label for c in cands]))
    assert (prf.tp, prf.fp, prf.fn) == (4, 0, 1)  # 咯血 cannot be found
    assert score_triples({}, {}).f1 == 0.0


@pytest.mark.data
def test_real_cmeie_split_and_coverage(data_dir):
    path = data_dir / "cmeie" / "CMeIE_dev.json"
    assert path.is_file(), f"{path} missing from the research data"
    split = split_by_text(read_cmeie(path))
    counts = split_counts(split)
    assert sum(c["sentences"] for c in counts.values()) > 3000
    schema = read_schema(data_dir / "cmeie" / "schema.json")
    stats = LocateStats()
    cands, _ = gold_candidates(split["validation"], schema, locate_stats=stats)
    assert stats.triples_not_found / stats.triples < 0.05 and cands


@pytest.mark.parametrize("name", ["extractor.relations.data", "extractor.relations.rules",
                                  "extractor.relations.evaluate", "extractor.relations.config",
                                  "extractor.relations.model"])
def test_docstring_examples(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
