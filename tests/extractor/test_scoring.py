import random

import pytest
from seqeval.metrics import classification_report
from seqeval.scheme import IOBES

from extractor.data import Span
from extractor.scoring import score_spans
from extractor.tags import spans_to_tags


def _random_spans(rng: random.Random, n: int) -> list[Span]:
    spans, pos = [], 0
    while pos < n - 1:
        pos += rng.randint(0, 4)
        length = rng.randint(1, 4)
        if pos + length > n:
            break
        spans.append(Span(pos, pos + length, rng.choice(["Disease", "Drug", "Anatomy"])))
        pos += length
    return spans


def test_scorer_matches_seqeval():
    rng = random.Random(3)
    gold, pred = [], []
    for _ in range(60):
        g = _random_spans(rng, 40)
        p = [s for s in g if rng.random() < 0.7] + [s for s in _random_spans(rng, 40) if rng.random() < 0.2]
        p = sorted({(s.start, s.end, s.type): s for s in p}.values(), key=lambda s: s.start)
        # keep predictions non-overlapping, as tags can only express those
        clean, last = [], -1
        for s in p:
            if s.start >= last:
                clean.append(s)
                last = s.end
        gold.append(g)
        pred.append(clean)
    ours = score_spans(gold, pred)
    y_true = [spans_to_tags(40, g) for g in gold]
    y_pred = [spans_to_tags(40, p) for p in pred]
    ref = classification_report(y_true, y_pred, mode="strict", scheme=IOBES, output_dict=True, zero_division=0)
    assert ours.micro.f1 == pytest.approx(ref["micro avg"]["f1-score"])
    assert ours.micro.precision == pytest.approx(ref["micro avg"]["precision"])
    assert ours.micro.recall == pytest.approx(ref["micro avg"]["recall"])
    for typ, prf in ours.per_type.items():
        assert prf.f1 == pytest.approx(ref[typ]["f1-score"])
        assert prf.n_gold == ref[typ]["support"]


def test_empty_and_mismatch():
    assert score_spans([[]], [[]]).micro.f1 == 0.0
    with pytest.raises(ValueError):
        score_spans([[]], [])
