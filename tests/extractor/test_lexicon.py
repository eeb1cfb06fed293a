"""The training-record entity lexicon: entries, leave-one-fold-out features, checkpoint round trip."""

import json

import pytest

from extractor.checkpoint import CheckpointError, load_tagger
from extractor.data import Example, Span
from extractor.features import Featurizer
from extractor.lexicon import build_lexicon, fold_lexicons, lexicon_entries
from extractor.train import split_dev, train_tagger
from extractor.vocab import CharVocab


def test_entries_take_the_majority_type_and_skip_short_surfaces():
    records = [Example("1", "CT示肝脏", (Span(0, 2, "ImagingExam"), Span(3, 5, "Anatomy"))),
               Example("2", "CT", (Span(0, 2, "ImagingExam"),)),
               Example("3", "CT胃", (Span(0, 2, "LabTest"), Span(2, 3, "Anatomy")))]
    assert lexicon_entries(records) == [("CT", "ImagingExam"), ("肝脏", "Anatomy")]
    assert lexicon_entries(records, min_chars=1) == [("CT", "ImagingExam"), ("肝脏", "Anatomy"), ("胃", "Anatomy")]
    assert build_lexicon([]) is None


def test_features_mark_lexicon_matches_with_exact_offsets():
    types = ("Anatomy", "Disease")
    lexicon = build_lexicon([("右下腹", "Anatomy"), ("下腹痛", "Disease")])
    texts = ["查体：右下腹压痛", "😀右下腹"]
    f = Featurizer(CharVocab.build(texts), CharVocab.build(texts, bigrams=True), None, None,
                   lexicon=lexicon, lexicon_types=types)
    feats = f.featurize(texts[0])
    assert feats.lex_bioes.tolist() == [0, 0, 0, 1, 2, 3, 0, 0]  # longest match first, left to right
    assert feats.lex_type.tolist() == [0, 0, 0, 1, 1, 1, 0, 0]
    assert f.featurize(texts[1]).lex_bioes.tolist() == [0, 1, 2, 3]  # one position per code point
    assert f.featurize("右下腹", lexicon=build_lexicon([("下腹", "Disease")])).lex_type.tolist() == [0, 2, 2]


def test_training_folds_never_see_their_own_entities(examples):
    fold_of, lexicons = fold_lexicons(examples, 4, seed=3)
    assert sorted(set(fold_of)) == [0, 1, 2, 3]
    only_in_own_fold = 0
    for k, lexicon in enumerate(lexicons):
        inside = [ex for ex, f in zip(examples, fold_of, strict=True) if f == k]
        others = {s for s, _ in lexicon_entries([ex for ex, f in zip(examples, fold_of, strict=True) if f != k])}
        matched = {h.concept_id.split(":", 2)[2] for ex in inside for h in lexicon.segment(ex.text).spans}
        assert matched <= others
        own = {ex.text[s.start:s.end] for ex in inside for s in ex.spans if s.end - s.start >= 2}
        only_in_own_fold += len(own - others)
    assert only_in_own_fold > 0  # else the check above says nothing


def test_lexicon_tagger_round_trip(tiny, tmp_path, examples, concepts, kg):
    cfg = tiny(epochs=2)
    cfg = cfg.model_copy(update={"features": cfg.features.model_copy(update={"lexicon": True, "lexicon_folds": 3})})
    train_tagger(cfg, examples, tmp_path, concepts=concepts, kg=kg)
    train, _ = split_dev(examples, cfg.train.dev_fraction, cfg.train.seed)
    stored = [tuple(e) for e in json.loads((tmp_path / "lexicon.json").read_text(encoding="utf-8"))]
    assert stored == lexicon_entries(train)  # the training split only, never the validation records
    tagger = load_tagger(tmp_path, threads=None)
    assert tagger.lexicon == stored
    surface, kind = stored[0]
    feats = tagger.featurizer.featurize(f"复查{surface}。")
    assert feats.lex_type.tolist() == [0, 0] + [1 + cfg.types.index(kind)] * len(surface) + [0]
    assert isinstance(tagger.predict(["胃癌术后"])[0], list)
    (tmp_path / "lexicon.json").unlink()
    with pytest.raises(CheckpointError, match="lexicon.json"):
        load_tagger(tmp_path, threads=None)


def test_an_empty_fold_lexicon_means_no_lexicon_not_the_full_one():
    texts = ["右下腹压痛"]
    f = Featurizer(CharVocab.build(texts), CharVocab.build(texts, bigrams=True), None, None,
                   lexicon=build_lexicon([("右下腹", "Anatomy")]), lexicon_types=("Anatomy",))
    assert f.featurize(texts[0]).lex_type.tolist() == [1, 1, 1, 0, 0]
    assert f.featurize(texts[0], lexicon=None).lex_type.tolist() == [0] * 5
