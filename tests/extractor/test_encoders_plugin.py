import json

import pytest
import torch

from extractor.checkpoint import load_tagger
from extractor.config import EncoderConfig, FeatureConfig
from extractor.plugin import ExtractionPlugin, ExtractionRecord, RecordResult
from extractor.plugins.tagger import TaggerPlugin
from extractor.pretrain_emb import CharVectors, EmbeddingPretrainConfig, pretrain_char_vectors
from extractor.pretrain_mlm import MlmConfig, pretrain_mlm
from extractor.train import train_tagger


def test_plugin_extracts_typed_spans(trained):
    plugin = TaggerPlugin(trained[0])
    assert isinstance(plugin, ExtractionPlugin) and plugin.kind == "ner"
    results = plugin.extract([ExtractionRecord("a", "患者因胃癌行胃大部切除术"), {"id": "b", "text": ""}])
    assert [r.record_id for r in results] == ["a", "b"] and isinstance(results[0], RecordResult)
    assert results[1].spans == ()
    for span in results[0].spans:
        assert span.text == "患者因胃癌行胃大部切除术"[span.start:span.end]
    json.dumps(plugin.config)


def test_plugin_finds_the_spans_it_was_trained_on(learned, examples):
    """The plugin on a model trained to find the fixture's spans: most gold spans come back exactly."""
    plugin = TaggerPlugin(learned)
    records = [ExtractionRecord(ex.id, ex.text) for ex in examples]
    results = plugin.extract(records)
    gold = {(ex.id, s.start, s.end, s.type) for ex in examples for s in ex.spans}
    found = {(r.record_id, s.start, s.end, s.type) for r in results for s in r.spans}
    assert len(gold & found) >= 0.6 * len(gold) and len(gold) >= 10
    text = {ex.id: ex.text for ex in examples}
    for r in results:
        for s in r.spans:
            assert s.text == text[r.record_id][s.start:s.end] and 0.0 < s.score <= 1.0 + 1e-6


def test_pretrained_vectors_feed_the_char_encoder(tiny, tmp_path, examples, concepts, kg):
    vectors = pretrain_char_vectors([ex.text for ex in examples] * 5,
                                    EmbeddingPretrainConfig(dim=16, steps=20, batch_size=64, min_char_count=1,
                                                            min_bigram_count=1))
    vectors.save(tmp_path / "v.npz")
    vectors = CharVectors.load(tmp_path / "v.npz")
    cfg = tiny(epochs=1)
    cfg = cfg.model_copy(update={"features": cfg.features.model_copy(update={"bigram_dim": 16})})
    train_tagger(cfg, examples, tmp_path / "m", concepts=concepts, kg=kg, pretrained=vectors)
    assert load_tagger(tmp_path / "m", threads=None).vocab.tokens == vectors.chars.tokens


def test_transformers_encoder_from_own_mlm(tiny, tmp_path, examples, concepts, kg):
    texts = [ex.text for ex in examples] * 3
    mlm = MlmConfig(layers=1, hidden=16, heads=2, seq_len=24, batch_size=4, steps=2, warmup=1, save_every=1,
                    min_char_count=1)
    out = pretrain_mlm(texts, tmp_path / "bert", mlm)
    assert out["step"] == 2
    assert pretrain_mlm(texts, tmp_path / "bert", mlm.model_copy(update={"steps": 3}))["step"] == 3
    cfg = tiny(epochs=1, lr_encoder=1e-3)
    cfg = cfg.model_copy(update={
        "encoder": EncoderConfig(kind="transformers", name_or_path=str(tmp_path / "bert"),
                                 vocab_path=str(tmp_path / "bert" / "vocab.txt"), window=16, overlap=4),
        "features": FeatureConfig(kg=True, kg_proj_dim=8, feature_dim=4, semantic=False)})
    train_tagger(cfg, examples, tmp_path / "m", concepts=concepts, kg=kg)
    tagger = load_tagger(tmp_path / "m", threads=None)
    long_text = "胃癌😀" * 40
    assert all(0 <= s.start < s.end <= len(long_text) for s in tagger.predict([long_text])[0])
    # through the BERT path too, offsets are code points: astral characters and their one-character
    # BMP placeholders both read as [UNK], so the spans must be identical (windows included: 120 chars)
    assert tagger.vocab.id_of("😀") == tagger.vocab.id_of("□") == tagger.vocab.unk_id
    for ex in examples[:3]:
        wide, narrow = "😀𠀀" + ex.text + "😀" + ex.text, "□□" + ex.text + "□" + ex.text
        assert [(s.start, s.end, s.type) for s in tagger.predict([wide])[0]] == [
            (s.start, s.end, s.type) for s in tagger.predict([narrow])[0]]


