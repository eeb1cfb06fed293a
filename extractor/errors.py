"""Where a tagger's strict errors come from: boundaries, types, or mentions missed or invented.

Every gold span the tagger did not predict exactly falls in one class, decided by the predicted spans
that overlap it (the first rule that applies):

- ``type``: a prediction with the same start and end but another type;
- ``boundary``: an overlapping prediction of the same type with other offsets (too long, too short,
  shifted);
- ``boundary+type``: only overlapping predictions of other types and other offsets;
- ``missed``: no prediction overlaps it.

A predicted span that is not gold and overlaps no gold span is ``spurious``; the other wrong
predictions are the other side of a gold error above. Strict F1 counts a boundary error twice (one
false negative, one false positive), which is why the breakdown helps read a low per-type F1.

Example:
    >>> gold = [[Span(0, 3, "LabTest"), Span(5, 7, "Anatomy")]]
    >>> pred = [[Span(0, 2, "LabTest"), Span(5, 7, "Disease"), Span(9, 10, "Drug")]]
    >>> b = error_breakdown(gold, pred, texts=["血常规检查 腹部 阿"])
    >>> b.per_type["LabTest"]["boundary"], b.per_type["Anatomy"]["type"], b.per_type["Drug"]["spurious"]
    (1, 1, 1)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from extractor.data import Span

__all__ = ["ERROR_CLASSES", "ErrorBreakdown", "error_breakdown"]

#: The classes of :func:`error_breakdown`, gold-side first.
ERROR_CLASSES = ("correct", "type", "boundary", "boundary+type", "missed", "spurious")


@dataclass
class ErrorBreakdown:
    """Per type: counts of every class; and the most frequent surface forms of each error class."""

    per_type: dict[str, dict[str, int]] = field(default_factory=dict)
    """type -> class -> count (gold spans by their gold type, spurious ones by their predicted type)."""
    examples: dict[str, dict[str, list[tuple[str, int]]]] = field(default_factory=dict)
    """type -> class -> [(text, count)], most frequent first; for ``boundary`` the text is
    ``gold -> predicted``; for ``type`` it is ``text -> predicted type``."""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"per_type": self.per_type, "examples": self.examples}

    def markdown(self) -> str:
        """One row per type: gold spans, then the share of each class (spurious in counts)."""
        head = "| type | gold | correct | type error | boundary | boundary + type | missed | spurious |"
        rows = [head, "|---|---|---|---|---|---|---|---|"]
        for typ, c in sorted(self.per_type.items()):
            gold = sum(c[k] for k in ERROR_CLASSES[:-1])
            cells = [f"{c[k]} ({100 * c[k] / gold:.1f}%)" if gold else str(c[k]) for k in ERROR_CLASSES[:-1]]
            rows.append(f"| {typ} | {gold} | " + " | ".join(cells) + f" | {c['spurious']} |")
        return "\n".join(rows)


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _cut(text: str | None, span: Span) -> str | None:
    return None if text is None else text[span.start:span.end]


def error_breakdown(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]],
                    texts: Sequence[str] | None = None, top: int = 10) -> ErrorBreakdown:
    """Classify every gold and predicted span of the records (same order) as in the module docstring.

    Args:
        gold: Gold spans per record.
        pred: Predicted spans per record.
        texts: The records' texts, to collect the surface forms of the errors (optional).
        top: How many surface forms to keep per type and class.

    Raises:
        ValueError: The lists differ in length.
    """
    if len(gold) != len(pred) or (texts is not None and len(texts) != len(gold)):
        raise ValueError(f"{len(gold)} gold records, {len(pred)} predicted, "
                         f"{'no' if texts is None else len(texts)} texts")
    counts: dict[str, Counter[str]] = {}
    forms: dict[str, dict[str, Counter[str]]] = {}

    def note(typ: str, cls: str, form: str | None) -> None:
        counts.setdefault(typ, Counter())[cls] += 1
        if form is not None and cls != "correct":
            forms.setdefault(typ, {}).setdefault(cls, Counter())[form] += 1

    for i, (g_spans, p_spans) in enumerate(zip(gold, pred, strict=True)):
        text = texts[i] if texts is not None else None
        g_set = set(g_spans)  # Span equality is (start, end, type); the score does not take part
        p_unique = list(dict.fromkeys(p_spans))
        for g in dict.fromkeys(g_spans):
            near = [p for p in p_unique if _overlaps(g, p)]
            if g in near:
                note(g.type, "correct", None)
            elif same := [p for p in near if (p.start, p.end) == (g.start, g.end)]:
                note(g.type, "type", None if text is None else f"{_cut(text, g)} -> {same[0].type}")
            elif typed := [p for p in near if p.type == g.type]:
                note(g.type, "boundary", None if text is None else f"{_cut(text, g)} -> {_cut(text, typed[0])}")
            elif near:
                note(g.type, "boundary+type",
                     None if text is None else f"{_cut(text, g)} -> {_cut(text, near[0])} ({near[0].type})")
            else:
                note(g.type, "missed", _cut(text, g))
        for p in p_unique:
            if p not in g_set and not any(_overlaps(p, g) for g in g_spans):
                note(p.type, "spurious", _cut(text, p))
    per_type = {t: {k: c.get(k, 0) for k in ERROR_CLASSES} for t, c in sorted(counts.items())}
    examples = {t: {k: v.most_common(top) for k, v in sorted(by.items())} for t, by in sorted(forms.items())}
    return ErrorBreakdown(per_type, examples)
