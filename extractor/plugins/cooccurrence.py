"""``cooccurrence-relations``: the rule baseline for relations between the mentions of one record.

For every pair of linked-or-not mentions whose types match an allow-listed signature
(:data:`DEFAULT_RULES`: a disease and a drug, an operation, a lab test, an imaging exam, a symptom or
an anatomical site), at most ``max_distance`` characters apart and at most
``max_sentence_gap`` sentence boundaries apart (sentences end at 。！？；!?; and line breaks), the
pair is a relation with

    score = base_score + same_sentence_bonus (same sentence) + cue_bonus (a cue word of the rule lies
            between the two mentions or just before the later one),

capped at 1. Predicates are CMeIE's (``药物治疗``, ``手术治疗``, ``实验室检查``, ``影像学检查``,
``临床表现``, ``发病部位``); the graph maps them to relationship types. This is a baseline: its
precision (``precision`` in the config, used by the graph's confidence rule) is 0.24, measured on records:
80 of its positive facts on 150 CCKS 2017 training records with ``gazetteer-ner`` mentions, judged by
reading (``benchmarks/bench_rule_precision.py``; Wilson 95% interval 0.16-0.34). The learned
``entity-marker-relations`` takes its own from validation.

Only mentions the record asserts of the patient take part (:mod:`extractor.plugins.evidence`): a pair is
reported when its subject is affirmed, not hypothetical and the patient's, and its object is too or is a
finding the record says is absent (a pertinent negative, which the graph keeps with ``polarity:
'negative'`` and never counts as evidence). Without an assertion plugin every mention takes part.

Example:
    >>> from extractor.plugin import SpanResult
    >>> text = "诊断胃炎，予奥美拉唑口服。"
    >>> spans = (SpanResult(2, 4, "Disease", 0.9, "胃炎"), SpanResult(6, 10, "Drug", 0.9, "奥美拉唑"))
    >>> rel = CooccurrenceRelations(CooccurrenceConfig()).extract([ExtractionRecord("r", text, spans)])[0]
    >>> [(r.predicate, r.score) for r in rel.relations]
    [('药物治疗', 1.0)]
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from core.config import ClosedConfig, FrozenConfig
from extractor.plugin import ExtractionRecord, PluginKind, RecordResult, RelationResult, SpanKey
from extractor.plugins.base import ConfiguredPlugin
from extractor.plugins.evidence import is_evidence, is_pertinent_negative, relation_polarity

__all__ = ["DEFAULT_RULES", "CooccurrenceConfig", "CooccurrenceRelations", "RelationRule"]


class RelationRule(FrozenConfig):
    """One allow-listed signature: subject type, object type, predicate and cue words."""

    subject: str
    object: str
    predicate: str
    cues: tuple[str, ...] = ()
    max_distance: int | None = None
    """Override the plugin's ``max_distance`` for this rule."""


DEFAULT_RULES: tuple[RelationRule, ...] = (
    RelationRule(subject="Disease", object="Drug", predicate="药物治疗",
                 cues=("予", "给予", "口服", "静滴", "静点", "服用", "治疗", "应用", "使用", "注射")),
    RelationRule(subject="Disease", object="Operation", predicate="手术治疗", cues=("行", "手术", "术")),
    RelationRule(subject="Disease", object="LabTest", predicate="实验室检查",
                 cues=("查", "检查", "示", "化验", "检验")),
    RelationRule(subject="Disease", object="ImagingExam", predicate="影像学检查", cues=("示", "查", "检查", "提示")),
    RelationRule(subject="Disease", object="Symptom", predicate="临床表现",
                 cues=("伴", "出现", "表现", "症状", "主诉")),
    RelationRule(subject="Disease", object="Anatomy", predicate="发病部位", cues=(), max_distance=2),
)


