"""``entity-marker-relations``: the learned entity-marker relation classifier as a ``relation`` plugin.

Each record is cut into sentences (at 。！？；!?; and line breaks, as CMeIE's sentences are);
within a sentence, every ordered pair of mentions whose types the checkpoint's schema allows is a
candidate (at most ``max_distance`` characters apart and ``max_pairs`` per sentence, nearest pairs
first), classified by the checkpoint's pairing (:mod:`extractor.relations.model`: the subject and
object wrapped in marker tokens, or one shared encoding per sentence).
Mention types are the tagger's (``Disease``, ``Drug``, ...) mapped to CMeIE's (:data:`NER_TO_CMEIE`).
A predicted predicate becomes a relation with the probability of that predicate as its score.

Only mentions the record asserts of the patient take part (:mod:`extractor.plugins.evidence`, the rule
``cooccurrence-relations`` follows too): a pair is a candidate when its subject is affirmed, not
hypothetical and the patient's, and its object is too or is a finding the record says is absent (kept by
the graph as a pertinent negative, never as evidence). Without an assertion plugin every mention takes part.

Example:
    >>> plugin = EntityMarkerRelations(EntityMarkerConfig(model_dir="relations/"))  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, Field

from core.config import ClosedConfig
from extractor.plugin import ExtractionRecord, PluginKind, RecordResult, RelationResult, SpanKey
from extractor.plugins.base import ConfiguredPlugin
from extractor.plugins.evidence import relation_polarity

if TYPE_CHECKING:  # the relation classifier (torch) is imported when the plugin first runs
    from extractor.relations.data import Candidate

__all__ = ["NER_TO_CMEIE", "EntityMarkerConfig", "EntityMarkerRelations", "sentence_bounds"]

#: The tagger's mention types -> CMeIE entity types.
#: A Procedure (CMeEE's 医疗程序: 化疗, 放疗, 透析, 吸氧, ...) is CMeIE's 其他治疗; Equipment, Microorganism and
#: Department have no CMeIE type, so the model never pairs them.
NER_TO_CMEIE: dict[str, str] = {"Disease": "疾病", "Symptom": "症状", "Drug": "药物", "LabTest": "检查",
                                "ImagingExam": "检查", "Check": "检查", "Operation": "手术治疗", "Anatomy": "部位",
                                "Procedure": "其他治疗"}

_END = re.compile(r"[。！？；!?;\n]")


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each sentence (the terminator belongs to its sentence)."""
    bounds, start = [], 0
    for m in _END.finditer(text):
        bounds.append((start, m.end()))
        start = m.end()
    if start < len(text):
        bounds.append((start, len(text)))
    return bounds


class EntityMarkerConfig(ClosedConfig):
    """Settings of ``entity-marker-relations``."""

    model_dir: str
    """Checkpoint folder (``extractor.relations``)."""
    batch_size: int | None = Field(default=None, ge=1)
    """Candidates per forward pass (default: 64 with the ``markers`` pairing, 256 with ``shared``, whose
    cost is per sentence rather than per candidate)."""
    threshold: float | None = Field(default=None, gt=0.0, le=1.0)
    """Override the checkpoint's tuned threshold on P(none)."""
    max_distance: int | None = Field(default=40, ge=0)
    """Skip pairs with more characters than this between the two mentions (``None``: no limit); most
    record relations are close, and with the ``markers`` pairing each candidate costs one encoding of its
    sentence."""
    max_pairs: int = Field(default=256, ge=1)
    """Most candidates per sentence (nearest pairs first): a sentence with hundreds of mentions stays bounded."""
    precision: float = Field(default=0.5, gt=0.0, le=1.0)
    """Measured precision of a predicted relation (read by the graph's confidence rule)."""