def test_random_tiny_bert_config(tiny, tmp_path, examples, concepts, kg):
    cfg = tiny(epochs=1)
    cfg = cfg.model_copy(update={
        "encoder": EncoderConfig(kind="transformers", bert_config={
            "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32,
            "max_position_embeddings": 20}, window=64, overlap=4)})
    train_tagger(cfg, examples[:8], tmp_path, concepts=concepts, kg=kg)
    tagger = load_tagger(tmp_path, threads=None)
    assert tagger.window == 18  # bounded by the encoder's 20 positions minus [CLS]/[SEP]
    assert isinstance(tagger.predict(["胃癌" * 30])[0], list)


def test_unknown_config_keys_are_rejected():
    with pytest.raises(ValueError):
        EncoderConfig(kind="char", colour="blue")  # type: ignore[call-arg]


def _tiny_checkpoint(folder, tokens):
    """A small BERT saved by save_pretrained, with a vocab.txt in an order unlike the training text's."""
    from transformers import BertConfig, BertModel

    model = BertModel(BertConfig(vocab_size=len(tokens), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                 intermediate_size=32, max_position_embeddings=64), add_pooling_layer=False)
    model.save_pretrained(folder)
    (folder / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    return model


def test_a_users_checkpoint_reads_its_own_vocabulary(tiny, tmp_path, examples, concepts, kg):
    """No vocab_path: the ids the model sees are the checkpoint's ids, not a vocabulary built from the text."""
    text_chars = sorted({c for ex in examples for c in ex.text})
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "甲", "乙", *reversed(text_chars)]
    _tiny_checkpoint(tmp_path / "ckpt", tokens)
    cfg = tiny(epochs=1)
    cfg = cfg.model_copy(update={"encoder": EncoderConfig(kind="transformers", name_or_path=str(tmp_path / "ckpt"),
                                                          window=16, overlap=4)})
    train_tagger(cfg, examples[:6], tmp_path / "m", concepts=concepts, kg=kg)
    tagger = load_tagger(tmp_path / "m", threads=None)
    assert tagger.vocab.tokens == tokens
    seen = []
    embeddings = tagger.module.encoder.model.get_input_embeddings()
    hook = embeddings.register_forward_hook(lambda module, args, output: seen.append(args[0].clone()))
    try:
        text = examples[0].text[:10]
        tagger.predict([text])
    finally:
        hook.remove()
    ids = seen[0][0].tolist()
    assert ids[0] == tokens.index("[CLS]") and ids[len(text) + 1] == tokens.index("[SEP]")
    assert ids[1:len(text) + 1] == [tokens.index(c) for c in text]  # the checkpoint's id of every character


def test_a_vocab_path_that_does_not_fit_the_checkpoint_is_refused(tiny, tmp_path, examples, concepts, kg):
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted({c for ex in examples for c in ex.text})]
    _tiny_checkpoint(tmp_path / "ckpt", tokens)
    short = tmp_path / "short.txt"
    short.write_text("\n".join(tokens[:-3]) + "\n", encoding="utf-8")
    cfg = tiny(epochs=1)
    cfg = cfg.model_copy(update={"encoder": EncoderConfig(kind="transformers", name_or_path=str(tmp_path / "ckpt"),
                                                          vocab_path=str(short), window=16, overlap=4)})
    with pytest.raises(ValueError, match=f"has {len(tokens) - 3} entries but .* has {len(tokens)} input embeddings"):
        train_tagger(cfg, examples[:6], tmp_path / "m", concepts=concepts, kg=kg)


def test_mlm_under_bf16_autocast_keeps_float32_weights_and_refuses_a_missing_gpu(tmp_path, examples):
    texts = [ex.text for ex in examples] * 3
    mlm = MlmConfig(layers=1, hidden=16, heads=2, seq_len=24, batch_size=4, steps=2, warmup=1, min_char_count=1,
                    bf16=True)
    out = pretrain_mlm(texts, tmp_path / "bert", mlm)
    assert out["step"] == 2 and out["loss"] == out["loss"]  # a number, not NaN
    from transformers import BertForMaskedLM

    assert {p.dtype for p in BertForMaskedLM.from_pretrained(tmp_path / "bert").parameters()} == {torch.float32}
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="torch sees no CUDA device"):
            pretrain_mlm(texts, tmp_path / "gpu", mlm.model_copy(update={"device": "cuda"}))
