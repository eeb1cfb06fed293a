"""The tagger at inference: records in, typed spans with offsets and scores out.

Records are featurised whole (gazetteer matches see the full text), cut into overlapping windows,
batched by length (longest first, so padding stays small), run under ``torch.inference_mode``,
decoded with the constrained Viterbi, and merged back to record offsets. A span's score is the
minimum over its characters of the CRF marginal of the decoded tag; a span head's is the sigmoid of
its score.

A model of several annotation schemas (``TaggerConfig.schemas``) runs its shared layers once per batch
and then the heads asked for: ``predict(texts, schema="cmeee")`` gives one schema's spans in that
corpus's type names; ``predict(texts)`` the merged output, each schema's ``emit`` types renamed to
mention types, an identical span kept from the earliest schema only. Spans of different types may nest.

Example:
    >>> tagger = load_tagger("model_dir")  # doctest: +SKIP
    >>> tagger.predict(["患者因胃癌行胃大部切除术"])  # doctest: +SKIP
    [[Span(start=3, end=5, type='Disease', score=0.98), ...]]
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from core.progress import ProgressFactory, start
from extractor.batching import Window, collate, slice_windows
from extractor.config import TaggerConfig
from extractor.data import Span
from extractor.decoder import ConstrainedDecoder
from extractor.features import Featurizer
from extractor.lexicon import build_lexicon
from extractor.module import HeadSpec, TaggerModule
from extractor.spanhead import decode_spans, span_candidates, spans_above
from extractor.tags import allowed_transitions, label_list, tags_to_spans
from extractor.vocab import CharVocab
from extractor.windows import merge_window_spans, windows

if TYPE_CHECKING:
    from extractor.softlex import WordLexicon
    from linker.gazetteer import Gazetteer
    from linker.records import ConceptRecord

__all__ = ["SpanCandidates", "Tagger", "resolve_device"]


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None``/``"auto"``: CUDA when available, else CPU (then torch uses every core)."""
    if device is None or device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(device)


