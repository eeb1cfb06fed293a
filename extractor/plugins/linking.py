"""``kg-linker``: links every merged mention to a KG concept, NIL mentions to a candidate concept.

The linker library's chain (exact, alias, normalised, fuzzy, optional vector steps; see
``linker/README.md``) runs on each mention with its type; an accepted candidate becomes a link with
the linker's score and deciding step, a NIL result a link (``nil=True``) to the proposed candidate
concept ``candidate:<Type>:<normalised text>``, whose type label is the mention's type. Mentions of
a type the linker does not know are left unlinked.

Example:
    >>> from extractor.plugin import SpanResult
    >>> from extractor.plugins.context import PluginContext
    >>> from linker.records import ConceptRecord
    >>> ctx = PluginContext.from_concepts([ConceptRecord("Disease:胃炎", "Disease", "胃炎")])
    >>> rec = ExtractionRecord("r", "慢性胃炎", spans=(SpanResult(2, 4, "Disease", 0.8, "胃炎"),))
    >>> KGLinker(KGLinkerConfig(), ctx).extract([rec])[0].links[0].concept_id
    'Disease:胃炎'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from core.config import ClosedConfig
from extractor.plugin import ExtractionRecord, LinkResultItem, PluginKind, RecordResult
from extractor.plugins.base import ConfiguredPlugin

__all__ = ["KGLinker", "KGLinkerConfig"]


class KGLinkerConfig(ClosedConfig):
    """Settings of ``kg-linker``."""

    cache_size: int = Field(default=100_000, ge=0)
    """Distinct (mention text, type) results kept between batches (mentions repeat a lot in EMRs)."""
    nil_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    """Override the linker's calibrated NIL threshold (``None``: the linker's own)."""
    link_nil: bool = True
    """Link NIL mentions to a proposed candidate concept (else leave them unlinked)."""


class KGLinker(ConfiguredPlugin[KGLinkerConfig]):
    """Linking plugin over the host's KG linker."""

    name: ClassVar[str] = "kg-linker"
    version: ClassVar[str] = "1"
    kind: ClassVar[PluginKind] = "link"
    Config: ClassVar[type[BaseModel]] = KGLinkerConfig

    def __init__(self, config: KGLinkerConfig, context: Any) -> None:  # PluginContext
        self.settings, self.context = config, context
        self._linker: Any = None
        self._cache: dict[tuple[str, str], Any] = {}



    @property
    def linker(self) -> Any:  # linker.Linker
        """The host's linker, with this plugin's NIL threshold."""
        if self._linker is None:
            base = self.context.linker()
            threshold = self.settings.nil_threshold
            self._linker = base.with_config(nil_threshold=threshold) if threshold is not None else base
        return self._linker

    def _link(self, text: str, type_: str) -> Any:  # linker.LinkResult or None
        key = (text, type_)
        if key in self._cache:
            return self._cache[key]
        try:
            result = self.linker.link(text, type=type_, k=1)
        except ValueError:  # a type the linker does not know, or a blank mention
            result = None
        if self.settings.cache_size:
            if len(self._cache) >= self.settings.cache_size:
                self._cache.pop(next(iter(self._cache)))  # first in, first out
            self._cache[key] = result
        return result

    def extract(self, records: Sequence[ExtractionRecord]) -> list[RecordResult]:
        """One link per linkable span."""
        out = []
        for record in records:
            links = []
            for span in record.spans:
                result = self._link(span.text, span.type)
                if result is None:
                    continue
                if result.best is not None:
                    best = result.best
                    links.append(LinkResultItem(span.key, best.concept_id, best.type, best.name,
                                                round(float(best.score), 4), best.method))
                elif self.settings.link_nil and result.nil_candidate_id:
                    score = result.candidates[0].score if result.candidates else 0.0
                    links.append(LinkResultItem(span.key, result.nil_candidate_id, result.type or span.type,
                                                result.normalized, round(1.0 - float(score), 4), "nil", nil=True))
            out.append(RecordResult(record.id, links=tuple(links)))
        return out
