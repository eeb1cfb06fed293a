"""extractor/relations: the rule baseline, marker encoding, and the classifier's train -> save -> load -> predict."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from extractor.relations.config import RelationConfig, RelationEncoderConfig, RelationTrainConfig
from extractor.relations.data import NONE, Candidate, Mention, Schema, build_candidates
from extractor.relations.evaluate import score_candidates
from extractor.relations.model import (
    GAP_BUCKETS,
    MARKERS,
    SharedPairModule,
    gap_bucket,
    mark,
    shared_tensors,
    shared_window,
    with_markers,
)
from extractor.relations.predict import RelationCheckpointError, load_relation_classifier, save_relation_classifier
from extractor.relations.rules import RuleBaseline, RuleConfig
from extractor.relations.train import train_relations
from extractor.vocab import CharVocab

SCHEMA = Schema((("疾病", "临床表现", "症状"), ("疾病", "病因", "症状"), ("疾病", "药物治疗", "药物")))
DISEASES = ["胃炎", "肺炎", "肝炎", "肾炎", "鼻炎", "咽炎"]
SYMPTOMS = ["腹痛", "咳嗽", "发热", "乏力", "头痛"]
TEMPLATES = {"临床表现": "{d}患者可见{s}。", "病因": "{d}常由{s}引起。", NONE: "{d}与{s}无关。"}


def _toy(n_rounds: int = 1) -> tuple[list[Candidate], dict[str, str]]:
    cands, texts = [], {}
    for k in range(n_rounds):
        for i, d in enumerate(DISEASES):
            for j, s in enumerate(SYMPTOMS):
                label = list(TEMPLATES)[(i + j + k) % 3]
                text = TEMPLATES[label].format(d=d, s=s)
                sid = f"t{k}-{i}-{j}"
                texts[sid] = text
                ms = [Mention(0, 2, d, "疾病"), Mention(text.index(s), text.index(s) + 2, s, "症状")]
                gold = {} if label == NONE else {(d, "疾病", s, "症状"): label}
                cands.extend(build_candidates(sid, text, ms, SCHEMA, gold=gold))
    return cands, texts


def test_rules_on_toy():
    cands, texts = _toy()
    rules = RuleBaseline(SCHEMA, RuleConfig(gate=0.3)).fit(cands, texts)
    predicted = rules.predict(cands, texts)
    positives = [(c.label, p) for c, p in zip(cands, predicted, strict=True) if c.label != NONE]
    assert all(g == p for g, p in positives)  # cue characters 见 / 由 separate the two predicates
    assert "b:由" in rules.cues["病因"] or "b:引" in rules.cues["病因"]
    far = Candidate("f", Mention(0, 2, "胃炎", "疾病"), Mention(30, 32, "腹痛", "症状"))
    text = "胃炎" + "。" * 28 + "其他腹痛"
    assert rules.predict([far], {"f": text}) == [NONE]  # another clause, far away, no topic: no relation


def test_mark_inserts_markers_and_crops():
    vocab = with_markers(CharVocab.build(["胃炎患者可见腹痛"]))
    assert with_markers(vocab) is vocab
    s, o = Mention(0, 2, "胃炎", "疾病"), Mention(6, 8, "腹痛", "症状")
    ids, spans = mark("胃炎患者可见腹痛", s, o, vocab, 64)
    tokens = [vocab.tokens[i] for i in ids]
    assert tokens[:4] == ["<S>", "胃", "炎", "</S>"] and tokens[-1] == "</O>"
    assert [tokens[p] for p in spans] == list(MARKERS)
    ids, spans = mark("胃炎患者可见腹痛", o.__class__(6, 8, "腹痛", "症状"), s, vocab, 64)
    assert [vocab.tokens[ids[p]] for p in spans] == list(MARKERS)  # object first in the text
    long_text = "胃炎" + "中" * 400 + "腹痛"
    ids, spans = mark(long_text, s, Mention(402, 404, "腹痛", "症状"), vocab, 40)
    assert len(ids) == 40 and vocab.tokens[ids[spans[0]]] == "<S>" and vocab.tokens[ids[spans[2]]] == "<O>"
    with pytest.raises(ValueError, match="overlap"):
        mark("胃炎", s, Mention(1, 2, "炎", "症状"), vocab, 40)


def _tiny(epochs: int = 2, pooling: str = "start", pairing: str = "markers") -> RelationConfig:
    return RelationConfig(encoder=RelationEncoderConfig(dim=8), lstm_hidden=16, ffnn_hidden=16, dropout=0.0,
                          pooling=pooling, pairing=pairing,
                          train=RelationTrainConfig(epochs=epochs, batch_size=4, lr=1e-2, seed=1))


def test_train_save_load_predict_round_trip(tmp_path):
    torch.set_num_threads(1)
    train, texts = _toy(6)
    val, val_texts = _toy()
    result = train_relations(_tiny(), SCHEMA, train, texts, val, val_texts, out_dir=tmp_path / "rel")
    assert result.epochs_run == 2 and result.best_val_f1 > 0.9, result.history
    predicted = result.classifier.predict(val, val_texts)
    loaded = load_relation_classifier(tmp_path / "rel")
    assert loaded.predict(val, val_texts) == predicted
    assert loaded.threshold == result.threshold and loaded.labels[0] == NONE
    assert score_candidates([c.label for c in val], predicted).micro.f1 > 0.9
    assert json.loads((tmp_path / "rel" / "train_result.json").read_text(encoding="utf-8"))["best_epoch"] >= 1
    assert loaded.predict([], {}) == []
    # a disallowed signature can only be none
    drug = Candidate("d", Mention(0, 2, "胃炎", "疾病"), Mention(3, 5, "腹痛", "药物"))
    assert loaded.predict([drug], {"d": "胃炎可见腹痛"}) in ([NONE], ["药物治疗"])


def test_mean_pooling_and_pretrained_vectors(tmp_path):
    from extractor.pretrain_emb import CharVectors

    train, texts = _toy()
    chars = CharVocab.build(texts.values())
    vectors = CharVectors(chars, np.random.default_rng(0).normal(size=(len(chars), 8)).astype(np.float32),
                          CharVocab.build([], bigrams=True), np.zeros((5, 8), np.float32), {})
    result = train_relations(_tiny(1, "start+mean"), SCHEMA, train, texts, [], {}, pretrained=vectors)
    assert result.classifier.vocab.tokens[:len(chars)] == chars.tokens
    assert len(result.classifier.predict(train, texts)) == len(train)


def test_checkpoint_version_mismatch(tmp_path):
    train, texts = _toy()
    result = train_relations(_tiny(1), SCHEMA, train, texts, [], {})
    folder = save_relation_classifier(result.classifier, tmp_path / "rel")
    meta = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    meta["relation_checkpoint_version"] = 999
    (folder / "config.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(RelationCheckpointError, match="version 999"):
        load_relation_classifier(folder)
    (folder / "vocab.json").unlink()
    with pytest.raises(RelationCheckpointError, match="missing vocab.json"):
        load_relation_classifier(folder)
    with pytest.raises(RelationCheckpointError, match="no such directory"):
        load_relation_classifier(tmp_path / "nowhere")


def test_many_mentions_stay_bounded():
    train, texts = _toy()
    clf = train_relations(_tiny(1), SCHEMA, train, texts, [], {}).classifier
    text = "".join(chr(0x4E00 + i) for i in range(1000))
    ms = [Mention(2 * i, 2 * i + 1, text[2 * i], "疾病" if i % 2 else "症状") for i in range(500)]
    cands = build_candidates("big", text, ms, SCHEMA, max_pairs=clf.config.max_pairs // 16)
    assert len(cands) == 64
    assert len(clf.predict(cands, {"big": text})) == 64


def test_transformers_encoder_round_trip(tmp_path):
    pytest.importorskip("transformers")
    train, texts = _toy()
    bert = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32,
            "max_position_embeddings": 64}
    cfg = RelationConfig(encoder=RelationEncoderConfig(kind="transformers", bert_config=bert), lstm_layers=0,
                         max_len=60, ffnn_hidden=16, train=RelationTrainConfig(epochs=1, batch_size=8))
    clf = train_relations(cfg, SCHEMA, train, texts, [], {}).classifier
    loaded = load_relation_classifier(save_relation_classifier(clf, tmp_path / "tf"))
    assert loaded.predict(train, texts) == clf.predict(train, texts)


def test_gap_bucket_and_shared_window():
    assert gap_bucket(0, 2, 2, 4) == GAP_BUCKETS + 1  # adjacent, object after
    assert gap_bucket(2, 4, 0, 2) == GAP_BUCKETS - 1  # adjacent, object before
    assert gap_bucket(0, 2, 3, 5) < gap_bucket(0, 2, 6, 8) < gap_bucket(0, 2, 500, 502) == 2 * GAP_BUCKETS
    assert gap_bucket(500, 502, 0, 2) == 0
    assert shared_window(100, 5, 90, 100) == (0, 100)
    lo, hi = shared_window(1000, 510, 530, 64)
    assert (lo, hi) == (496, 560) and lo <= 510 and 530 <= hi
    assert shared_window(1000, 990, 999, 64) == (936, 1000)


@pytest.mark.parametrize("pooling", ["start", "start+mean"])
def test_shared_pairing_trains_and_round_trips(tmp_path, pooling):
    torch.set_num_threads(1)
    train, texts = _toy(6)
    val, val_texts = _toy()
    result = train_relations(_tiny(3, pooling, "shared"), SCHEMA, train, texts, val, val_texts,
                             out_dir=tmp_path / "rel")
    assert isinstance(result.classifier.module, SharedPairModule)
    assert result.best_val_f1 > 0.9, result.history
    loaded = load_relation_classifier(tmp_path / "rel")
    assert loaded.config.pairing == "shared" and isinstance(loaded.module, SharedPairModule)
    assert loaded.predict(val, val_texts) == result.classifier.predict(val, val_texts)
    assert torch.allclose(torch.from_numpy(loaded.predict_proba(val, val_texts)),
                          torch.from_numpy(result.classifier.predict_proba(val, val_texts)))


def test_epoch_lines_go_to_stderr_and_leave_stdout_to_the_caller(capsys):
    """``medkg train --json`` prints one JSON object on stdout; the relation step's epoch lines went there too."""
    torch.set_num_threads(1)
    train, texts = _toy(2)
    val, val_texts = _toy()
    train_relations(_tiny(2), SCHEMA, train, texts, val, val_texts, progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert [json.loads(line)["epoch"] for line in err.splitlines()] == [1, 2]


def test_shared_pairing_encodes_each_sentence_once():
    train, texts = _toy()
    clf = train_relations(_tiny(1, pairing="shared"), SCHEMA, train, texts, [], {}).classifier
    text = "胃炎患者可见腹痛、咳嗽、发热与乏力，肺炎常由头痛引起。"
    ms = [Mention(text.index(w), text.index(w) + 2, w, "疾病" if w.endswith("炎") else "症状")
          for w in ("胃炎", "腹痛", "咳嗽", "发热", "乏力", "肺炎", "头痛")]
    cands = build_candidates("s", text, ms, SCHEMA)
    assert len(cands) == 10  # 2 diseases x 5 symptoms (symptom -> disease is not in the schema)
    rows = clf.encode_all(cands, {"s": text})
    ids, lengths, pairs, types = shared_tensors(rows, clf.vocab.pad_id, clf.device)
    assert ids.shape[0] == 1 and int(lengths[0]) == len(text)  # one sentence row for ten candidates
    for c, (_, s0, s1, o0, o1, _gap) in zip(cands, pairs.tolist(), strict=True):
        assert text[s0:s1] == c.subject.text and text[o0:o1] == c.object.text
    assert types[:, 0].tolist() == [clf.type_index["疾病"]] * 10
    calls = []
    hook = clf.module.encoder.register_forward_hook(lambda m, a, out: calls.append(a[0].shape[0]))
    try:
        clf.predict(cands, {"s": text}, batch_size=64)
    finally:
        hook.remove()
    assert calls == [1]
    # the same candidates one by one give the same probabilities as the shared batch
    together = clf.predict_proba(cands, {"s": text})
    alone = [clf.predict_proba([c], {"s": text})[0] for c in cands]
    assert torch.allclose(torch.from_numpy(together), torch.from_numpy(np.stack(alone)), atol=1e-5)


def test_shared_pairing_long_sentence_windows():
    train, texts = _toy()
    clf = train_relations(_tiny(1, pairing="shared").model_copy(update={"max_len": 32}), SCHEMA, train, texts,
                          [], {}).classifier
    text = "无" * 100 + "胃炎患者可见腹痛" + "无" * 100
    far = Candidate("x", Mention(100, 102, "胃炎", "疾病"), Mention(106, 108, "腹痛", "症状"))
    spread = Candidate("x", Mention(0, 2, "无无", "疾病"), Mention(200, 202, "无无", "症状"))
    (key, ids, pos, _), (_, ids2, pos2, _) = clf.encode_all([far, spread], {"x": text})
    assert len(ids) == 32 and key == ("x", 96, 128)
    s0, s1, o0, o1 = pos
    assert ids[s0:s1] == tuple(clf.vocab.encode("胃炎")) and ids[o0:o1] == tuple(clf.vocab.encode("腹痛"))
    assert len(ids2) == 32 and 0 <= pos2[2] < pos2[3] <= 32  # clipped into its window, still a span
    assert len(clf.predict([far, spread], {"x": text})) == 2


def test_a_users_checkpoint_keeps_its_vocabulary_and_markers_come_after(tmp_path):
    """Relations on a saved BERT without vocab_path: the checkpoint's ids, the four markers appended."""
    pytest.importorskip("transformers")
    from transformers import BertConfig, BertModel

    train, texts = _toy()
    chars = sorted({c for t in texts.values() for c in t})
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "丙", *reversed(chars)]
    BertModel(BertConfig(vocab_size=len(tokens), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=32, max_position_embeddings=64), add_pooling_layer=False
              ).save_pretrained(tmp_path / "ckpt")
    (tmp_path / "ckpt" / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    cfg = RelationConfig(encoder=RelationEncoderConfig(kind="transformers", name_or_path=str(tmp_path / "ckpt")),
                         lstm_layers=0, max_len=60, ffnn_hidden=16, train=RelationTrainConfig(epochs=1, batch_size=8))
    clf = train_relations(cfg, SCHEMA, train, texts, [], {}).classifier
    assert clf.vocab.tokens == [*tokens, *MARKERS]
    seen = []
    hook = clf.module.encoder.model.get_input_embeddings().register_forward_hook(
        lambda module, args, output: seen.append(args[0][0].tolist()))
    try:
        clf.predict(train[:1], texts)
    finally:
        hook.remove()
    ids, _ = mark(texts[train[0].sentence_id], train[0].subject, train[0].object, clf.vocab, 60)
    assert seen[0][1:len(ids) + 1] == ids
    text_ids = [i for i in ids if i < len(tokens)]
    assert text_ids == [tokens.index(c) for c in texts[train[0].sentence_id]]  # the checkpoint's id of each char
