"""Tag schemes (BIOES, BIO): spans <-> per-character tags, label maps and allowed transitions.

Index conventions: label 0 is always ``O``; then, per type in the given order, ``B-T, I-T, E-T, S-T``
(BIOES) or ``B-T, I-T`` (BIO).

Example:
    >>> labels = label_list(["Drug"], "BIOES")
    >>> spans_to_tags(4, [Span(1, 3, "Drug")], "BIOES")
    ['O', 'B-Drug', 'E-Drug', 'O']
    >>> tags_to_spans(['O', 'B-Drug', 'E-Drug', 'O'])
    [Span(start=1, end=3, type='Drug', score=1.0)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from extractor.data import Span

__all__ = ["Scheme", "allowed_transitions", "label_list", "spans_to_tags", "tags_to_spans"]

Scheme = Literal["BIOES", "BIO"]


def label_list(types: Sequence[str], scheme: Scheme = "BIOES") -> list[str]:
    """All labels of a scheme: ``O`` first, then the prefixes of each type."""
    prefixes = "BIES" if scheme == "BIOES" else "BI"
    return ["O", *[f"{p}-{t}" for t in types for p in prefixes]]


def spans_to_tags(n: int, spans: Sequence[Span], scheme: Scheme = "BIOES") -> list[str]:
    """Per-character tags of ``n`` characters; overlapping spans: the earlier, longer one wins."""
    tags = ["O"] * n
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        start, end = max(0, span.start), min(n, span.end)
        if end <= start or any(t != "O" for t in tags[start:end]):
            continue
        if scheme == "BIOES" and end - start == 1:
            tags[start] = f"S-{span.type}"
            continue
        tags[start] = f"B-{span.type}"
        for i in range(start + 1, end):
            tags[i] = f"I-{span.type}"
        if scheme == "BIOES":
            tags[end - 1] = f"E-{span.type}"
    return tags


def tags_to_spans(tags: Sequence[str], scores: Sequence[float] | None = None,
                  scheme: Scheme = "BIOES") -> list[Span]:
    """Spans of a tag sequence, strictly: a span needs its ``B`` (or ``S``) and, in BIOES, its ``E``.

    BIOES: ``B I* E`` or ``S``; a run that is broken off (``B I O``) is dropped. BIO: ``B I*``, closed by
    anything that does not continue it; an ``I`` without an open span of its type is dropped. With
    ``scores`` (one per tag), a span's score is the minimum over its characters.
    """
    out: list[Span] = []
    start, kind = -1, ""

    def emit(begin: int, end: int, typ: str) -> None:
        score = min(scores[begin:end]) if scores is not None else 1.0
        out.append(Span(begin, end, typ, float(score)))

    for i, tag in enumerate(tags):
        prefix, _, typ = tag.partition("-")
        continues = start >= 0 and typ == kind and prefix in ("I", "E")
        if start >= 0 and not continues:
            if scheme == "BIO":
                emit(start, i, kind)
            start = -1
        if prefix == "S" or (prefix == "E" and continues):
            emit(i if prefix == "S" else start, i + 1, typ)
            start = -1
        elif prefix == "B":
            start, kind = i, typ
        elif prefix == "I" and not continues:
            start = -1
    if start >= 0 and scheme == "BIO":
        emit(start, len(tags), kind)
    return out


def allowed_transitions(labels: Sequence[str], scheme: Scheme = "BIOES") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks of valid tag transitions.

    Returns:
        ``(start, trans, end)``: ``start[j]`` may begin a sequence, ``trans[i, j]`` may follow label ``i``
        (shape ``(K, K)``), ``end[i]`` may close a sequence. All boolean.
    """
    k = len(labels)
    parts = [(lab.partition("-")[0], lab.partition("-")[2]) for lab in labels]
    inside = ("I", "E") if scheme == "BIOES" else ("I",)
    start = np.array([p not in inside for p, _ in parts])
    end = np.array([p in ("O", "E", "S") if scheme == "BIOES" else True for p, _ in parts])
    trans = np.zeros((k, k), dtype=bool)
    for i, (pi, ti) in enumerate(parts):
        for j, (pj, tj) in enumerate(parts):
            opened = pi in ("B", "I")
            if scheme == "BIOES":
                trans[i, j] = (pj in ("I", "E") and tj == ti) if opened else pj not in ("I", "E")
            else:
                trans[i, j] = pj != "I" or (opened and tj == ti)
    return start, trans, end
