"""Chinese ConText: the assertion of each mention from triggers, their scopes and the record's sections.

For one text and its mention spans, :meth:`ContextEngine.assert_spans`:

1. folds full-width forms to half-width, character by character, so offsets stay those of the text;
2. cuts the text into sentences (。；;！!？?, line breaks) and clauses (also ，,), both also at the matches
   of ``terminate`` rules (contrast words: 但, 然而, 仍有, 患者本人 ...): a certainty cue (negation,
   uncertainty) reaches through its clause, a temporality or experiencer cue (如…, 其父…) through its
   sentence; lists joined by 、及和或 and unpunctuated runs (无咳嗽咳痰) stay inside one clause;
3. finds every trigger, keeps the longest where two overlap, and drops those that overlap a ``pseudo``
   match (无明显诱因, 未予重视 ...) or lie inside a mention (肢体无力), except uncertainty and history cues,
   which count inside the mention they qualify (胆总管可疑结石, 肠梗阻？, 直肠癌术后);
4. gives each mention, per dimension, the value of the nearest trigger that reaches it: a forward trigger
   before it or a backward one after it (or one overlapping its edge: 糖尿【病史】), in the same clause and
   within the rule's scope;
5. carries a negation on through a comma-joined list: a clause that holds nothing but mentions (无发热，
   【咳嗽】、【咳痰】。) takes the negation that opens the clause before it;
6. fills the dimensions no trigger set from the section the mention sits in (既往史: historical,
   家族史: family; see :mod:`extractor.assertion.sections`).

Example:
    >>> engine = ContextEngine()
    >>> text = "患者否认高血压病史。无发热、咳嗽，伴腹痛。其父患糖尿病。"
    >>> spans = [(4, 7), (11, 13), (14, 16), (18, 20), (24, 27)]
    >>> [(a.certainty, a.temporality, a.experiencer) for a in engine.assert_spans(text, spans)]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('negated', 'historical', 'patient'), ('negated', 'current', 'patient'), ('negated', 'current', 'patient'),
     ('affirmed', 'current', 'patient'), ('affirmed', 'current', 'family')]
"""

from __future__ import annotations

import bisect
import dataclasses
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from extractor.assertion.rules import Rule, RuleSet, load_rules
from extractor.assertion.schema import DIMENSIONS, Assertion
from extractor.assertion.sections import SECTIONS, sections

__all__ = ["ContextEngine", "fold"]

DEFAULT = {dimension: values[0] for dimension, values in DIMENSIONS.items()}
_TERMINATORS = re.compile(r"[。；;，,！!？?\n\r]")
_SENTENCE_END = re.compile(r"[。；;！!？?\n\r]")
#: What may stand between the mentions of a bare list clause (无发热，咳嗽、咳痰等。).
_LIST_FILLER = re.compile(r"^[\s、及和或与等症状体征不适明显]*$")
#: Cues that still count inside the mention they qualify.
_INSIDE_OK = frozenset({"possible", "historical"})


def fold(text: str) -> str:
    """``text`` with full-width forms (，excepted) folded to half-width, one character for one."""
    out = []
    for ch in text:
        if ch in "，。、；：？！（）" or ord(ch) < 0x80:
            # keep Chinese punctuation as it is, but make the full-width brackets ASCII for the rules
            out.append({"（": "(", "）": ")", "？": "?", "！": "!", "；": ";", "：": ":"}.get(ch, ch))
            continue
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


@dataclass(frozen=True)
class _Trigger:
    start: int
    end: int
    rule: Rule
    dimension: str  # the rule's ``sets``, which a trigger's rule always has
    value: str


