"""Span-head decision thresholds and nesting margins: decoding at them, one-pass prediction at many,
calibration on validation, and their way through training and the checkpoint."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
import torch

from extractor.calibrate import NEST_MARGIN_GRID, THRESHOLD_GRID, calibrate_span_thresholds
from extractor.checkpoint import CheckpointError, load_tagger, write_span_thresholds
from extractor.config import EncoderConfig, FeatureConfig, HeadConfig, TaggerConfig, TrainConfig
from extractor.data import Example, Span
from extractor.predict import Tagger
from extractor.scoring import score_spans
from extractor.spanhead import decode_spans, spans_above
from extractor.train import train_tagger
from extractor.windows import drop_crossing

_RAW = [
    ("查体左下腹压痛，无反跳痛。", [("左下腹压痛", "症状"), ("左下腹", "部位"), ("反跳痛", "症状")]),
    ("患者诉头痛，伴恶心。", [("头痛", "症状"), ("头", "部位"), ("恶心", "症状")]),
    ("右下腹压痛明显。", [("右下腹压痛", "症状"), ("右下腹", "部位")]),
    ("左下腹压痛，头痛。", [("左下腹压痛", "症状"), ("左下腹", "部位"), ("头痛", "症状"), ("头", "部位")]),
]
# longer than one 32-character window: the overlapping windows' spans are merged
_LONG = "患者诉头痛三天，伴恶心，查体左下腹压痛，无反跳痛，右下腹压痛明显，余未见异常，头痛加重时恶心。"


def _examples(copies: int = 3) -> list[Example]:
    out = []
    for i, (text, mentions) in enumerate(_RAW * copies):
        spans = sorted((Span(text.index(m), text.index(m) + len(m), kind) for m, kind in mentions),
                       key=lambda s: (s.start, s.end))
        out.append(Example(f"s{i}", text, tuple(spans)))
    return out


def _config(output: str = "span", epochs: int = 25, calibrate: bool = True) -> TaggerConfig:
    return TaggerConfig(
        types=("症状", "部位"), schema_name="sym",
        encoder=EncoderConfig(kind="char", dim=16, window=32, overlap=4),
        features=FeatureConfig(kg=False, bioes=False, category=False, semantic=False),
        head=HeadConfig(lstm_layers=1, lstm_hidden=24, dropout=0.0, output=output,  # type: ignore[arg-type]
                        span_dim=16, max_span=8),
        train=TrainConfig(epochs=epochs, batch_size=4, lr_encoder=0.02, lr_head=0.02, dev_fraction=0.0,
                          patience=epochs, threads=1, seed=5, calibrate=calibrate))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-schema span-head model trained without calibration (its thresholds are all 0)."""
    out = tmp_path_factory.mktemp("span") / "m"
    examples = _examples()
    train_tagger(_config(calibrate=False), examples, out, dev=examples[:4])
    return out


def _shift(tagger: Tagger, by: float) -> None:
    """Move every span score by ``by`` (half on the start bias, half on the end bias of each type)."""
    head = tagger.module.heads["sym"]
    with torch.no_grad():
        head.bias.bias += by / 2


