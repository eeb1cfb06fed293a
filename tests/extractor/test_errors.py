"""The error breakdown: each gold span in exactly one class, spurious predictions apart."""

from __future__ import annotations

import pytest

from extractor.data import Span
from extractor.errors import ERROR_CLASSES, error_breakdown


def test_every_class_is_assigned_by_the_documented_rule() -> None:
    text = "血常规检查示白细胞升高，腹部CT未见异常，服用阿司匹林"
    gold = [[Span(0, 3, "LabTest"), Span(6, 9, "LabTest"), Span(12, 14, "Anatomy"), Span(14, 16, "ImagingExam"),
             Span(23, 27, "Drug")]]
    pred = [[Span(0, 5, "LabTest"),       # too long: boundary
             Span(6, 9, "Disease"),       # same offsets, other type: type
             Span(12, 16, "ImagingExam"),  # overlaps Anatomy (other type, other offsets) and ImagingExam
             Span(23, 27, "Drug"),        # correct
             Span(16, 18, "Disease")]]    # overlaps nothing gold: spurious
    b = error_breakdown(gold, pred, texts=[text])
    assert b.per_type["LabTest"] == {"correct": 0, "type": 1, "boundary": 1, "boundary+type": 0, "missed": 0,
                                     "spurious": 0}
    assert b.per_type["Anatomy"]["boundary+type"] == 1
    assert b.per_type["ImagingExam"]["boundary"] == 1
    assert b.per_type["Drug"]["correct"] == 1
    assert b.per_type["Disease"]["spurious"] == 1
    assert b.examples["LabTest"]["boundary"] == [("血常规 -> 血常规检查", 1)]
    assert b.examples["LabTest"]["type"] == [("白细胞 -> Disease", 1)]
    assert b.examples["Disease"]["spurious"] == [("未见", 1)]
    # every gold span lands in one gold-side class
    assert sum(sum(c[k] for k in ERROR_CLASSES[:-1]) for c in b.per_type.values()) == len(gold[0])
    table = b.markdown()
    assert "| LabTest | 2 | 0 (0.0%) | 1 (50.0%) | 1 (50.0%) |" in table


def test_missed_and_duplicates_count_once() -> None:
    gold = [[Span(0, 2, "Disease"), Span(0, 2, "Disease")], [Span(1, 3, "Drug")]]
    pred = [[], [Span(1, 3, "Drug"), Span(1, 3, "Drug", score=0.5)]]
    b = error_breakdown(gold, pred)
    assert b.per_type["Disease"]["missed"] == 1
    assert b.per_type["Drug"]["correct"] == 1 and b.per_type["Drug"]["spurious"] == 0
    assert b.examples == {}  # no texts, no surface forms


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="2 gold records, 1 predicted"):
        error_breakdown([[], []], [[]])
