"""Several annotation schemas in one tagger: heads per schema, a shared span head, nested spans, checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from extractor.batching import collate
from extractor.checkpoint import CheckpointError, load_tagger
from extractor.config import EncoderConfig, FeatureConfig, HeadConfig, SchemaConfig, TaggerConfig, TrainConfig
from extractor.data import Example, Span
from extractor.module import SHARED, head_specs
from extractor.spanhead import SpanHead, span_loss, span_targets
from extractor.train import _batch_loss, _train_windows, by_schema, train_tagger

# Two schemas of one world: "rec" annotates diseases and drugs, "sym" symptoms and body parts (nested:
# 左下腹 inside 左下腹压痛). Neither annotates the other's types.
REC = SchemaConfig(name="rec", types=("Disease", "Drug"), mention_types={"Disease": "Disease", "Drug": "Drug"})
SYM = SchemaConfig(name="sym", types=("症状", "部位"), mention_types={"症状": "Symptom", "部位": "Anatomy"})

_REC_RAW = [
    ("患者糖尿病十年，口服二甲双胍。", [("糖尿病", "Disease"), ("二甲双胍", "Drug")]),
    ("既往高血压，服用硝苯地平。", [("高血压", "Disease"), ("硝苯地平", "Drug")]),
    ("诊断胃癌，予奥沙利铂化疗。", [("胃癌", "Disease"), ("奥沙利铂", "Drug")]),
    ("糖尿病患者注射胰岛素。", [("糖尿病", "Disease"), ("胰岛素", "Drug")]),
]
_SYM_RAW = [
    ("查体左下腹压痛，无反跳痛。", [("左下腹压痛", "症状"), ("左下腹", "部位"), ("反跳痛", "症状")]),
    ("患者诉头痛，伴恶心。", [("头痛", "症状"), ("头", "部位"), ("恶心", "症状")]),
    ("右下腹压痛明显。", [("右下腹压痛", "症状"), ("右下腹", "部位")]),
    ("左下腹压痛，头痛。", [("左下腹压痛", "症状"), ("左下腹", "部位"), ("头痛", "症状"), ("头", "部位")]),
]


def _records(raw: list[tuple[str, list[tuple[str, str]]]], prefix: str, copies: int = 3) -> list[Example]:
    out = []
    for i, (text, mentions) in enumerate(raw * copies):
        spans = []
        for mention, kind in mentions:
            start = text.index(mention)
            spans.append(Span(start, start + len(mention), kind))
        out.append(Example(f"{prefix}{i}", text, tuple(sorted(spans, key=lambda s: (s.start, s.end)))))
    return out


def _config(output: str = "crf", shared: bool = False, schemas: tuple[SchemaConfig, ...] = (REC, SYM),
            epochs: int = 40) -> TaggerConfig:
    return TaggerConfig(
        types=("Disease", "Drug", "Symptom", "Anatomy") if schemas else ("症状", "部位"),
        schema_name="sym", schemas=schemas,
        encoder=EncoderConfig(kind="char", dim=16, window=32, overlap=4),
        features=FeatureConfig(kg=False, bioes=False, category=False, semantic=False),
        head=HeadConfig(lstm_layers=1, lstm_hidden=24, dropout=0.0, output=output, shared=shared,  # type: ignore[arg-type]
                        span_dim=16, max_span=8),
        train=TrainConfig(epochs=epochs, batch_size=4, lr_encoder=0.02, lr_head=0.02, dev_fraction=0.0,
                          patience=epochs, threads=1, seed=3))


@pytest.fixture(scope="module")
def corpora() -> dict[str, list[Example]]:
    return {"rec": _records(_REC_RAW, "r"), "sym": _records(_SYM_RAW, "s")}


def _dev(corpora: dict[str, list[Example]]) -> dict[str, list[Example]]:
    return {name: recs[:4] for name, recs in corpora.items()}


def test_head_specs_per_schema_and_shared() -> None:
    assert [(s.key, s.types) for s in head_specs(_config())] == [("rec", REC.types), ("sym", SYM.types)]
    (shared,) = head_specs(_config("span", shared=True))
    assert shared.key == SHARED and shared.types == ("Disease", "Drug", "Symptom", "Anatomy")
    assert shared.schemas == {"rec": (0, 1), "sym": (2, 3)}
    (one,) = head_specs(_config(schemas=()))
    assert one.key == "sym" and one.schemas == {"sym": (0, 1)}


def test_config_refuses_a_shared_crf_and_unknown_emitted_types() -> None:
    with pytest.raises(ValueError, match="shared CRF"):
        _config("crf", shared=True)
    with pytest.raises(ValueError, match="shared CRF"):
        _config("span", shared=True, schemas=(REC.model_copy(update={"output": "crf"}), SYM))
    with pytest.raises(ValueError, match="emitted types"):
        SchemaConfig(name="x", types=("a",), mention_types={"a": "Disease"}, emit=("b",))


def test_records_must_match_the_schemas(corpora: dict[str, list[Example]]) -> None:
    config = _config()
    with pytest.raises(ValueError, match="records per schema"):
        by_schema(config, corpora["rec"])
    with pytest.raises(ValueError, match="the model's schemas"):
        by_schema(config, {"rec": corpora["rec"]})
    bad = {"rec": corpora["rec"], "sym": [Example("x", "头痛", (Span(0, 2, "Disease"),))]}
    with pytest.raises(ValueError, match=r"record x \(sym\): span types \['Disease'\]"):
        train_tagger(config, bad, "unused-dir-not-created", dev=bad)


@pytest.mark.parametrize("output,shared", [("crf", False), ("span", False), ("span", True), ("mixed", False)])
def test_every_output_side_learns_both_schemas(tmp_path: Path, corpora: dict[str, list[Example]],
                                               output: str, shared: bool) -> None:
    """CRF heads, span heads, one shared span head, and mixed (a CRF for the flat corpus, a span head for
    the nested one)."""
    if output == "mixed":
        config = _config("crf", schemas=(REC, SYM.model_copy(update={"output": "span"})))
        output = "span"
        assert [s.output for s in head_specs(config)] == ["crf", "span"]
    else:
        config = _config(output, shared)
    result = train_tagger(config, corpora, tmp_path / "m", dev=_dev(corpora))
    assert result.history[-1]["dev_f1_per_schema"].keys() == {"rec", "sym"}
    tagger = load_tagger(tmp_path / "m", threads=1)
    assert tagger.schemas == ("rec", "sym")
    texts = ["患者糖尿病十年，口服二甲双胍。", "查体左下腹压痛，无反跳痛。"]

    def found(schema: str | None) -> set[tuple[str, str]]:
        return {(text[s.start:s.end], s.type) for text, spans in zip(texts, tagger.predict(texts, schema=schema),
                                                                     strict=True) for s in spans}

    rec, sym, merged = found("rec"), found("sym"), found(None)
    assert {("糖尿病", "Disease"), ("二甲双胍", "Drug")} <= rec
    assert all(kind in REC.types for _, kind in rec) and all(kind in SYM.types for _, kind in sym)
    assert ("左下腹压痛", "症状") in sym
    assert {("糖尿病", "Disease"), ("二甲双胍", "Drug"), ("左下腹压痛", "Symptom")} <= merged
    if output == "span":  # a span head keeps the nested body part as a mention of its own
        assert ("左下腹", "部位") in sym and tagger.nested("sym")
        # (the toy shared head calls 左下腹 a Disease too: "rec" never shows it a negative there, and
        # the merge keeps the earlier schema's type of an identical span)
        assert shared or ("左下腹", "Anatomy") in merged
    with pytest.raises(ValueError, match="not for 'cmeee'"):
        tagger.predict(texts, schema="cmeee")


def test_crf_head_cannot_keep_nested_spans_but_the_span_head_does(tmp_path: Path,
                                                                   corpora: dict[str, list[Example]]) -> None:
    """The nested-span path: the same one-schema data through a CRF head and a span head."""
    sym = {"sym": corpora["sym"]}
    found = {}
    for output in ("crf", "span"):
        train_tagger(_config(output, schemas=()), sym["sym"], tmp_path / output, dev=sym["sym"][:4])
        tagger = load_tagger(tmp_path / output, threads=1)
        text = "查体左下腹压痛。"
        found[output] = {(text[s.start:s.end], s.type) for s in tagger.predict([text])[0]}
    assert ("左下腹压痛", "症状") in found["span"] and ("左下腹", "部位") in found["span"]
    assert not {("左下腹压痛", "症状"), ("左下腹", "部位")} <= found["crf"]


def test_span_loss_ignores_the_types_a_corpus_does_not_annotate() -> None:
    """The partial-annotation rule: scores of a masked-off type change nothing, of a known type do."""
    torch.manual_seed(0)
    scores = torch.randn(2, 3, 5, 5)
    target = torch.zeros(2, 3, 5, 5)
    target[0, 0, 1, 2] = 1.0
    known = torch.tensor([[True, False, False], [True, False, False]])
    changed = scores.clone()
    changed[:, 1:] += 5.0
    assert torch.equal(span_loss(scores, target, known), span_loss(changed, target, known))
    assert not torch.equal(span_loss(scores, target), span_loss(changed, target))
    changed[:, 0] += 5.0
    assert not torch.equal(span_loss(scores, target, known), span_loss(changed, target, known))


def test_shared_head_gets_no_gradient_for_types_the_batch_schema_lacks(tmp_path: Path,
                                                                      corpora: dict[str, list[Example]]) -> None:
    config = _config("span", shared=True, epochs=1)
    train_tagger(config, corpora, tmp_path / "m", dev=_dev(corpora))
    tagger = load_tagger(tmp_path / "m", threads=1)
    tagger.module.train()
    items = [w for w in _train_windows(tagger, {"sym": corpora["sym"]})][:4]
    batch = collate(items, tagger.kg_table(), tagger.device)
    tagger.module.zero_grad()
    _batch_loss(tagger, items, batch).backward()
    head = tagger.module.heads[SHARED]
    assert isinstance(head, SpanHead)
    grad = head.bias.weight.grad  # rows 2t, 2t+1: start and end bias of type t
    assert grad is not None
    rec_rows = [0, 1, 2, 3]  # Disease, Drug: "sym" does not annotate them
    assert torch.count_nonzero(grad[rec_rows]) == 0
    assert torch.count_nonzero(grad[4:]) > 0


def test_span_targets_mark_start_and_inclusive_end() -> None:
    target = span_targets([((1, 3, 0),), ()], 2, 5, torch.device("cpu"))
    assert target.shape == (2, 2, 5, 5) and target.sum() == 1 and target[0, 0, 1, 2] == 1
    head = SpanHead(4, 1, dim=4, max_span=2)
    scores = head(torch.zeros(1, 4, 4), torch.tensor([[True, True, True, False]]))
    valid = scores[0, 0] > -1e11
    assert valid.tolist() == [[True, True, False, False], [False, True, True, False],
                              [False, False, True, False], [False, False, False, False]]
    # a gold span longer than max_span (its pair masked) adds nothing: the loss stays that of the rest
    short, long = span_targets([((1, 3, 0),)], 1, 4, torch.device("cpu")), span_targets([((1, 3, 0), (0, 3, 0))], 1, 4,
                                                                                        torch.device("cpu"))
    assert float(span_loss(scores, long)) == pytest.approx(float(span_loss(scores, short)))
    assert float(span_loss(scores, long)) < 10


def test_checkpoint_versions(tmp_path: Path, corpora: dict[str, list[Example]]) -> None:
    """A version-1 checkpoint (one CRF head, no schema fields) still loads; a newer one is refused."""
    out = tmp_path / "one"
    train_tagger(_config(schemas=(), epochs=2), corpora["sym"], out, dev=corpora["sym"][:4])
    meta = json.loads((out / "config.json").read_text(encoding="utf-8"))
    text = "查体左下腹压痛。"
    before = load_tagger(out, threads=1).predict([text])
    old = dict(meta, checkpoint_version=1)
    for key in ("schema_name", "schemas"):
        old["config"].pop(key)
    for key in ("output", "shared", "span_dim", "max_span"):
        old["config"]["head"].pop(key)
    (out / "config.json").write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    legacy = load_tagger(out, threads=1)
    assert legacy.schemas == ("ccks2019",) and legacy.predict([text]) == before
    (out / "config.json").write_text(json.dumps(dict(meta, checkpoint_version=3), ensure_ascii=False),
                                     encoding="utf-8")
    with pytest.raises(CheckpointError, match="newer than this medkg reads.*upgrade medkg"):
        load_tagger(out)
    (out / "config.json").write_text(json.dumps(dict(meta, checkpoint_version=0), ensure_ascii=False),
                                     encoding="utf-8")
    with pytest.raises(CheckpointError, match="Retrain"):
        load_tagger(out)


def test_tagger_plugin_reports_a_one_schema_corpus_model_in_mention_types(tmp_path: Path,
                                                                          corpora: dict[str, list[Example]]) -> None:
    """A CCKS 2017 one-schema checkpoint: the plugin says Symptom and Anatomy, as the graph's types are."""
    from extractor.plugin import ExtractionRecord
    from extractor.plugins.tagger import TaggerPlugin

    rename = {"症状": "症状和体征", "部位": "身体部位"}
    records = [Example(ex.id, ex.text, tuple(Span(s.start, s.end, rename[s.type]) for s in ex.spans))
               for ex in corpora["sym"]]
    config = _config(schemas=(), epochs=30).model_copy(update={"types": ("症状和体征", "身体部位"),
                                                               "schema_name": "ccks2017"})
    train_tagger(config, records, tmp_path / "m", dev=records[:4])
    (result,) = TaggerPlugin(tmp_path / "m").extract([ExtractionRecord("r", "查体左下腹压痛，无反跳痛。")])
    assert {s.type for s in result.spans} <= {"Symptom", "Anatomy"} and ("左下腹压痛", "Symptom") in {
        (s.text, s.type) for s in result.spans}