def test_decode_spans_at_a_threshold_shifts_the_boundary_and_the_probability() -> None:
    scores = torch.full((1, 2, 4, 4), -1e12)
    scores[0, 0, 0, 1] = 0.3  # "a" over [0, 2)
    scores[0, 1, 2, 3] = -0.4  # "b" over [2, 4)
    scores[0, 0, 1, 2] = -1.0  # "a" over [1, 3): crosses both
    types = ("a", "b")
    (at_zero,) = decode_spans(scores, types)
    assert at_zero == [Span(0, 2, "a", pytest.approx(1 / (1 + math.exp(-0.3))))]
    (lower,) = decode_spans(scores, types, threshold=-0.5)
    assert [(s.start, s.end, s.type) for s in lower] == [(0, 2, "a"), (2, 4, "b")]
    assert lower[1].score == pytest.approx(1 / (1 + math.exp(-0.1)))  # sigmoid(score - threshold)
    (lowest,) = decode_spans(scores, types, threshold=-1.5)  # [1, 3) now passes but crosses higher spans
    assert [(s.start, s.end) for s in lowest] == [(0, 2), (2, 4)]
    (higher,) = decode_spans(scores, types, threshold=0.5)
    assert higher == []


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_a_nesting_margin_holds_back_spans_inside_or_around_higher_ones() -> None:
    outer = Span(2, 8, "sym", 2.0)
    candidates = [outer,
                  Span(2, 5, "bod", 1.6),  # nested, clears 0 + 1.0
                  Span(5, 8, "bod", 0.8),  # nested, does not
                  Span(2, 8, "dis", 0.5),  # the same extent under another type counts as nested
                  Span(0, 10, "dis", 0.9),  # around the outer span: nested too
                  Span(10, 12, "dru", 0.3),  # apart: the threshold alone
                  Span(6, 11, "sym", 1.9)]  # crosses the outer span: dropped whatever the margin
    at_zero = spans_above(candidates, 0.0)
    assert [(s.start, s.end, s.type) for s in at_zero] == [
        (0, 10, "dis"), (2, 5, "bod"), (2, 8, "sym"), (2, 8, "dis"), (5, 8, "bod"), (10, 12, "dru")]
    held = spans_above(candidates, 0.0, nest_margin=1.0)
    assert [(s.start, s.end, s.type) for s in held] == [(2, 5, "bod"), (2, 8, "sym"), (10, 12, "dru")]
    scores = {(s.start, s.end): s.score for s in held}
    assert scores[(2, 5)] == pytest.approx(_sigmoid(1.6 - 1.0))  # a nested span's boundary is t + margin
    assert scores[(2, 8)] == pytest.approx(_sigmoid(2.0)) and scores[(10, 12)] == pytest.approx(_sigmoid(0.3))
    lowered = spans_above(candidates, -0.5, nest_margin=1.0)
    assert [(s.start, s.end, s.type) for s in lowered] == [  # nested spans now need 0.5: 0.5 itself does not
        (0, 10, "dis"), (2, 5, "bod"), (2, 8, "sym"), (5, 8, "bod"), (10, 12, "dru")]


def test_without_a_margin_decoding_is_what_it_was_before_the_margin() -> None:
    """Margin 0: every span above the threshold, crossings resolved by score (``drop_crossing``)."""
    rng = random.Random(7)
    for _ in range(200):
        candidates = []
        for _ in range(rng.randint(0, 12)):
            start = rng.randint(0, 15)
            candidates.append(Span(start, start + rng.randint(1, 6), rng.choice("abc"), rng.uniform(-2, 3)))
        candidates = list({(c.start, c.end, c.type): c for c in candidates}.values())
        threshold = rng.choice((-1.0, 0.0, 0.5))
        old = drop_crossing([Span(c.start, c.end, c.type, _sigmoid(c.score - threshold))
                             for c in candidates if c.score > threshold])
        assert spans_above(candidates, threshold) == old


def test_predict_at_thresholds_is_predict_with_each_threshold(trained: Path) -> None:
    tagger = load_tagger(trained, threads=1)
    _shift(tagger, -1.0)  # so that the thresholds below give different outputs
    texts = [_LONG, "患者诉头痛，伴恶心。", "", "右下腹压痛明显。"]
    grid = (-1.5, -1.0, -0.5, 0.0, 0.5)
    at_once = tagger.predict_at_thresholds(texts, "sym", grid)
    outputs = set()
    for t in grid:
        tagger.set_span_thresholds({"sym": t})
        assert tagger.predict(texts) == at_once[t], t
        outputs.add(str(at_once[t]))
    assert len(outputs) > 1  # the thresholds made a difference
    with pytest.raises(ValueError, match="no thresholds"):
        tagger.predict_at_thresholds(texts, "sym", ())
    found = tagger.span_candidates(texts, "sym", -1.5)
    for t, m in ((-1.5, 0.5), (-1.0, 2.0), (0.0, 1.0)):
        tagger.set_span_thresholds({"sym": t}, {"sym": m})
        assert tagger.span_nest_margin("sym") == m
        assert tagger.predict(texts) == found.at(t, m), (t, m)
    with pytest.raises(ValueError, match="below the candidates' floor"):
        found.at(-2.0)
    with pytest.raises(ValueError, match=">= 0"):
        found.at(0.0, -0.5)


