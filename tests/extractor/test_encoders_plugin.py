import json

import pytest

from extractor.checkpoint import load_tagger
from extractor.config import EncoderConfig, FeatureConfig
from extractor.plugin import ExtractionPlugin, ExtractionRecord, RecordResult, TaggerPlugin
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


def test_pretrained_vectors_feed_the_char_encoder(tiny, tmp_path, examples, concepts, kg):
    vectors = pretrain_char_vectors([ex.text for ex in examples] * 5,
                                    EmbeddingPretrainConfig(dim=16, steps=20, batch_size=64, min_char_count=1,
                                                            min_bigram_count=1), progress=False)
    vectors.save(tmp_path / "v.npz")
    vectors = CharVectors.load(tmp_path / "v.npz")
    cfg = tiny(epochs=1)
    cfg = cfg.model_copy(update={"features": cfg.features.model_copy(update={"bigram_dim": 16})})
    train_tagger(cfg, examples, tmp_path / "m", concepts=concepts, kg=kg, pretrained=vectors, progress=False)
    assert load_tagger(tmp_path / "m", threads=None).vocab.tokens == vectors.chars.tokens


def test_transformers_encoder_from_own_mlm(tiny, tmp_path, examples, concepts, kg):
    texts = [ex.text for ex in examples] * 3
    mlm = MlmConfig(layers=1, hidden=16, heads=2, seq_len=24, batch_size=4, steps=2, warmup=1, save_every=1,
                    min_char_count=1)
    out = pretrain_mlm(texts, tmp_path / "bert", mlm, progress=False)
    assert out["step"] == 2
    assert pretrain_mlm(texts, tmp_path / "bert", mlm.model_copy(update={"steps": 3}), progress=False)["step"] == 3
    cfg = tiny(epochs=1, lr_encoder=1e-3)
    cfg = cfg.model_copy(update={
        "encoder": EncoderConfig(kind="transformers", name_or_path=str(tmp_path / "bert"),
                                 vocab_path=str(tmp_path / "bert" / "vocab.txt"), window=16, overlap=4),
        "features": FeatureConfig(kg=True, kg_proj_dim=8, feature_dim=4, semantic=False)})
    train_tagger(cfg, examples, tmp_path / "m", concepts=concepts, kg=kg, progress=False)
    tagger = load_tagger(tmp_path / "m", threads=None)
    long_text = "胃癌😀" * 40
    assert all(0 <= s.start < s.end <= len(long_text) for s in tagger.predict([long_text])[0])


def test_random_tiny_bert_config(tiny, tmp_path, examples, concepts, kg):
    cfg = tiny(epochs=1)
    cfg = cfg.model_copy(update={
        "encoder": EncoderConfig(kind="transformers", bert_config={
            "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32,
            "max_position_embeddings": 20}, window=64, overlap=4)})
    train_tagger(cfg, examples[:8], tmp_path, concepts=concepts, kg=kg, progress=False)
    tagger = load_tagger(tmp_path, threads=None)
    assert tagger.window == 18  # bounded by the encoder's 20 positions minus [CLS]/[SEP]
    assert isinstance(tagger.predict(["胃癌" * 30])[0], list)


def test_unknown_config_keys_are_rejected():
    with pytest.raises(ValueError):
        EncoderConfig(kind="char", colour="blue")  # type: ignore[call-arg]
