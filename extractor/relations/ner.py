"""CMeIE entities for the tagger, and end-to-end triples from predicted entities.

CMeIE gives entity strings, not spans, and its entities overlap (``骨性关节炎`` and ``关节`` in one
sentence). A flat BIOES tagger needs one layer, so :func:`ner_examples` keeps, per sentence, the
located occurrences (:func:`~extractor.relations.data.locate_sentence`) greedily: longest first, ties
to the earlier start, then to the type that comes first in :data:`CMEIE_TYPES`; an occurrence that
overlaps one already kept is dropped and counted. The tagger is trained on these layers with the
CMeIE entity types as its types; :func:`predicted_triples` turns its spans back into mentions,
builds the schema-allowed candidates over them and lets a relation classifier label them, so the
result can be scored as CBLUE scores CMeIE (:func:`~extractor.relations.evaluate.score_triples`).

Example:
    >>> from extractor.relations.data import Sentence, Triple
    >>> s = Sentence("s0", "骨性关节炎累及膝关节", (Triple("骨性关节炎", "疾病", "发病部位", "膝关节", "部位"),
    ...                                           Triple("骨性关节炎", "疾病", "发病部位", "关节", "部位")))
    >>> examples, stats = ner_examples([s])
    >>> [(sp.start, sp.end, sp.type) for sp in examples[0].spans], stats.dropped_overlaps
    ([(0, 5, '疾病'), (7, 10, '部位')], 2)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from core.progress import ProgressFactory
from extractor.data import Example, Span
from extractor.relations.data import (
    Candidate,
    CandidateStats,
    Mention,
    Schema,
    Sentence,
    build_candidates,
    locate_sentence,
)
from extractor.relations.evaluate import candidate_triples

__all__ = ["CMEIE_TYPES", "NerStats", "mentions_from_spans", "ner_examples", "predicted_candidates",
           "predicted_triples"]

#: CMeIE's entity types (``schema.json``), in the tagger's label order.
CMEIE_TYPES: tuple[str, ...] = ("疾病", "症状", "检查", "药物", "手术治疗", "其他治疗", "部位", "流行病学",
                                "社会学", "预后", "其他")


class _SpanPredictor(Protocol):
    def predict(self, texts: Sequence[str], batch_size: int = 32,
                progress: ProgressFactory | None = None) -> list[list[Span]]: ...


class _PairClassifier(Protocol):
    def predict(self, candidates: Sequence[Candidate], texts: Mapping[str, str], batch_size: int = 64
                ) -> list[str]: ...


@dataclass
class NerStats:
    """What :func:`ner_examples` kept and dropped."""

    sentences: int = 0
    occurrences: int = 0
    kept: int = 0
    dropped_overlaps: int = 0
    unknown_types: int = 0


def ner_examples(sentences: Iterable[Sentence], types: Sequence[str] = CMEIE_TYPES
                 ) -> tuple[list[Example], NerStats]:
    """One flat layer of typed spans per sentence (the rule in the module docstring).

    Raises:
        ValueError: Never for overlaps (they are dropped); only if a located mention does not match its text.
    """
    rank = {t: i for i, t in enumerate(types)}
    stats = NerStats()
    out: list[Example] = []
    for s in sentences:
        stats.sentences += 1
        found = locate_sentence(s)
        stats.occurrences += len(found)
        known = [m for m in found if m.type in rank]
        stats.unknown_types += len(found) - len(known)
        kept: list[Mention] = []
        for m in sorted(known, key=lambda m: (-(m.end - m.start), m.start, rank[m.type])):
            if any(m.start < k.end and k.start < m.end for k in kept):
                stats.dropped_overlaps += 1
                continue
            kept.append(m)
        stats.kept += len(kept)
        spans = tuple(Span(m.start, m.end, m.type) for m in sorted(kept, key=lambda m: m.start))
        out.append(Example(s.id, s.text, spans))
    return out, stats


def mentions_from_spans(text: str, spans: Iterable[Span]) -> list[Mention]:
    """Predicted spans as relation mentions (``text`` filled from the sentence)."""
    return [Mention(sp.start, sp.end, text[sp.start:sp.end], sp.type) for sp in spans]


def predicted_candidates(sentences: Sequence[Sentence], spans: Sequence[Sequence[Span]], schema: Schema, *,
                         max_pairs: int = 1024, stats: CandidateStats | None = None
                         ) -> tuple[list[Candidate], dict[str, str]]:
    """Unlabelled candidates over predicted spans (one list per sentence, in order)."""
    if len(spans) != len(sentences):
        raise ValueError(f"{len(spans)} span lists for {len(sentences)} sentences")
    out: list[Candidate] = []
    texts: dict[str, str] = {}
    for s, found in zip(sentences, spans, strict=True):
        texts[s.id] = s.text
        out += build_candidates(s.id, s.text, mentions_from_spans(s.text, found), schema, max_pairs=max_pairs,
                                stats=stats)
    return out, texts


def predicted_triples(sentences: Sequence[Sentence], tagger: _SpanPredictor, classifier: _PairClassifier,
                      schema: Schema, *, batch_size: int = 32
                      ) -> tuple[dict[str, set[tuple[str, str, str]]], list[list[Span]]]:
    """Entities by ``tagger``, relations by ``classifier``: ``sentence id -> {(subject, predicate, object)}``.

    Returns:
        The triples per sentence (every sentence present, possibly empty) and the predicted spans.
    """
    spans = tagger.predict([s.text for s in sentences], batch_size=batch_size)
    candidates, texts = predicted_candidates(sentences, spans, schema)
    labels = classifier.predict(candidates, texts) if candidates else []
    triples: dict[str, set[tuple[str, str, str]]] = {s.id: set() for s in sentences}
    for sid, found in candidate_triples(candidates, labels).items():
        triples[sid] |= found
    return triples, spans