class Tagger:
    """A trained (or freshly built) CBT-KG tagger.

    Args:
        config: The tagger config.
        module: The network.
        vocab: Encoder character vocabulary.
        bigrams: Bigram vocabulary.
        gazetteer: A ``linker.Gazetteer`` or ``None``.
        kg_vectors: Lookup concept id -> vector, or ``None``.
        kg_dim: KG vector size the module was built for (0: no KG input).
        kg_run: Name of the KGE run the vectors came from.
        concepts: The gazetteer's concept records (kept so checkpoints can rebuild it).
        device: Where the module runs.
        lexicon: (surface, type) entries of the training records' lexicon (``features.lexicon``).
        word_lexicon: The ``extractor.softlex.WordLexicon`` of the SoftLexicon features (``features.softlexicon``).
    """

    def __init__(self, config: TaggerConfig, module: TaggerModule, vocab: CharVocab, bigrams: CharVocab,
                 gazetteer: Gazetteer | None, kg_vectors: Mapping[str, np.ndarray] | None, kg_dim: int,
                 kg_run: str | None = None, concepts: Sequence[ConceptRecord] = (),
                 device: str | torch.device | None = "cpu", lexicon: Sequence[tuple[str, str]] = (),
                 word_lexicon: WordLexicon | None = None) -> None:
        self.config, self.module, self.vocab, self.bigrams = config, module, vocab, bigrams
        self.gazetteer, self.concepts, self.kg_dim, self.kg_run = gazetteer, list(concepts), kg_dim, kg_run
        self.labels = label_list(config.types, config.head.scheme)
        scheme = config.head.scheme
        self.head_of: dict[str, HeadSpec] = {name: spec for spec in module.specs for name in spec.schemas}
        self.head_labels = {spec.key: label_list(spec.types, scheme) for spec in module.specs}
        self.decoders = {key: ConstrainedDecoder(allowed_transitions(labels, scheme))
                         for key, labels in self.head_labels.items()}
        self.lexicon = [(surface, kind) for surface, kind in lexicon] if config.features.lexicon else []
        self.word_lexicon = word_lexicon if config.features.softlexicon else None
        self.featurizer = Featurizer(vocab, bigrams, gazetteer, kg_vectors, config.features.kg_types,
                                     kg_dim if kg_dim else None, build_lexicon(self.lexicon), config.types,
                                     self.word_lexicon, config.features.softlexicon_k)
        self.device = resolve_device(device)
        self.module.to(self.device)
        self._kg_table: torch.Tensor | None = None
        self.threads: int | None = None
        """torch threads set before each ``predict`` on CPU (``load_tagger`` sets all cores)."""

    @property
    def schemas(self) -> tuple[str, ...]:
        """The annotation schemas the model has output heads for (a one-schema model: its ``schema_name``)."""
        return tuple(s.name for s in self.config.schemas) or (self.config.schema_name,)

    def schema_types(self, name: str) -> tuple[str, ...]:
        """The types of one schema's output, as its corpus names them.

        Raises:
            ValueError: The model has no head for ``name``.
        """
        self._check_schema(name)
        for schema in self.config.schemas:
            if schema.name == name:
                return schema.types
        return self.config.types

    def nested(self, name: str) -> bool:
        """Whether a schema's output may hold nested or overlapping spans (a span head's)."""
        self._check_schema(name)
        return self.head_of[name].output == "span"

    def span_threshold(self, name: str) -> float:
        """The decision threshold of a schema's span head on its raw scores (0 unless calibrated)."""
        self._check_schema(name)
        return float(self.config.head.span_thresholds.get(name, 0.0))

    def span_nest_margin(self, name: str) -> float:
        """What a span nested in or around a higher-scoring one needs above the threshold (0 unless calibrated)."""
        self._check_schema(name)
        return float(self.config.head.span_nest_margins.get(name, 0.0))

    def set_span_thresholds(self, thresholds: Mapping[str, float],
                            nest_margins: Mapping[str, float] | None = None) -> None:
        """Set span-head thresholds (and nesting margins) per schema.

        They are kept in the config, so a saved checkpoint keeps them.

        Raises:
            ValueError: A schema the model has no head for, one whose head is a CRF, or a negative margin.
        """
        margins = dict(nest_margins or {})
        for name in {*thresholds, *margins}:
            self._check_span_head(name)
        head = self.config.head
        update = {"span_thresholds": {**head.span_thresholds, **{k: float(v) for k, v in thresholds.items()}},
                  "span_nest_margins": {**head.span_nest_margins, **{k: float(v) for k, v in margins.items()}}}
        head = type(head).model_validate({**head.model_dump(), **update})
        self.config = self.config.model_copy(update={"head": head})

    def _check_span_head(self, name: str) -> None:
        if not self.nested(name):
            raise ValueError(f"schema {name!r} has a CRF head, which has no span threshold")

    def _check_schema(self, name: str) -> None:
        if name not in self.schemas:
            raise ValueError(f"this model has output heads for {', '.join(self.schemas)}, not for {name!r}")

    @property
    def window(self) -> int:
        """Characters per window (bounded by the encoder's positions)."""
        limit = getattr(self.module.encoder, "max_chars", None)
        return min(self.config.encoder.window, limit) if limit else self.config.encoder.window

    def set_kg_vectors(self, kg_vectors: Mapping[str, np.ndarray] | None, kg_run: str | None = None) -> None:
        """Use another KG lookup (same dimension) from now on.

        Raises:
            ValueError: On a dimension mismatch.
        """
        self.featurizer.set_kg_vectors(kg_vectors, self.kg_dim if self.kg_dim else None)
        self.kg_run, self._kg_table = kg_run, None

    def kg_table(self) -> torch.Tensor:
        """The KG matrix on the module's device (row 0 = no vector)."""
        if self._kg_table is None:
            self._kg_table = torch.from_numpy(self.featurizer.kg_matrix).to(self.device)
        return self._kg_table

    def windows_of(self, texts: Sequence[str]) -> tuple[list[Window], list[list[tuple[int, int]]]]:
        """Featurise and cut records into inference windows.

        Raises:
            TypeError: If a text is not a string.
        """
        items: list[Window] = []
        wins_per_record = []
        size = self.window
        overlap = min(self.config.encoder.overlap, size // 2)
        for r, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"record {r}: text must be str, got {type(text).__name__}")
            wins = windows(len(text), size, overlap) if text else []
            wins_per_record.append(wins)
            if wins:
                items.extend(slice_windows(r, self.featurizer.featurize(text), wins))
        return items, wins_per_record

    def decode_batch(self, batch: dict[str, torch.Tensor], schemas: Sequence[str] | None = None,
                     floors: Mapping[str, float] | None = None) -> list[list[Span]] | dict[str, list[list[Span]]]:
        """Spans (window offsets) of a collated batch; the module must be in eval mode.

        Without ``schemas``: the one-schema model's spans per window. With them: a dict schema -> spans
        per window, each schema's in its own type names; the shared layers run once. ``floors`` (schema
        -> score) gives those span heads' candidates instead, raw scores above the floor and crossings
        kept (:func:`extractor.spanhead.span_candidates`).
        """
        names = list(schemas) if schemas is not None else [self.schemas[0]]
        autocast = (torch.autocast(self.device.type, dtype=torch.bfloat16)
                    if self.device.type == "cuda" else contextlib.nullcontext())
        mask = batch["mask"]
        with autocast:
            x = self.module.encode(batch)
        out: dict[str, list[list[Span]]] = {}
        for name in names:
            spec = self.head_of[name]
            with autocast:
                scores = self.module.head_output(spec.key, x, mask)
            types = self.schema_types(name)
            if spec.output == "span":
                mine = scores[:, list(spec.schemas[name])]
                out[name] = (span_candidates(mine, types, floors[name]) if floors and name in floors
                             else decode_spans(mine, types, self.span_threshold(name), self.span_nest_margin(name)))
                continue
            crf, decoder, labels = self.module.crf_of(spec.key), self.decoders[spec.key], self.head_labels[spec.key]
            paths = decoder.viterbi(crf, scores, mask)
            probs = decoder.marginals(crf, scores, mask).cpu().numpy()
            found = []
            for b, path in enumerate(paths):
                tags = [labels[i] for i in path]
                scores_of_path = probs[b, np.arange(len(path)), path].tolist()
                found.append(tags_to_spans(tags, scores_of_path, self.config.head.scheme))
            out[name] = found
        return out if schemas is not None else out[names[0]]

    def predict(self, texts: Sequence[str], batch_size: int = 32, progress: ProgressFactory | None = None,
                schema: str | None = None) -> list[list[Span]]:
        """Spans per record, in record offsets and text order (``progress``: a bar over windows).

        Args:
            texts: The records.
            batch_size: Windows per batch.
            progress: Progress-bar factory.
            schema: One schema's spans in its corpus's type names; ``None``: the model's output (a
                several-schema model's merged mention types).

        Raises:
            TypeError: If a text is not a string.
            ValueError: The model has no head for ``schema``.
        """
        if schema is not None:
            self._check_schema(schema)
        names = [schema] if schema is not None else self._output_schemas()
        items, wins_per_record = self.windows_of(texts)
        per_item = self._decode_items(items, names, batch_size, progress)
        per_schema = {name: self._assemble(len(texts), items, wins_per_record, per_item[name], name)
                      for name in names}
        if schema is not None or not self.config.schemas:
            return per_schema[names[0]]
        return [self._merge({name: spans[r] for name, spans in per_schema.items()}) for r in range(len(texts))]

    def predict_at_thresholds(self, texts: Sequence[str], schema: str, thresholds: Sequence[float],
                              batch_size: int = 32, progress: ProgressFactory | None = None
                              ) -> dict[float, list[list[Span]]]:
        """One span head's spans per record at each of several thresholds, the network run once.

        Each threshold's output is what :meth:`predict` gives with the head set to it (its nesting
        margin as it is).

        Raises:
            ValueError: No head for ``schema``, a CRF head, or no thresholds.
        """
        if not thresholds:
            raise ValueError("no thresholds given")
        found = self.span_candidates(texts, schema, min(thresholds), batch_size, progress)
        margin = self.span_nest_margin(schema)
        return {float(t): found.at(t, margin) for t in thresholds}

    def span_candidates(self, texts: Sequence[str], schema: str, floor: float, batch_size: int = 32,
                        progress: ProgressFactory | None = None) -> SpanCandidates:
        """One span head's candidates over ``texts``: every span of raw score above ``floor``.

        For decoding at many thresholds and margins without running the network again
        (:meth:`SpanCandidates.at`).

        Raises:
            ValueError: No head for ``schema``, or a CRF head.
        """
        self._check_span_head(schema)
        items, wins_per_record = self.windows_of(texts)
        per_window = self._decode_items(items, [schema], batch_size, progress, floors={schema: floor})[schema]
        return SpanCandidates(self, schema, floor, items, wins_per_record, per_window)

    def _decode_items(self, items: Sequence[Window], names: Sequence[str], batch_size: int,
                      progress: ProgressFactory | None, floors: Mapping[str, float] | None = None
                      ) -> dict[str, list[list[Span]]]:
        """Spans per window and schema, in record offsets (``floors``: as in :meth:`decode_batch`)."""
        order = sorted(range(len(items)), key=lambda i: -len(items[i]))
        per_item: dict[str, list[list[Span]]] = {name: [[] for _ in items] for name in names}
        was_training = self.module.training
        self.module.eval()
        if self.device.type == "cpu" and self.threads:
            torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                advance = start(progress, "tagging", len(order))
                for lo in range(0, len(order), batch_size):
                    chunk = [items[i] for i in order[lo:lo + batch_size]]
                    decoded = self.decode_batch(collate(chunk, self.kg_table(), self.device), names, floors)
                    assert isinstance(decoded, dict)
                    for name, spans in decoded.items():
                        for idx, found in zip(order[lo:lo + batch_size], spans, strict=True):
                            shift = items[idx].start
                            per_item[name][idx] = [Span(s.start + shift, s.end + shift, s.type, s.score)
                                                   for s in found]
                    advance(len(chunk))
        finally:
            self.module.train(was_training)
        return per_item

    def _assemble(self, n_texts: int, items: Sequence[Window], wins_per_record: Sequence[Sequence[tuple[int, int]]],
                  per_item: Sequence[Sequence[Span]], name: str) -> list[list[Span]]:
        """One schema's window spans merged per record (overlapping windows resolved)."""
        grouped: list[list[Sequence[Span]]] = [[] for _ in range(n_texts)]
        for item, item_spans in zip(items, per_item, strict=True):
            grouped[item.record].append(item_spans)
        return [merge_window_spans(g, w, nested=self.nested(name)) if w else []
                for g, w in zip(grouped, wins_per_record, strict=True)]

    def _output_schemas(self) -> list[str]:
        """The schemas whose heads the merged output needs (those that emit a type)."""
        if not self.config.schemas:
            return [self.config.schema_name]
        return [s.name for s in self.config.schemas if s.emit is None or s.emit]

    def _merge(self, by_schema: dict[str, list[Span]]) -> list[Span]:
        """One record's merged output: emitted types as mention types, an identical span from the earliest schema."""
        taken: dict[tuple[int, int], Span] = {}
        for schema in self.config.schemas:
            emit = set(schema.types if schema.emit is None else schema.emit)
            for span in by_schema.get(schema.name, ()):
                if span.type in emit and (span.start, span.end) not in taken:
                    taken[(span.start, span.end)] = Span(span.start, span.end, schema.mention_types[span.type],
                                                         span.score)
        return sorted(taken.values(), key=lambda s: (s.start, s.end))


