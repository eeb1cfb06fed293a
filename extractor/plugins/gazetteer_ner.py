"""``gazetteer-ner``: dictionary NER over the KG's names and aliases (needs no trained model).

The KG's gazetteer (``linker.Gazetteer``: longest match first over a length-preserving fold, so
offsets are exact) is run over each record; matched KG labels become mention types by
:attr:`GazetteerNERConfig.type_map`. The KG's ``Check`` label covers both laboratory tests and
imaging; a check whose matched text holds an imaging cue (:data:`IMAGING_CUES`: CT, MRI, 磁共振,
B超, 超声, X线, 造影, ...) becomes ``ImagingExam``, any other ``LabTest``.

Example:
    >>> from extractor.plugins.context import PluginContext
    >>> from linker.records import ConceptRecord
    >>> ctx = PluginContext.from_concepts([ConceptRecord("Check:头颅CT", "Check", "头颅CT")])
    >>> plugin = GazetteerNER(GazetteerNERConfig(), ctx)
    >>> plugin.extract([ExtractionRecord("r", "行头颅CT检查")])[0].spans[0].type
    'ImagingExam'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import BaseModel, Field

from core.config import ClosedConfig
from extractor.plugin import ExtractionRecord, PluginKind, RecordResult, SpanResult
from extractor.plugins.base import ConfiguredPlugin
from extractor.plugins.context import PluginContext

__all__ = ["IMAGING_CUES", "GazetteerNER", "GazetteerNERConfig"]

#: Substrings that make a matched ``Check`` an imaging exam.
IMAGING_CUES: tuple[str, ...] = ("CT", "MRI", "MR", "PET", "DR", "ECT", "磁共振", "核磁", "B超", "彩超", "超声",
                                 "X线", "X光", "造影", "平片", "胸片", "钼靶", "显像", "扫描", "摄片")


class GazetteerNERConfig(ClosedConfig):
    """Settings of ``gazetteer-ner``."""

    type_map: dict[str, str] = Field(default_factory=lambda: {
        "Disease": "Disease", "Symptom": "Symptom", "Drug": "Drug", "Check": "LabTest"})
    """KG label -> mention type; labels not listed (Food, Department, Producer) are not reported."""
    imaging_from_checks: bool = True
    """Report a ``Check`` match with an imaging cue as ``ImagingExam``."""
    score: float = Field(default=0.8, ge=0.0, le=1.0)
    """Score of every dictionary match (the watcher's overlap rule prefers higher scores)."""
    min_chars: int = Field(default=2, ge=1)
    """Shorter matches are dropped."""


class GazetteerNER(ConfiguredPlugin[GazetteerNERConfig]):
    """Dictionary NER plugin over the host's KG gazetteer."""

    name: ClassVar[str] = "gazetteer-ner"
    version: ClassVar[str] = "1"
    kind: ClassVar[PluginKind] = "ner"
    Config: ClassVar[type[BaseModel]] = GazetteerNERConfig

    def __init__(self, config: GazetteerNERConfig, context: PluginContext) -> None:
        self.settings, self.context = config, context



    def _type(self, label: str, surface: str) -> str | None:
        mapped = self.settings.type_map.get(label)
        if label == "Check" and mapped and self.settings.imaging_from_checks:
            upper = surface.upper()
            if any(cue in upper for cue in IMAGING_CUES):
                return "ImagingExam"
        return mapped

    def extract(self, records: Sequence[ExtractionRecord]) -> list[RecordResult]:
        """Dictionary spans per record."""
        gazetteer = self.context.gazetteer()
        out = []
        for record in records:
            spans = []
            for match in gazetteer.segment(record.text).spans:
                surface = record.text[match.start:match.end]
                mention_type = self._type(match.type, surface)
                if mention_type and match.end - match.start >= self.settings.min_chars:
                    spans.append(SpanResult(match.start, match.end, mention_type, self.settings.score, surface))
            out.append(RecordResult(record.id, tuple(spans)))
        return out