def test_calibration_finds_the_best_threshold_of_a_shifted_head_and_the_checkpoint_keeps_it(
        trained: Path, tmp_path: Path) -> None:
    dev = _examples(1)
    gold = [ex.spans for ex in dev]
    tagger = load_tagger(trained, threads=1)
    unshifted = score_spans(gold, tagger.predict([ex.text for ex in dev])).micro.f1
    assert unshifted > 0.8
    _shift(tagger, -1.5)
    by_hand = {}
    for t in THRESHOLD_GRID:
        tagger.set_span_thresholds({"sym": t})
        by_hand[t] = score_spans(gold, tagger.predict([ex.text for ex in dev])).micro.f1
    tagger.set_span_thresholds({"sym": 0.0})
    report = calibrate_span_thresholds(tagger, {"sym": dev})
    chosen = report["sym"]
    assert chosen.f1 == pytest.approx(max(by_hand.values()))
    assert chosen.f1 == pytest.approx(by_hand[chosen.threshold])
    assert chosen.f1_at_zero == pytest.approx(by_hand[0.0]) and chosen.f1_at_zero < chosen.f1
    assert chosen.f1 >= unshifted - 1e-9  # -1.5 (on the grid) gives back the unshifted output
    assert chosen.threshold < 0 and tagger.span_threshold("sym") == chosen.threshold
    # the margin: chosen at that threshold, over the margin grid, as predict gives it
    by_margin = {}
    for m in NEST_MARGIN_GRID:
        tagger.set_span_thresholds({"sym": chosen.threshold}, {"sym": m})
        by_margin[m] = score_spans(gold, tagger.predict([ex.text for ex in dev])).micro.f1
    assert chosen.f1_without_margin == pytest.approx(by_margin[0.0])
    assert chosen.f1 == pytest.approx(max(by_margin.values())) == pytest.approx(by_margin[chosen.nest_margin])
    assert min(m for m, f in by_margin.items() if f == pytest.approx(chosen.f1)) == chosen.nest_margin
    tagger.set_span_thresholds({}, {"sym": chosen.nest_margin})

    # into a checkpoint: a copy of the trained one with the shifted weights
    from extractor.checkpoint import save_tagger

    tagger.set_span_thresholds({"sym": 0.0}, {"sym": 0.0})
    save_tagger(tagger, tmp_path / "shifted")
    write_span_thresholds(tmp_path / "shifted", report)
    meta = json.loads((tmp_path / "shifted" / "config.json").read_text(encoding="utf-8"))
    assert meta["config"]["head"]["span_thresholds"] == {"sym": chosen.threshold}
    assert meta["config"]["head"]["span_nest_margins"] == {"sym": chosen.nest_margin}
    assert meta["calibration"]["sym"]["f1_at_zero"] == pytest.approx(chosen.f1_at_zero)
    reloaded = load_tagger(tmp_path / "shifted", threads=1)
    assert reloaded.span_threshold("sym") == chosen.threshold
    assert reloaded.span_nest_margin("sym") == chosen.nest_margin
    pred = reloaded.predict([ex.text for ex in dev])
    assert score_spans(gold, pred).micro.f1 == pytest.approx(chosen.f1)


