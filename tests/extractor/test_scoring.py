import random

import pytest
from seqeval.metrics import classification_report
from seqeval.scheme import IOBES

from extractor.data import Span
from extractor.scoring import PRF, nested_keys, score_spans
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


# --- nested and flat spans reported apart -----------------------------------------------------------


def _overlap(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _nested_spans(rng: random.Random, n: int, k: int) -> list[Span]:
    """``k`` random spans over ``n`` characters: overlapping, nested and repeated ones included."""
    out = []
    for _ in range(k):
        start = rng.randrange(n - 1)
        out.append(Span(start, rng.randint(start + 1, min(n, start + 6)), rng.choice(["dis", "sym", "bod"])))
    return out


def test_nested_keys_is_the_pairwise_rule():
    rng = random.Random(11)
    for _ in range(300):
        keys = {(s.start, s.end, s.type) for s in _nested_spans(rng, 30, rng.randint(0, 9))}
        brute = {a for a in keys if any(b != a and _overlap(a, b) for b in keys)}
        assert nested_keys(keys) == brute
    assert nested_keys([(0, 2, "dis"), (0, 2, "dis")]) == set()  # a repeated span does not nest in itself
    assert nested_keys([(0, 2, "dis"), (0, 2, "sym")]) == {(0, 2, "dis"), (0, 2, "sym")}
    assert nested_keys([(0, 2, "dis"), (2, 4, "sym")]) == set()  # touching is not overlapping


def test_each_span_lands_in_the_class_the_rule_gives():
    gold = [[Span(0, 6, "dis"), Span(0, 2, "bod"), Span(8, 10, "sym"), Span(12, 14, "dru")],
            [Span(0, 3, "sym"), Span(2, 5, "bod")]]
    pred = [[Span(0, 2, "bod"),     # exact match of a nested gold span: nested, although alone among predictions
             Span(8, 10, "sym"),    # exact match of a flat gold span: flat
             Span(3, 6, "dis"),     # wrong, overlaps nothing predicted: flat, although inside a nested gold span
             Span(12, 14, "dis"),   # wrong type, overlaps another prediction below: nested
             Span(13, 15, "dru")],  # wrong, overlaps the one above: nested
            [Span(0, 3, "sym"), Span(2, 5, "bod")]]  # both right, both nested
    report = score_spans(gold, pred)
    assert report.nested == PRF(tp=3, n_pred=5, n_gold=4)
    assert report.flat == PRF(tp=1, n_pred=2, n_gold=2)
    assert report.micro == PRF(tp=4, n_pred=7, n_gold=6)
    assert report.nested.recall == pytest.approx(3 / 4) and report.flat.precision == pytest.approx(1 / 2)
    data = report.to_dict()
    assert data["nested"]["tp"] == 3 and data["flat"]["n_gold"] == 2 and set(data) == {"micro", "nested", "flat",
                                                                                       "per_type"}
    # flat records only: nothing is nested, and the flat figures are the micro ones
    flat_only = score_spans([[Span(0, 2, "Disease")]], [[Span(0, 2, "Disease"), Span(3, 4, "Drug")]])
    assert flat_only.nested == PRF(0, 0, 0) and flat_only.flat == flat_only.micro


def _standard_micro(gold: list[list[Span]], pred: list[list[Span]]) -> tuple[float, float, float]:
    """CMeEE's strict micro P/R/F1 as its evaluation computes it: sets of (record, start, end, type)."""
    g = {(r, s.start, s.end, s.type) for r, spans in enumerate(gold) for s in spans}
    p = {(r, s.start, s.end, s.type) for r, spans in enumerate(pred) for s in spans}
    tp = len(g & p)
    precision, recall = tp / len(p), tp / len(g)
    return precision, recall, 2 * precision * recall / (precision + recall)


def test_on_nested_spans_all_is_the_standard_micro_f1_and_the_classes_add_up():
    rng = random.Random(5)
    gold = [_nested_spans(rng, 40, rng.randint(0, 8)) for _ in range(80)]
    pred = [[s for s in g if rng.random() < 0.6] + _nested_spans(rng, 40, rng.randint(0, 3)) for g in gold]
    report = score_spans(gold, pred)
    assert report.nested.n_gold > 20 and report.flat.n_gold > 20 and report.nested.tp > 0 and report.flat.tp > 0
    assert (report.micro.precision, report.micro.recall, report.micro.f1) == pytest.approx(_standard_micro(gold, pred))
    for count in ("tp", "n_pred", "n_gold"):
        assert getattr(report.nested, count) + getattr(report.flat, count) == getattr(report.micro, count)
    assert sum(p.n_gold for p in report.per_type.values()) == report.micro.n_gold


def test_the_docstring_examples_run():
    import doctest

    import extractor.scoring

    result = doctest.testmod(extractor.scoring)
    assert result.attempted >= 5 and result.failed == 0