class SpanCandidates:
    """One span head's output over some records before its decision.

    Every span above a floor, raw score kept (:meth:`Tagger.span_candidates`). :meth:`at` decodes them as
    :meth:`Tagger.predict` would at a threshold and nesting margin, so a calibration runs the network once.
    """

    def __init__(self, tagger: Tagger, schema: str, floor: float, items: Sequence[Window],
                 wins_per_record: Sequence[Sequence[tuple[int, int]]], per_window: Sequence[Sequence[Span]]) -> None:
        self.tagger, self.schema, self.floor = tagger, schema, floor
        self._items, self._wins, self._per_window = items, wins_per_record, per_window

    def at(self, threshold: float, nest_margin: float = 0.0) -> list[list[Span]]:
        """Spans per record (record offsets, text order) at ``threshold`` and ``nest_margin``.

        Raises:
            ValueError: A threshold below the floor the candidates were taken at, or a negative margin.
        """
        if threshold < self.floor:
            raise ValueError(f"threshold {threshold} is below the candidates' floor {self.floor}")
        if nest_margin < 0:
            raise ValueError(f"a nesting margin must be >= 0, got {nest_margin}")
        decided = [spans_above(found, threshold, nest_margin) for found in self._per_window]
        return self.tagger._assemble(len(self._wins), self._items, self._wins, decided, self.schema)
