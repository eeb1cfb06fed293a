"""Span voting over several taggers: the rule on hand-made spans, then real models through the CLI."""

from __future__ import annotations

import pytest
from cli_helpers import one_json
from typer.testing import CliRunner

from app.cli import app
from extractor.checkpoint import load_tagger
from extractor.data import Span, write_ccks
from extractor.ensemble import VotingEnsemble, vote
from extractor.scoring import score_spans
from extractor.train import train_tagger


def test_majority_keeps_spans_most_members_agree_on():
    a = [Span(0, 2, "Disease", 0.9), Span(3, 5, "Drug", 0.8)]
    b = [Span(0, 2, "Disease", 0.7), Span(3, 6, "Drug", 0.9)]
    c = [Span(0, 2, "Anatomy", 0.99), Span(3, 5, "Drug", 0.6)]
    voted = vote([a, b, c], min_votes=2)
    assert [(s.start, s.end, s.type) for s in voted] == [(0, 2, "Disease"), (3, 5, "Drug")]
    assert voted[0].score == pytest.approx((0.9 + 0.7) / 2 * 2 / 3)
    # with one vote enough, overlaps go to the better-supported span, then the higher score
    loose = vote([a, b, c], min_votes=1)
    assert [(s.start, s.end, s.type) for s in loose] == [(0, 2, "Disease"), (3, 5, "Drug")]
    assert vote([[Span(0, 2, "Disease", 0.5)], [Span(1, 3, "Drug", 0.9)]], 1) == [Span(1, 3, "Drug", 0.45)]
    assert vote([[], []], 1) == []


def test_members_must_agree_on_types_and_votes_in_range(tiny, tmp_path, examples):
    cfg = tiny(epochs=1)
    cfg = cfg.model_copy(update={"features": cfg.features.model_copy(update={"kg": False})})
    train_tagger(cfg, examples, tmp_path / "a")
    tagger = load_tagger(tmp_path / "a", threads=None)
    with pytest.raises(ValueError, match="at least one"):
        VotingEnsemble([])
    with pytest.raises(ValueError, match="min_votes must be in 1..1"):
        VotingEnsemble([tagger], min_votes=2)
    other = load_tagger(tmp_path / "a", threads=None)
    other.config = other.config.model_copy(update={"types": ("Disease",)})
    with pytest.raises(ValueError, match="different entity types"):
        VotingEnsemble([tagger, other])


def test_cli_evaluates_an_ensemble_of_seeds(tiny, tmp_path, examples, concepts, kg, learned):
    dirs = [learned]  # trained until it finds spans; two more seeds, trained less, disagree with it here and there
    for seed in (2, 3):
        cfg = tiny(epochs=12, seed=seed, dev_fraction=0.0, patience=12)
        train_tagger(cfg, examples, tmp_path / f"s{seed}", concepts=concepts, kg=kg, dev=examples)
        dirs.append(tmp_path / f"s{seed}")
    data = tmp_path / "gold.txt"
    write_ccks(examples, data)
    args = [a for d in dirs for a in ("--model", str(d))]
    res = CliRunner().invoke(app, ["evaluate", *args, "--test", str(data), "--threads", "1", "--json"])
    assert res.exit_code == 0, res.output
    payload = one_json(res.stdout)
    assert payload["min_votes"] == 2 and payload["model"] == [str(d) for d in dirs]
    members = [load_tagger(d, threads=1) for d in dirs]
    texts = [ex.text for ex in examples]
    expected = VotingEnsemble(members).predict(texts)
    report = score_spans([ex.spans for ex in examples], expected)
    assert report.micro.n_pred > 0
    assert payload["micro"]["f1"] == pytest.approx(report.micro.f1)
    per_member = [m.predict(texts) for m in members]
    for r, spans in enumerate(expected):  # every voted span was predicted by at least two members
        for s in spans:
            assert sum((s.start, s.end, s.type) in {(p.start, p.end, p.type) for p in pm[r]} for pm in per_member) >= 2


def test_nested_output_keeps_every_voted_span():
    a = [Span(0, 4, "dis", 0.9), Span(0, 1, "bod", 0.8), Span(5, 7, "sym", 0.7)]
    b = [Span(0, 4, "dis", 0.7), Span(0, 1, "bod", 0.6)]
    # a CRF head's output cannot nest: the better-supported of two overlapping spans wins
    assert [(s.start, s.end, s.type) for s in vote([a, b], 2)] == [(0, 4, "dis")]
    # a span head's can: both voted spans stay, the unvoted one goes
    voted = vote([a, b], 2, nested=True)
    assert [(s.start, s.end, s.type) for s in voted] == [(0, 1, "bod"), (0, 4, "dis")]
    assert voted[0].score == pytest.approx(0.7)