def test_calibration_chooses_the_margin_that_drops_a_wrong_nested_span(trained: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Scores laid out by hand (the network's own are too far apart on this toy set to need a margin): a
    wrong span nested in a right one scores above a right span elsewhere, so no threshold alone separates
    them; the margin 1.0 does, and the calibration finds it."""
    from extractor.predict import SpanCandidates

    text = "左下腹压痛，头痛。"
    dev = [Example("d", text, (Span(0, 5, "症状"), Span(6, 8, "症状")))]
    tagger = load_tagger(trained, threads=1)
    items, wins = tagger.windows_of([text])
    assert len(items) == 1  # one window from 0: window offsets are record offsets
    laid_out = [[Span(0, 5, "症状", 3.0), Span(0, 3, "部位", 1.0), Span(6, 8, "症状", 0.8)]]

    def by_hand(texts: list[str], schema: str, floor: float, *args: object) -> SpanCandidates:
        return SpanCandidates(tagger, schema, floor, items, wins, laid_out)

    monkeypatch.setattr(tagger, "span_candidates", by_hand)
    chosen = calibrate_span_thresholds(tagger, {"sym": dev})["sym"]
    assert (chosen.threshold, chosen.nest_margin) == (0.0, 1.0)
    assert chosen.f1_without_margin == pytest.approx(0.8) and chosen.f1 == pytest.approx(1.0)
    assert tagger.span_nest_margin("sym") == 1.0
    assert calibrate_span_thresholds(tagger, {"sym": dev}, margins=(0.0,))["sym"].nest_margin == 0.0


def test_a_checkpoint_without_thresholds_decodes_at_zero(trained: Path, tmp_path: Path) -> None:
    """Checkpoints saved before the threshold existed have no ``span_thresholds`` (nor margins): 0, the old
    boundary, every nested span kept."""
    import shutil

    old = tmp_path / "old"
    shutil.copytree(trained, old)
    meta = json.loads((old / "config.json").read_text(encoding="utf-8"))
    meta["config"]["head"].pop("span_thresholds", None)
    meta["config"]["head"].pop("span_nest_margins", None)
    meta["config"]["train"].pop("calibrate", None)
    (old / "config.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    tagger, current = load_tagger(old, threads=1), load_tagger(trained, threads=1)
    assert tagger.span_threshold("sym") == 0.0 and tagger.span_nest_margin("sym") == 0.0
    texts = [_LONG]
    assert tagger.predict(texts) == current.predict(texts)


def test_training_calibrates_span_heads_and_leaves_crf_heads(tmp_path: Path) -> None:
    examples = _examples()
    result = train_tagger(_config(epochs=6), examples, tmp_path / "span", dev=examples[:4])
    assert result.calibration["sym"]["threshold"] in THRESHOLD_GRID
    assert result.calibration["sym"]["f1"] >= result.calibration["sym"]["f1_at_zero"]
    meta = json.loads((tmp_path / "span" / "config.json").read_text(encoding="utf-8"))
    assert meta["config"]["head"]["span_thresholds"] == {"sym": result.calibration["sym"]["threshold"]}
    assert meta["config"]["head"]["span_nest_margins"] == {"sym": result.calibration["sym"]["nest_margin"]}
    assert result.calibration["sym"]["nest_margin"] in NEST_MARGIN_GRID
    saved = json.loads((tmp_path / "span" / "train_result.json").read_text(encoding="utf-8"))
    assert saved["calibration"] == result.calibration
    assert load_tagger(tmp_path / "span", threads=1).span_threshold("sym") == result.calibration["sym"]["threshold"]

    crf = train_tagger(_config("crf", epochs=2), examples, tmp_path / "crf", dev=examples[:4])
    assert crf.calibration == {}
    meta = json.loads((tmp_path / "crf" / "config.json").read_text(encoding="utf-8"))
    assert meta["config"]["head"]["span_thresholds"] == {}


def test_bad_calibration_requests_are_refused(trained: Path, tmp_path: Path) -> None:
    tagger = load_tagger(trained, threads=1)
    with pytest.raises(ValueError, match="must hold 0"):
        calibrate_span_thresholds(tagger, {"sym": _examples(1)}, grid=(-1.0, -0.5))
    with pytest.raises(ValueError, match="margin grid must hold 0"):
        calibrate_span_thresholds(tagger, {"sym": _examples(1)}, margins=(0.5, 1.0))
    with pytest.raises(ValueError, match="margin grid must hold 0"):
        calibrate_span_thresholds(tagger, {"sym": _examples(1)}, margins=(0.0, -1.0))
    with pytest.raises(ValueError, match="span_nest_margins must be >= 0"):
        tagger.set_span_thresholds({}, {"sym": -0.25})
    assert tagger.span_nest_margin("sym") == 0.0  # the refused margin was not kept
    with pytest.raises(ValueError, match="not for 'cmeee'"):
        calibrate_span_thresholds(tagger, {"cmeee": _examples(1)})
    assert calibrate_span_thresholds(tagger, {"sym": []}) == {}
    with pytest.raises(CheckpointError, match="not a tagger checkpoint"):
        write_span_thresholds(tmp_path, {})
    crf_folder = tmp_path / "crf"
    train_tagger(_config("crf", epochs=1, calibrate=False), _examples(1), crf_folder, dev=_examples(1))
    crf = load_tagger(crf_folder, threads=1)
    with pytest.raises(ValueError, match="CRF head"):
        crf.set_span_thresholds({"sym": -0.5})
    with pytest.raises(ValueError, match="CRF head"):
        crf.predict_at_thresholds(["头痛"], "sym", (0.0,))
    with pytest.raises(ValueError, match="CRF head"):
        crf.set_span_thresholds({}, {"sym": 0.5})
