"""extractor/relations/ner: CMeIE entities as one flat layer, a CMeIE-typed tagger, triples from predicted spans."""

from __future__ import annotations

import torch

from extractor.checkpoint import load_tagger
from extractor.data import Span
from extractor.relations.data import NONE, Schema, Sentence, Triple
from extractor.relations.evaluate import gold_triples, score_triples
from extractor.relations.ner import CMEIE_TYPES, ner_examples, predicted_candidates, predicted_triples
from extractor.train import train_tagger

SCHEMA = Schema((("疾病", "临床表现", "症状"), ("疾病", "发病部位", "部位"), ("疾病", "药物治疗", "药物")))


def _sentences() -> list[Sentence]:
    rows = [("胃炎", "腹痛", "胃"), ("肺炎", "咳嗽", "肺"), ("肝炎", "乏力", "肝"), ("肾炎", "水肿", "肾")]
    out = []
    for n, (d, s, part) in enumerate(rows * 3):
        text = f"{d}患者常见{s}，病变位于{part}部，可用阿莫西林。"
        triples = (Triple(d, "疾病", "临床表现", s, "症状"), Triple(d, "疾病", "发病部位", part, "部位"),
                   Triple(d, "疾病", "药物治疗", "阿莫西林", "药物"))
        out.append(Sentence(f"s{n}", text, triples))
    return out


def test_flat_layer_rule():
    s = Sentence("x", "骨性关节炎累及膝关节，关节肿胀", (
        Triple("骨性关节炎", "疾病", "发病部位", "膝关节", "部位"),
        Triple("骨性关节炎", "疾病", "发病部位", "关节", "部位"),
        Triple("骨性关节炎", "疾病", "临床表现", "关节肿胀", "症状")))
    (ex,), stats = ner_examples([s])
    assert [(s.text[sp.start:sp.end], sp.type) for sp in ex.spans] == [
        ("骨性关节炎", "疾病"), ("膝关节", "部位"), ("关节肿胀", "症状")]
    # 关节 occurs three times, each inside a longer kept mention
    assert stats.occurrences == 6 and stats.kept == 3 and stats.dropped_overlaps == 3
    same_length = Sentence("y", "发热", (Triple("发热", "症状", "同义词", "发热", "疾病"),))
    (ex,), _ = ner_examples([same_length])
    assert [sp.type for sp in ex.spans] == ["疾病"]  # same span twice: the type earlier in CMEIE_TYPES
    assert CMEIE_TYPES.index("疾病") < CMEIE_TYPES.index("症状")
    (ex,), stats = ner_examples([s], types=("疾病",))
    assert [sp.type for sp in ex.spans] == ["疾病"] and stats.unknown_types == 5


class _Oracle:
    """Predicts the flat gold layer: what an error-free tagger would return."""

    def __init__(self, sentences: list[Sentence]) -> None:
        self.spans = {s.text: list(ex.spans) for s, ex in zip(sentences, ner_examples(sentences)[0], strict=True)}

    def predict(self, texts, batch_size=32, progress=None):
        return [self.spans[t] for t in texts]


class _GoldLabels:
    """Labels a candidate with its gold predicate (by strings and types), else none."""

    def __init__(self, sentences: list[Sentence]) -> None:
        self.gold = {(s.id, t.subject, t.subject_type, t.object, t.object_type): t.predicate
                     for s in sentences for t in s.triples}

    def predict(self, candidates, texts, batch_size=64):
        return [self.gold.get((c.sentence_id, c.subject.text, c.subject.type, c.object.text, c.object.type), NONE)
                for c in candidates]


def test_predicted_triples_with_perfect_parts_reproduce_the_gold():
    sentences = _sentences()
    triples, spans = predicted_triples(sentences, _Oracle(sentences), _GoldLabels(sentences), SCHEMA)
    assert set(triples) == {s.id for s in sentences}
    scores = score_triples(gold_triples(sentences), triples)
    assert (scores.tp, scores.fp, scores.fn) == (36, 0, 0)
    assert [len(x) for x in spans] == [4] * 12
    # a missed object loses exactly its triple; a wrong type removes the pair from the schema
    oracle = _Oracle(sentences)
    first = sentences[0].text
    oracle.spans[first] = [sp for sp in oracle.spans[first] if first[sp.start:sp.end] != "腹痛"]
    oracle.spans[first] = [Span(sp.start, sp.end, "症状") if first[sp.start:sp.end] == "胃" else sp
                           for sp in oracle.spans[first]]
    triples, _ = predicted_triples(sentences, oracle, _GoldLabels(sentences), SCHEMA)
    assert triples["s0"] == triples["s4"] == {("胃炎", "药物治疗", "阿莫西林")}  # s0, s4, s8 share the text
    assert score_triples(gold_triples(sentences), triples).fn == 3 * 2


def test_candidates_need_one_span_list_per_sentence():
    import pytest

    with pytest.raises(ValueError, match="2 span lists for 1 sentences"):
        predicted_candidates(_sentences()[:1], [[], []], SCHEMA)


def test_the_tagger_learns_cmeie_types(tmp_path, tiny):
    """The project's tagger with CMeIE's entity types (no gazetteer, no KG): trained, saved, reloaded."""
    torch.set_num_threads(1)
    sentences = _sentences()
    examples, _ = ner_examples(sentences)
    assert all(len(ex.spans) == 4 for ex in examples)
    cfg = tiny(epochs=30, dev_fraction=0.0, patience=30)
    cfg = cfg.model_copy(update={"types": CMEIE_TYPES, "features": cfg.features.model_copy(
        update={"kg": False, "bioes": False, "category": False})})
    train_tagger(cfg, examples, tmp_path, dev=examples)
    tagger = load_tagger(tmp_path, threads=None)
    assert tagger.config.types == CMEIE_TYPES
    predicted = tagger.predict([s.text for s in sentences])
    found = {(s.text[sp.start:sp.end], sp.type) for s, spans in zip(sentences, predicted, strict=True)
             for sp in spans}
    assert {("胃炎", "疾病"), ("腹痛", "症状"), ("阿莫西林", "药物")} <= found
    triples, _ = predicted_triples(sentences, tagger, _GoldLabels(sentences), SCHEMA)
    assert score_triples(gold_triples(sentences), triples).f1 > 0.8
