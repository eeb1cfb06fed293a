import itertools

import numpy as np
import pytest

from extractor.data import Span
from extractor.tags import allowed_transitions, label_list, spans_to_tags, tags_to_spans


@pytest.mark.parametrize("scheme", ["BIOES", "BIO"])
def test_round_trip(scheme):
    spans = [Span(0, 1, "A"), Span(1, 4, "B"), Span(4, 6, "A"), Span(8, 9, "B")]
    tags = spans_to_tags(10, spans, scheme)
    assert tags_to_spans(tags, scheme=scheme) == spans


def test_bioes_tags():
    assert spans_to_tags(5, [Span(0, 1, "X"), Span(2, 5, "Y")]) == ["S-X", "O", "B-Y", "I-Y", "E-Y"]


def test_strict_decoding_drops_broken_spans():
    assert tags_to_spans(["I-X", "E-X", "O"]) == []
    assert tags_to_spans(["B-X", "I-X", "O"]) == []
    assert tags_to_spans(["B-X", "E-Y"]) == []
    assert tags_to_spans(["B-X", "I-X"], scheme="BIO") == [Span(0, 2, "X")]
    assert tags_to_spans(["O", "I-X"], scheme="BIO") == []


def test_span_score_is_minimum():
    spans = tags_to_spans(["B-X", "E-X"], [0.9, 0.5])
    assert spans[0].score == 0.5


def test_allowed_transitions_bioes():
    labels = label_list(["X", "Y"], "BIOES")
    start, trans, end = allowed_transitions(labels, "BIOES")
    idx = {lab: i for i, lab in enumerate(labels)}
    assert not start[idx["I-X"]] and start[idx["B-X"]] and start[idx["S-Y"]]
    assert trans[idx["B-X"], idx["E-X"]] and not trans[idx["B-X"], idx["E-Y"]]
    assert not trans[idx["O"], idx["I-X"]] and not trans[idx["B-X"], idx["O"]]
    assert end[idx["E-X"]] and not end[idx["B-X"]]


def test_every_allowed_path_decodes_to_the_same_tags():
    labels = label_list(["X"], "BIOES")
    start, trans, end = allowed_transitions(labels, "BIOES")
    for path in itertools.product(range(len(labels)), repeat=4):
        ok = start[path[0]] and end[path[-1]] and all(trans[a, b] for a, b in zip(path, path[1:], strict=False))
        tags = [labels[i] for i in path]
        if ok:
            assert spans_to_tags(4, tags_to_spans(tags)) == tags
    assert np.asarray(trans).dtype == bool
