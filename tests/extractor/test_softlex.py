"""SoftLexicon word features: B/M/E/S sets and weights, the lexicon file, the tagger with them, building one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from extractor.checkpoint import CheckpointError, build_tagger, load_tagger
from extractor.features import Featurizer
from extractor.softlex import WordLexicon, WordLexiconConfig, build_word_lexicon
from extractor.train import train_tagger
from extractor.vocab import CharVocab


def _lexicon(words: dict[str, float], dim: int = 3) -> WordLexicon:
    rng = np.random.default_rng(1)
    return WordLexicon(list(words), rng.normal(size=(len(words), dim)).astype(np.float32),
                       np.array(list(words.values())))


def _names(lex: WordLexicon, ids: np.ndarray) -> list[str]:
    return [lex.words[i - 1] for i in ids if i]


def test_sets_hold_the_words_that_begin_continue_end_or_are_the_character():
    lex = _lexicon({"右下腹": 2, "下腹": 3, "腹": 5, "腹痛": 1})
    ids, weights = lex.match("右下腹痛", k=4)
    assert ids.shape == weights.shape == (4, 4, 4)
    b, m, e, s = (ids[2, j] for j in range(4))  # the character 腹
    assert _names(lex, b) == ["腹痛"] and _names(lex, m) == [] and sorted(_names(lex, e)) == ["下腹", "右下腹"]
    assert _names(lex, s) == ["腹"]
    assert _names(lex, ids[1, 1]) == ["右下腹"]  # 下 is inside 右下腹
    # weights: 4 z(w) / Z over the character's four sets; Z = 1 + 2 + 3 + 5 for 腹
    assert weights[2].sum() == pytest.approx(4.0)
    assert weights[2, 3, 0] == pytest.approx(4 * 5 / 11)
    assert not weights[0, 1].any() and not weights[3, 0].any()  # empty sets weigh nothing


def test_each_set_keeps_its_k_most_frequent_words_but_weights_see_all():
    lex = _lexicon({"胃癌": 1, "胃癌术": 9, "胃癌术后": 4})
    ids, weights = lex.match("胃癌术后", k=2)
    assert _names(lex, ids[0, 0]) == ["胃癌术", "胃癌术后"]  # B set of 胃, most frequent first
    assert weights[0, 0].sum() == pytest.approx(4 * 13 / 14)


def test_matching_folds_width_and_case_like_the_gazetteer():
    lex = _lexicon({"ct": 2})
    ids, _ = lex.match("胸部ＣＴ", k=1)
    assert _names(lex, ids[2, 0]) == ["ct"] and _names(lex, ids[3, 2]) == ["ct"]
    assert lex.match("", k=3)[0].shape == (0, 4, 3)


def test_bad_lexicons_are_refused_with_the_row_named(tmp_path):
    with pytest.raises(ValueError, match="duplicates row 0"):
        WordLexicon(["胃癌", "胃癌"], np.zeros((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="empty word at row 1"):
        WordLexicon(["胃", ""], np.zeros((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="2 words, vectors"):
        WordLexicon(["胃", "癌"], np.zeros((3, 2)), np.ones(2))
    bad = tmp_path / "bad.npz"
    np.savez(bad, words=np.array(["胃"]))
    with pytest.raises(ValueError, match="missing vectors, counts"):
        WordLexicon.load(bad)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="junk.npz"):
        WordLexicon.load(tmp_path / "junk.npz")


def test_save_load_round_trip(tmp_path):
    lex = _lexicon({"右下腹": 2, "腹痛": 1})
    lex.meta["note"] = "t"
    back = WordLexicon.load(lex.save(tmp_path / "w.npz"))
    assert back.words == lex.words and back.meta == {"note": "t"}
    np.testing.assert_array_equal(back.vectors, lex.vectors)
    for a, b in zip(back.match("右下腹痛"), lex.match("右下腹痛"), strict=True):
        np.testing.assert_array_equal(a, b)


def test_featurizer_and_module_turn_sets_into_weighted_vectors():
    lex = _lexicon({"右下腹": 2, "腹痛": 1, "腹": 5})
    texts = ["右下腹痛"]
    f = Featurizer(CharVocab.build(texts), CharVocab.build(texts, bigrams=True), None, None, word_lexicon=lex,
                   word_k=2)
    feats = f.featurize(texts[0])
    assert feats.soft_ids.shape == (4, 4, 2) and feats.soft_weights.dtype == np.float32
    plain = Featurizer(CharVocab.build(texts), CharVocab.build(texts, bigrams=True), None, None).featurize(texts[0])
    assert plain.soft_ids.shape == (4, 4, 0)


def test_tagger_with_softlexicon_trains_saves_and_predicts_the_same(tiny, tmp_path, examples, concepts, kg):
    words = {ex.text[s.start:s.end]: 2.0 for ex in examples for s in ex.spans} | {"术后": 4.0, "胃": 3.0}
    lex = _lexicon(words, dim=6)
    cfg = tiny(epochs=2)
    cfg = cfg.model_copy(update={"features": cfg.features.model_copy(update={"softlexicon": True, "softlexicon_k": 2})})
    with pytest.raises(ValueError, match="word lexicon"):
        build_tagger(cfg, CharVocab.build(["胃"]), CharVocab.build(["胃"], bigrams=True))
    train_tagger(cfg, examples, tmp_path, concepts=concepts, kg=kg, word_lexicon=lex)
    assert (tmp_path / "word_lexicon.npz").is_file()
    tagger = load_tagger(tmp_path, threads=None)
    assert tagger.word_lexicon is not None and tagger.word_lexicon.words == lex.words
    # the frozen word table is not in the weights file (the lexicon file carries it) and is not trained
    assert "word_table" not in tagger.module.state_dict()
    torch.testing.assert_close(tagger.module.word_table, torch.from_numpy(lex.vector_table()))
    texts = [ex.text for ex in examples[:5]]
    again = load_tagger(tmp_path, threads=None)
    assert tagger.predict(texts) == again.predict(texts)
    # the SoftLexicon input changes what the network sees: zeroing the word table changes the emissions
    batch_items, _ = tagger.windows_of(texts[:1])
    from extractor.batching import collate

    batch = collate(batch_items, tagger.kg_table(), tagger.device)
    tagger.module.eval()
    with torch.inference_mode():
        before = tagger.module(batch)
        tagger.module.word_table.zero_()
        after = tagger.module(batch)
    assert not torch.allclose(before, after)
    (tmp_path / "word_lexicon.npz").unlink()
    with pytest.raises(CheckpointError, match="word_lexicon.npz"):
        load_tagger(tmp_path, threads=None)


def test_build_word_lexicon_from_text_with_jieba_and_word2vec(examples):
    pytest.importorskip("jieba")
    pytest.importorskip("gensim")
    texts = [ex.text for ex in examples] * 3
    lex = build_word_lexicon(texts, ["胃大部切除术", "奥沙利铂"], WordLexiconConfig(dim=8, min_count=2, epochs=2))
    assert lex.dim == 8 and len(lex) == len(lex.vectors)
    assert {"胃大部切除术", "奥沙利铂"} <= set(lex.words)  # KG names come out of jieba whole
    assert "患者" in lex.words  # a jieba dictionary word
    # z(w) is the substring count in the text: 奥沙利铂 occurs once per copy of the first record
    assert lex.counts[lex.words.index("奥沙利铂")] == 3
    assert lex.meta["kg_names"] == 2 and lex.meta["words"] == len(lex)
    with pytest.raises(ValueError, match="no text"):
        build_word_lexicon([], [])


def _reference_match(lex: WordLexicon, text: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The sets built one character at a time, the plain way (ties keep the order of the matches)."""
    ids, weights = np.zeros((len(text), 4, k), dtype=np.int64), np.zeros((len(text), 4, k), dtype=np.float32)
    sets: list[list[list[int]]] = [[[], [], [], []] for _ in text]
    for start, end, wid in lex.matches(text):
        if end - start == 1:
            sets[start][3].append(wid)
            continue
        sets[start][0].append(wid)
        sets[end - 1][2].append(wid)
        for i in range(start + 1, end - 1):
            sets[i][1].append(wid)
    for i, char_sets in enumerate(sets):
        total = sum(lex.counts[w - 1] for s in char_sets for w in s)
        for j, words in enumerate(char_sets):
            top = sorted(words, key=lambda w: -lex.counts[w - 1])[:k]
            ids[i, j, :len(top)] = top
            weights[i, j, :len(top)] = [4.0 * lex.counts[w - 1] / total for w in top]
    return ids, weights


def test_vectorised_sets_equal_the_plain_construction(examples):
    words = {}
    for ex in examples:  # every substring of 1-6 characters of the first records, counts with many ties
        for i in range(len(ex.text)):
            for n in range(1, 7):
                words.setdefault(ex.text[i:i + n], float(1 + (i * 7 + n) % 3))
    lex = _lexicon(words)
    for ex in examples:
        for k in (1, 3):
            got, want = lex.match(ex.text, k), _reference_match(lex, ex.text, k)
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_allclose(got[1], want[1], rtol=1e-6)
