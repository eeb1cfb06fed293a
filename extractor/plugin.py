"""The extraction-plugin protocol and the built-in NER plugin wrapping the CBT-KG tagger.

A plugin has a ``name``, a ``version``, a ``kind`` (``ner``, ``link`` or ``relation``), a
JSON-serialisable ``config`` and ``extract(records) -> results``: one :class:`RecordResult` per input
record, in order, holding typed :class:`SpanResult`s (offsets into the record's text, type, score).

Example:
    >>> plugin = TaggerPlugin("~/.local/share/medkg/models/cbt-kg")  # doctest: +SKIP
    >>> plugin.extract([ExtractionRecord("emr-1", "患者因胃癌入院")])[0].spans  # doctest: +SKIP
    (SpanResult(start=3, end=5, type='Disease', score=0.99, text='胃癌'),)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

__all__ = ["ExtractionPlugin", "ExtractionRecord", "PluginKind", "RecordResult", "SpanResult", "TaggerPlugin"]

PluginKind = Literal["ner", "link", "relation"]


@dataclass(frozen=True)
class ExtractionRecord:
    """One record handed to plugins: id, text, and what earlier plugins found."""

    id: str
    text: str
    found: tuple[Any, ...] = ()


@dataclass(frozen=True)
class SpanResult:
    """A typed mention: ``text == record.text[start:end]``; ``score`` in 0..1."""

    start: int
    end: int
    type: str
    score: float
    text: str


@dataclass(frozen=True)
class RecordResult:
    """What a plugin found in one record."""

    record_id: str
    spans: tuple[SpanResult, ...] = ()
    links: tuple[Any, ...] = ()
    relations: tuple[Any, ...] = ()


@runtime_checkable
class ExtractionPlugin(Protocol):
    """What the watcher runs."""

    name: str
    version: str
    kind: PluginKind

    @property
    def config(self) -> dict[str, Any]:
        """JSON-serialisable settings (stored on the ``(:Extractor)`` node)."""
        ...

    def extract(self, records: Sequence[ExtractionRecord]) -> list[RecordResult]:
        """One result per record, in input order."""
        ...


def _as_record(obj: object) -> ExtractionRecord:
    if isinstance(obj, ExtractionRecord):
        return obj
    if isinstance(obj, Mapping):
        return ExtractionRecord(str(obj["id"]), obj["text"])
    return ExtractionRecord(str(obj.id), obj.text)  # type: ignore[attr-defined]


class TaggerPlugin:
    """The CBT-KG tagger as an ``ner`` plugin; the checkpoint is loaded on first use.

    Args:
        model_dir: Checkpoint folder (``medkg train --out``).
        kg_vectors: KG lookup by concept id to use instead of the checkpoint's own vectors.
        batch_size: Windows per forward pass.
        device: ``cpu``, ``cuda`` or ``auto``.
        min_score: Spans scoring below this are dropped.
    """

    name = "cbt-kg-tagger"
    version = "1"
    kind: PluginKind = "ner"

    def __init__(self, model_dir: str | Path, kg_vectors: Mapping[str, np.ndarray] | None = None,
                 batch_size: int = 32, device: str = "cpu", min_score: float = 0.0) -> None:
        self.model_dir, self.kg_vectors = Path(model_dir).expanduser(), kg_vectors
        self.batch_size, self.device, self.min_score = batch_size, device, min_score
        self._tagger: Any = None

    @property
    def config(self) -> dict[str, Any]:
        """Model folder, batch size, device, threshold and the KG run in use."""
        run = self._tagger.kg_run if self._tagger is not None else None
        return {"model_dir": str(self.model_dir), "batch_size": self.batch_size, "device": self.device,
                "min_score": self.min_score, "kg_run": run}

    @property
    def tagger(self) -> Any:  # noqa: ANN401 - extractor.predict.Tagger, imported lazily (torch)
        """The loaded tagger."""
        if self._tagger is None:
            from extractor.checkpoint import load_tagger

            self._tagger = load_tagger(self.model_dir, self.kg_vectors, device=self.device)
        return self._tagger

    def extract(self, records: Sequence[ExtractionRecord | Mapping[str, Any]]) -> list[RecordResult]:
        """Spans per record (records may be :class:`ExtractionRecord`, mappings or objects with id/text).

        Raises:
            TypeError: If a record's text is not a string.
        """
        recs = [_as_record(r) for r in records]
        predicted = self.tagger.predict([r.text for r in recs], batch_size=self.batch_size)
        return [RecordResult(r.id, tuple(SpanResult(s.start, s.end, s.type, round(float(s.score), 4),
                                                    r.text[s.start:s.end])
                                         for s in spans if s.score >= self.min_score))
                for r, spans in zip(recs, predicted, strict=True)]
