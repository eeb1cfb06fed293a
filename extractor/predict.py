"""The tagger at inference: records in, typed spans with offsets and scores out.

Records are featurised whole (gazetteer matches see the full text), cut into overlapping windows,
batched by length (longest first, so padding stays small), run under ``torch.inference_mode``,
decoded with the constrained Viterbi, and merged back to record offsets. A span's score is the
minimum over its characters of the CRF marginal of the decoded tag.

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
from extractor.module import TaggerModule
from extractor.tags import allowed_transitions, label_list, tags_to_spans
from extractor.vocab import CharVocab
from extractor.windows import merge_window_spans, windows

if TYPE_CHECKING:
    from extractor.softlex import WordLexicon
    from linker.gazetteer import Gazetteer
    from linker.records import ConceptRecord

__all__ = ["Tagger", "resolve_device"]


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
        self.decoder = ConstrainedDecoder(allowed_transitions(self.labels, config.head.scheme))
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

    def decode_batch(self, batch: dict[str, torch.Tensor]) -> list[list[Span]]:
        """Spans (window offsets) of a collated batch; the module must be in eval mode."""
        autocast = (torch.autocast(self.device.type, dtype=torch.bfloat16)
                    if self.device.type == "cuda" else contextlib.nullcontext())
        with autocast:
            emissions = self.module(batch)
        mask = batch["mask"]
        paths = self.decoder.viterbi(self.module.crf, emissions, mask)
        probs = self.decoder.marginals(self.module.crf, emissions, mask).cpu().numpy()
        out = []
        for b, path in enumerate(paths):
            tags = [self.labels[i] for i in path]
            scores = probs[b, np.arange(len(path)), path].tolist()
            out.append(tags_to_spans(tags, scores, self.config.head.scheme))
        return out

    def predict(self, texts: Sequence[str], batch_size: int = 32,
                progress: ProgressFactory | None = None) -> list[list[Span]]:
        """Spans per record, in record offsets and text order (``progress``: a bar over windows).

        Raises:
            TypeError: If a text is not a string.
        """
        items, wins_per_record = self.windows_of(texts)
        order = sorted(range(len(items)), key=lambda i: -len(items[i]))
        per_item: list[list[Span]] = [[] for _ in items]
        was_training = self.module.training
        self.module.eval()
        if self.device.type == "cpu" and self.threads:
            torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                advance = start(progress, "tagging", len(order))
                for lo in range(0, len(order), batch_size):
                    chunk = [items[i] for i in order[lo:lo + batch_size]]
                    spans = self.decode_batch(collate(chunk, self.kg_table(), self.device))
                    for idx, found in zip(order[lo:lo + batch_size], spans, strict=True):
                        shift = items[idx].start
                        per_item[idx] = [Span(s.start + shift, s.end + shift, s.type, s.score) for s in found]
                    advance(len(chunk))
        finally:
            self.module.train(was_training)
        grouped: list[list[list[Span]]] = [[] for _ in texts]
        for item, item_spans in zip(items, per_item, strict=True):
            grouped[item.record].append(item_spans)
        return [merge_window_spans(g, w) if w else [] for g, w in zip(grouped, wins_per_record, strict=True)]