class ContextEngine:
    """Assertion by trigger rules (the default rules unless a :class:`RuleSet` is given)."""

    def __init__(self, rules: RuleSet | None = None) -> None:
        """Use ``rules`` (default: ``zh_context_v1``)."""
        self.rules = rules or load_rules()
        self._triggers = tuple((r, sets) for r in self.rules.rules if (sets := r.sets) is not None)
        self._pseudo = self.rules.of("pseudo")
        self._terminate = self.rules.of("terminate")

    def __call__(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Assertion]:
        """The same as :meth:`assert_spans` (an engine is an assertion method)."""
        return self.assert_spans(text, spans)

    def assert_spans(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Assertion]:
        """One :class:`Assertion` per ``(start, end)`` span of ``text``, in the same order."""
        folded = fold(text)
        contrast = {i for r in self._terminate for m in r.pattern.finditer(folded) for i in range(m.start(), m.end())}
        barriers = sorted({m.start() for m in _TERMINATORS.finditer(folded)} | contrast)
        sentence_barriers = sorted({m.start() for m in _SENTENCE_END.finditer(folded)} | contrast)
        triggers = self._find_triggers(folded, spans)
        starts = [t.start for t in triggers]
        heads = sections(folded)
        head_starts = [start for start, _ in heads]
        ordered = sorted(spans)
        out = []
        for span in spans:
            assertion = self._assert(folded, span, triggers, starts, barriers, sentence_barriers)
            if assertion.certainty == "affirmed":
                assertion = self._list_negation(folded, span, ordered, triggers, starts, barriers) or assertion
            out.append(_with_section(assertion, heads, head_starts, span[0]))
        return out

    def _find_triggers(self, folded: str, spans: Sequence[tuple[int, int]]) -> list[_Trigger]:
        pseudo = sorted((m.start(), m.end()) for r in self._pseudo for m in r.pattern.finditer(folded)
                        if m.end() > m.start())
        found = [_Trigger(m.start(), m.end(), r, *sets) for r, sets in self._triggers
                 for m in r.pattern.finditer(folded) if m.end() > m.start()]
        found.sort(key=lambda t: (t.start, -(t.end - t.start)))
        kept: list[_Trigger] = []
        inside = sorted(spans)
        for t in found:
            if kept and t.start < kept[-1].end:
                continue  # overlaps a longer (or earlier) trigger
            if _overlaps(pseudo, t.start, t.end):
                continue
            if t.rule.category not in _INSIDE_OK and _inside(inside, t.start, t.end):
                continue
            kept.append(t)
        return kept

    def _assert(self, folded: str, span: tuple[int, int], triggers: list[_Trigger], starts: list[int],
                barriers: list[int], sentence_barriers: list[int]) -> Assertion:
        """Certainty cues reach through their clause; temporality and experiencer ones through the sentence."""
        start, end = span
        left, right = _clause_start(barriers, start), _clause_end(barriers, end, len(folded))
        s_left = _clause_start(sentence_barriers, start)
        s_right = _clause_end(sentence_barriers, end, len(folded))
        best: dict[str, tuple[int, _Trigger]] = {}
        for t in triggers[bisect.bisect_left(starts, s_left):bisect.bisect_left(starts, s_right + 1)]:
            if t.dimension == "certainty" and not left <= t.start <= right:
                continue
            distance = _reach(t, start, end)
            if distance is None or (t.rule.scope and distance > t.rule.scope):
                continue
            if t.dimension not in best or distance < best[t.dimension][0]:
                best[t.dimension] = (distance, t)
        values = {d: t.value for d, (_, t) in best.items()}
        chosen = sorted((t for _, t in best.values()), key=lambda t: t.start)
        return Assertion.from_values(values, cue=";".join(folded[t.start:t.end] for t in chosen),
                                     cue_spans=tuple((t.start, t.end) for t in chosen))

    def _list_negation(self, folded: str, span: tuple[int, int], ordered: list[tuple[int, int]],
                       triggers: list[_Trigger], starts: list[int], barriers: list[int]) -> Assertion | None:
        """The negation a bare list clause after a comma inherits from the clause before it, if any."""
        start, end = span
        left = _clause_start(barriers, start)
        right = _clause_end(barriers, end, len(folded))
        if left == 0 or folded[left - 1] not in "，," or _SENTENCE_END.search(folded, left - 1, left):
            return None
        rest = folded[left:right]
        for s, e in ordered:
            if left <= s and e <= right:
                rest = rest[:s - left] + " " * (e - s) + rest[e - left:]
        if not _LIST_FILLER.match(rest):
            return None
        previous = _clause_start(barriers, left - 1)
        for t in triggers[bisect.bisect_left(starts, previous):bisect.bisect_left(starts, left)]:
            if t.rule.category == "negated" and t.rule.direction in ("forward", "both") and t.start - previous <= 2:
                return Assertion("negated", cue=folded[t.start:t.end], cue_spans=((t.start, t.end),))
        return None


def _reach(t: _Trigger, start: int, end: int) -> int | None:
    """Characters between trigger ``t`` and the mention ``[start, end)`` when its direction reaches it."""
    if start <= t.start and t.end <= end:  # a cue inside the mention it qualifies
        return 0
    if t.start < start and t.end <= end and t.rule.direction in ("forward", "both"):
        return max(0, start - t.end)
    if t.end > end and t.start > start and t.rule.direction in ("backward", "both"):
        return max(0, t.start - end)
    return None


def _with_section(assertion: Assertion, heads: list[tuple[int, str]], head_starts: list[int],
                  position: int) -> Assertion:
    """``assertion`` with the section's defaults for the dimensions no trigger set, and the section's name."""
    i = bisect.bisect_right(head_starts, position)
    if not i:
        return assertion
    section = SECTIONS[heads[i - 1][1]]
    changes: dict[str, Any] = {"section": section.name}
    for dimension, value in section.defaults.items():
        if getattr(assertion, dimension) == DEFAULT[dimension]:
            changes[dimension] = value
    return dataclasses.replace(assertion, **changes)


def _overlaps(sorted_spans: list[tuple[int, int]], start: int, end: int) -> bool:
    i = bisect.bisect_left(sorted_spans, (end, -1))
    return any(s < end and e > start for s, e in sorted_spans[max(0, i - 8):i])


def _inside(sorted_spans: list[tuple[int, int]], start: int, end: int) -> bool:
    i = bisect.bisect_right(sorted_spans, (start, 1 << 62))
    return any(s <= start and end <= e for s, e in sorted_spans[max(0, i - 8):i])


def _clause_start(barriers: list[int], position: int) -> int:
    """The first character after the last barrier before ``position``."""
    i = bisect.bisect_left(barriers, position)
    return barriers[i - 1] + 1 if i else 0


def _clause_end(barriers: list[int], position: int, length: int) -> int:
    """The first barrier at or after ``position`` (a backward trigger such as ？ may sit on it)."""
    i = bisect.bisect_left(barriers, position)
    return barriers[i] if i < len(barriers) else length
