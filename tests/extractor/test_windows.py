import random

import pytest

from extractor.data import Span
from extractor.windows import merge_window_spans, owned_regions, training_windows, windows


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 100, 1001])
def test_windows_cover_everything(n):
    wins = windows(n, 16, 4)
    assert all(e - s <= 16 for s, e in wins)
    covered = set()
    for s, e in wins:
        covered.update(range(s, e))
    assert covered == set(range(n))
    regions = owned_regions(wins)
    assert regions[0][0] == 0 and regions[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(regions, regions[1:], strict=False))


def test_bad_overlap():
    with pytest.raises(ValueError):
        windows(10, 4, 4)


def test_merge_recovers_spans_cut_by_windows():
    rng = random.Random(5)
    n, spans, pos = 2000, [], 0
    while pos < n - 5:
        pos += rng.randint(0, 6)
        length = rng.randint(1, 5)
        if pos + length > n:
            break
        spans.append(Span(pos, pos + length, rng.choice("AB")))
        pos += length
    wins = windows(n, 64, 16)
    per_window = []
    for s, e in wins:  # a perfect model that sees only the window: edge spans come out truncated
        per_window.append([Span(max(s, sp.start), min(e, sp.end), sp.type) for sp in spans
                           if sp.start < e and sp.end > s])
    assert merge_window_spans(per_window, wins) == spans


def test_training_windows_avoid_cutting_spans():
    spans = [Span(14, 18, "A"), Span(30, 33, "B")]
    wins = training_windows(40, spans, 16)
    for s, e in wins:
        for sp in spans:
            assert sp.end <= s or sp.start >= e or (s <= sp.start and sp.end <= e)
    assert wins[0][0] == 0 and wins[-1][1] == 40
