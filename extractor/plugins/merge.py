"""How the spans of several NER plugins become one set of mentions (the documented overlap rule).

Every candidate span of every enabled NER plugin is ranked by, in order:

1. higher score;
2. longer span;
3. the plugin's position in the run order (extractor id, alphabetical);
4. earlier start.

Spans are then kept greedily in that order unless they overlap (share a character with) a span
already kept, with one exception: a plugin's own nested spans (one strictly inside the other, as a
span head reports 左下腹 inside 左下腹压痛) are all kept, each its own mention. So the same
``(start, end, type)`` from two plugins becomes one mention, credited to the plugin with the higher
score; spans of different plugins that nest or cross keep only the best one; a plugin's crossing spans,
or its same span with two types, keep only the best one; spans that do not touch are all kept. The
result is in text order (start, then end).

Example:
    >>> from extractor.plugin import SpanResult
    >>> a = SpanResult(0, 4, "Disease", 0.9, "2型糖尿")
    >>> b = SpanResult(2, 5, "Disease", 0.8, "糖尿病")
    >>> [(x, s.start) for x, s in merge_ner_spans([("tagger@1", (a,)), ("gaz@1", (b,))])]
    [('tagger@1', 0)]
    >>> inner = SpanResult(0, 1, "Anatomy", 0.7, "2")
    >>> [(x, s.type) for x, s in merge_ner_spans([("tagger@1", (a, inner)), ("gaz@1", (b,))])]
    [('tagger@1', 'Anatomy'), ('tagger@1', 'Disease')]
"""

from __future__ import annotations

from collections.abc import Sequence

from extractor.plugin import SpanResult

__all__ = ["merge_ner_spans"]


def merge_ner_spans(per_plugin: Sequence[tuple[str, Sequence[SpanResult]]]) -> list[tuple[str, SpanResult]]:
    """Merge the spans of several NER plugins by the overlap rule of this module.

    Args:
        per_plugin: ``(extractor id, spans)`` per plugin, in run order.

    Returns:
        ``(extractor id, span)`` pairs in text order: non-overlapping, but for one plugin's nested spans.
    """
    ranked = sorted(
        ((extractor, order, span) for order, (extractor, spans) in enumerate(per_plugin) for span in spans),
        key=lambda item: (-item[2].score, item[2].start - item[2].end, item[1], item[2].start),
    )
    kept: list[tuple[str, SpanResult]] = []
    for extractor, _, span in ranked:
        if all(_may_share(extractor, span, other, theirs) for other, theirs in kept
               if theirs.start < span.end and span.start < theirs.end):
            kept.append((extractor, span))
    kept.sort(key=lambda item: (item[1].start, item[1].end))
    return kept


def _may_share(extractor: str, span: SpanResult, other: str, theirs: SpanResult) -> bool:
    """Whether two overlapping spans may both be kept: one plugin's, one strictly inside the other."""
    if extractor != other or (span.start, span.end) == (theirs.start, theirs.end):
        return False
    return (theirs.start <= span.start and span.end <= theirs.end) or (
        span.start <= theirs.start and theirs.end <= span.end)
