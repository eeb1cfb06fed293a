"""Splitting long records into overlapping windows and merging window predictions back.

Each window *owns* the characters up to the middle of its overlaps with its neighbours. A span
predicted in a window is kept only when it starts in that window's owned region, so every span is
decided by the window that sees the most context before and after its start; remaining overlaps
(rare) go to the higher-scoring, then longer span.

Example:
    >>> windows(10, 4, 2)
    [(0, 4), (2, 6), (4, 8), (6, 10)]
"""

from __future__ import annotations

from collections.abc import Sequence

from extractor.data import Span

__all__ = ["drop_crossing", "merge_window_spans", "owned_regions", "training_windows", "windows"]


def windows(n: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """``[start, end)`` windows of at most ``size`` characters covering ``range(n)``.

    Raises:
        ValueError: If ``overlap >= size``.
    """
    if overlap >= size:
        raise ValueError(f"overlap ({overlap}) must be smaller than the window ({size})")
    if n <= size:
        return [(0, n)]
    step, out, start = size - overlap, [], 0
    while start + size < n:
        out.append((start, start + size))
        start += step
    out.append((max(0, n - size), n))
    return out


def owned_regions(wins: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The part of each window it owns (regions tile ``[0, n)`` without overlap)."""
    cuts = [wins[0][0]]
    for (_, end), (start, _) in zip(wins, wins[1:], strict=False):
        cuts.append((start + end) // 2 if end > start else start)
    cuts.append(wins[-1][1])
    return [(cuts[i], cuts[i + 1]) for i in range(len(wins))]


def merge_window_spans(per_window: Sequence[Sequence[Span]], wins: Sequence[tuple[int, int]], *,
                       nested: bool = False) -> list[Span]:
    """Merge spans (already in record offsets) predicted per window into one list, in text order.

    ``nested``: spans that contain one another are all kept (a span head's output); only spans that
    cross are resolved, by score.
    """
    if not wins:
        return []
    kept = [s for spans, (lo, hi) in zip(per_window, owned_regions(wins), strict=True)
            for s in spans if lo <= s.start < hi]
    if nested:
        return drop_crossing(kept)
    kept.sort(key=lambda s: (-s.score, s.start - s.end, s.start))
    taken: list[Span] = []
    for span in kept:
        if all(span.end <= t.start or span.start >= t.end for t in taken):
            taken.append(span)
    return sorted(taken, key=lambda s: (s.start, s.end))


def training_windows(n: int, spans: Sequence[Span], size: int) -> list[tuple[int, int]]:
    """Non-overlapping windows of at most ``size`` that do not cut a gold span where avoidable.

    Cuts prefer the last position after a sentence-like boundary; a span longer than the window
    (never in CCKS) is cut at the window size.
    """
    inside = bytearray(n + 1)
    for s in spans:
        inside[s.start + 1:s.end] = b"\x01" * max(0, s.end - s.start - 1)
    out, start = [], 0
    while start < n:
        end = min(n, start + size)
        if end < n:
            cut = end
            while cut > start + size // 2 and inside[cut]:
                cut -= 1
            end = cut if not inside[cut] else end
        out.append((start, end))
        start = end
    return out


def drop_crossing(spans: Sequence[Span]) -> list[Span]:
    """Keep nested spans, resolve crossing ones by score (then length); the result in text order.

    Example:
        >>> drop_crossing([Span(0, 3, "a", 0.9), Span(2, 5, "b", 0.8), Span(1, 2, "c", 0.7)])
        [Span(start=0, end=3, type='a', score=0.9), Span(start=1, end=2, type='c', score=0.7)]
    """
    taken: list[Span] = []
    for span in sorted(spans, key=lambda s: (-s.score, s.start - s.end, s.start)):
        if all(_nested_or_apart(span, t) for t in taken):
            taken.append(span)
    return sorted(taken, key=lambda s: (s.start, s.end))


def _nested_or_apart(a: Span, b: Span) -> bool:
    if a.end <= b.start or b.end <= a.start:
        return True
    return (a.start <= b.start and b.end <= a.end) or (b.start <= a.start and a.end <= b.end)