class EntityMarkerRelations(ConfiguredPlugin[EntityMarkerConfig]):
    """The learned relation classifier, loaded on first use."""

    name: ClassVar[str] = "entity-marker-relations"
    version: ClassVar[str] = "1"
    kind: ClassVar[PluginKind] = "relation"
    Config: ClassVar[type[BaseModel]] = EntityMarkerConfig
    uses_torch: ClassVar[bool] = True

    def __init__(self, config: EntityMarkerConfig, context: Any = None) -> None:  # PluginContext
        self.settings, self.context = config, context
        self.device = context.device if context is not None else "cpu"
        self._clf: Any = None

    @classmethod
    def config_from_model(cls, model_dir: Path, options: Mapping[str, Any],
                          embedding_runs: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
        """The config for a relation checkpoint folder (``medkg plugins register ... --model DIR``).

        Unless ``options`` give a ``precision``, it is the checkpoint's measured validation precision
        (``val_precision`` in its ``config.json``), so the confidence rule uses a measured figure.

        Raises:
            RelationCheckpointError: ``model_dir`` is not a relation checkpoint.
        """
        from extractor.relations.predict import read_relation_meta

        meta = read_relation_meta(model_dir)
        config: dict[str, Any] = {"model_dir": str(Path(model_dir).expanduser().resolve()), **options}
        measured = meta.get("val_precision")
        if "precision" not in options and isinstance(measured, int | float) and 0 < measured <= 1:
            config["precision"] = float(measured)
        return config

    @classmethod
    def artifact_sha256(cls, config: EntityMarkerConfig) -> str:
        """The checkpoint's weights hash.

        Raises:
            RelationCheckpointError: The folder is not a relation checkpoint of this medkg's version.
        """
        from extractor.plugins.tagger import weights_sha256
        from extractor.relations.predict import read_relation_meta

        read_relation_meta(config.model_dir)
        return weights_sha256(config.model_dir, "relation checkpoint")

    @property
    def classifier(self) -> Any:  # extractor.relations.predict.RelationClassifier
        """The loaded classifier."""
        if self._clf is None:
            from extractor.relations.predict import load_relation_classifier

            self._clf = load_relation_classifier(self.settings.model_dir, device=self.device)
        return self._clf

    def _candidates(self, record: ExtractionRecord, sid_prefix: str
                    ) -> tuple[list[Candidate], dict[str, str], list[tuple[SpanKey, SpanKey]]]:
        from extractor.relations.data import Candidate, Mention

        schema = self.classifier.schema
        candidates, texts, keys = [], {}, []
        spans = sorted(record.spans, key=lambda s: s.start)
        for n, (lo, hi) in enumerate(sentence_bounds(record.text)):
            inside = [s for s in spans if lo <= s.start and s.end <= hi and s.type in NER_TO_CMEIE]
            limit = self.settings.max_distance
            pairs = [(a, b) for a in inside for b in inside if a is not b
                     and not (a.start < b.end and b.start < a.end)
                     and (limit is None or max(a.start, b.start) - min(a.end, b.end) <= limit)
                     and relation_polarity(record.assertions.get(a.key), record.assertions.get(b.key)) is not None
                     and schema.predicates_for(NER_TO_CMEIE[a.type], NER_TO_CMEIE[b.type])]
            pairs.sort(key=lambda p: (abs(p[0].start - p[1].start), p[0].start, p[1].start))
            sid = f"{sid_prefix}{n}"
            texts[sid] = record.text[lo:hi]
            for a, b in pairs[:self.settings.max_pairs]:
                subject = Mention(a.start - lo, a.end - lo, a.text, NER_TO_CMEIE[a.type])
                obj = Mention(b.start - lo, b.end - lo, b.text, NER_TO_CMEIE[b.type])
                candidates.append(Candidate(sid, subject, obj))
                keys.append((a.key, b.key))
        return candidates, texts, keys

    def extract(self, records: Sequence[ExtractionRecord]) -> list[RecordResult]:
        """Relations per record between its mentions, one batch of candidates for all records."""
        candidates, texts, owners = [], {}, []
        for i, record in enumerate(records):
            found, sentences, keys = self._candidates(record, f"{i}:")
            candidates += found
            texts.update(sentences)
            owners += [(i, key) for key in keys]
        relations: list[list[RelationResult]] = [[] for _ in records]
        if candidates:
            clf = self.classifier
            size = self.settings.batch_size or (64 if clf.config.pairing == "markers" else 256)
            proba = clf.predict_proba(candidates, texts, size)
            labels = clf.decide(proba, self.settings.threshold)
            for (i, (subject, obj)), label, row in zip(owners, labels, proba, strict=True):
                if label != "none":
                    score = float(row[clf.labels.index(label)])
                    relations[i].append(RelationResult(subject, obj, label, round(min(1.0, score), 4)))
        return [RecordResult(r.id, relations=tuple(rels)) for r, rels in zip(records, relations, strict=True)]
