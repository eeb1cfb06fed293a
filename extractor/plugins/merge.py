"""How the spans of several NER plugins become one set of mentions (the documented overlap rule).

Every candidate span of every enabled NER plugin is ranked by, in order:

1. higher score;
2. longer span;
3. the plugin's position in the run order (extractor id, alphabetical);
4. earlier start.

Spans are then kept greedily in that order unless they overlap (share a character with) a span
already kept. So the same ``(start, end, type)`` from two plugins becomes one mention, credited to
the plugin with the higher score; nested or crossing spans keep only the best one; spans that do not
touch are all kept. The result is in text order.

Example:
    >>> from extractor.plugin import SpanResult
    >>> a = SpanResult(0, 4, "Disease", 0.9, "2型糖尿")
    >>> b = SpanResult(2, 5, "Disease", 0.8, "糖尿病")
    >>> [(x, s.start) for x, s in merge_ner_spans([("tagger@1", (a,)), ("gaz@1", (b,))])]
    [('tagger@1', 0)]
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
        ``(extractor id, span)`` pairs, non-overlapping, in text order.
    """
    ranked = sorted(
        ((extractor, order, span) for order, (extractor, spans) in enumerate(per_plugin) for span in spans),
        key=lambda item: (-item[2].score, item[2].start - item[2].end, item[1], item[2].start),
    )
    kept: list[tuple[str, SpanResult]] = []
    taken = bytearray(max((span.end for _, _, span in ranked), default=0))
    for extractor, _, span in ranked:
        if taken.find(1, span.start, span.end) != -1:
            continue
        kept.append((extractor, span))
        taken[span.start:span.end] = b"\x01" * (span.end - span.start)
    kept.sort(key=lambda item: (item[1].start, item[1].end))
    return kept