class CooccurrenceConfig(ClosedConfig):
    """Settings of ``cooccurrence-relations``."""

    rules: tuple[RelationRule, ...] = DEFAULT_RULES
    """The allow-listed type signatures."""
    max_distance: int = Field(default=60, ge=0)
    """Most characters between the two mentions."""
    max_sentence_gap: int = Field(default=1, ge=0)
    """Most sentence boundaries between the two mentions."""
    base_score: float = Field(default=0.3, ge=0.0, le=1.0)
    same_sentence_bonus: float = Field(default=0.3, ge=0.0, le=1.0)
    cue_bonus: float = Field(default=0.4, ge=0.0, le=1.0)
    min_score: float = Field(default=0.3, ge=0.0, le=1.0)
    """Pairs scoring below this are not reported."""
    precision: float = Field(default=0.24, gt=0.0, le=1.0)
    """Precision of a reported relation, measured on records (module docstring; read by the graph's
    confidence rule). It was an estimate of 0.4 before; a graph registered with 0.4 keeps it (the config
    is stored on the extractor)."""


_BOUNDARY = re.compile(r"[。！？；!?;\n]")


class CooccurrenceRelations(ConfiguredPlugin[CooccurrenceConfig]):
    """Rule-based relation plugin."""

    name: ClassVar[str] = "cooccurrence-relations"
    version: ClassVar[str] = "1"
    kind: ClassVar[PluginKind] = "relation"
    Config: ClassVar[type[BaseModel]] = CooccurrenceConfig

    def __init__(self, config: CooccurrenceConfig | None = None, context: Any = None) -> None:
        self.settings = config or CooccurrenceConfig()
        self._by_types: dict[tuple[str, str], list[RelationRule]] = {}
        for rule in self.settings.rules:
            self._by_types.setdefault((rule.subject, rule.object), []).append(rule)



    def _score(self, text: str, rule: RelationRule, lo: int, hi: int, later_start: int, same: bool) -> float:
        s = self.settings
        score = s.base_score + (s.same_sentence_bonus if same else 0.0)
        window = text[lo:hi] + text[max(0, later_start - 4):later_start]
        if rule.cues and any(cue in window for cue in rule.cues):
            score += s.cue_bonus
        return min(1.0, round(score, 4))

    def extract(self, records: Sequence[ExtractionRecord]) -> list[RecordResult]:
        """Relations per record between its (merged) spans."""
        out = []
        for record in records:
            asserted = record.assertions
            text = record.text
            # a family member's, a hypothetical or an uncertain mention takes part in no relation
            spans = sorted((sp for sp in record.spans if is_evidence(asserted.get(sp.key))
                            or is_pertinent_negative(asserted.get(sp.key))), key=lambda sp: (sp.start, sp.end))
            boundaries = [m.start() for m in _BOUNDARY.finditer(text)]
            found: dict[tuple[SpanKey, SpanKey, str], RelationResult] = {}
            for i, a in enumerate(spans):
                for b in spans[i + 1:]:
                    if b.start - a.end > self.settings.max_distance:
                        break
                    for subj, obj in ((a, b), (b, a)):
                        if relation_polarity(asserted.get(subj.key), asserted.get(obj.key)) is None:
                            continue
                        for rule in self._by_types.get((subj.type, obj.type), ()):
                            limit = rule.max_distance if rule.max_distance is not None else self.settings.max_distance
                            gap_chars = max(0, b.start - a.end)
                            gap = bisect.bisect_left(boundaries, b.start) - bisect.bisect_left(boundaries, a.end)
                            if gap_chars > limit or gap > self.settings.max_sentence_gap:
                                continue
                            score = self._score(text, rule, a.end, b.start, b.start, gap == 0)
                            if score >= self.settings.min_score:
                                key = (subj.key, obj.key, rule.predicate)
                                if key not in found or found[key].score < score:
                                    found[key] = RelationResult(subj.key, obj.key, rule.predicate, score)
            out.append(RecordResult(record.id, relations=tuple(found.values())))
        return out
