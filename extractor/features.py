"""Per-character model inputs: character ids, bigram ids, gazetteer features and KG vector rows.

:class:`Featurizer` runs the gazetteer once over the whole record (so matches across window
borders are seen whole), then slices windows. KG vectors come in as a lookup by concept id and are
stored as a matrix; row 0 is "no vector" (no match, or a matched concept without a vector).

Example:
    >>> from extractor.vocab import CharVocab
    >>> f = Featurizer(CharVocab.build(["胃炎"]), CharVocab.build(["胃炎"], bigrams=True), None, None)
    >>> f.featurize("胃炎").input_ids.shape
    (2,)
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from extractor.vocab import CharVocab

if TYPE_CHECKING:  # the gazetteer is linker's, imported where one is built (linker loads its tables)
    from extractor.softlex import WordLexicon
    from linker.gazetteer import Gazetteer, Segmentation

__all__ = ["BIOES_INDEX", "Featurizer", "RecordFeatures"]

BIOES_INDEX = {"O": 0, "B": 1, "I": 2, "E": 3, "S": 4}


class _Own(enum.Enum):
    """The default of :meth:`Featurizer.featurize`'s ``lexicon``: the featurizer's own (``None`` is none)."""

    LEXICON = "own"


@dataclass
class RecordFeatures:
    """Arrays of one record, each of length ``len(text)``.

    Attributes:
        input_ids: Encoder token id per character (int64).
        bigram_ids: Bigram id per character (int64).
        gaz_bioes: BIOES position in the gazetteer match, index into ``BIOES_INDEX`` (int64).
        gaz_type: 0 = no match, else 1 + index of the KG label in the feature config (int64).
        kg_rows: Row of the KG matrix for the matched concept, 0 = none (int64).
        lex_bioes: BIOES position in the lexicon match (``extractor.lexicon``), like ``gaz_bioes``.
        lex_type: 0 = no lexicon match, else 1 + index of its entity type.
        soft_ids: (n, 4, k) word ids of the SoftLexicon B/M/E/S sets (``extractor.softlex``; k = 0 when off).
        soft_weights: (n, 4, k) their weights ``4 z(w) / Z`` (float32).
    """

    input_ids: np.ndarray
    bigram_ids: np.ndarray
    gaz_bioes: np.ndarray
    gaz_type: np.ndarray
    kg_rows: np.ndarray
    lex_bioes: np.ndarray
    lex_type: np.ndarray
    soft_ids: np.ndarray
    soft_weights: np.ndarray


def _mark(seg: Segmentation, bioes: np.ndarray, types: np.ndarray, type_index: Mapping[str, int],
          rows: np.ndarray | None = None, kg_row: Mapping[str, int] | None = None) -> None:
    for span in seg.spans:
        if rows is not None and kg_row is not None:
            rows[span.start:span.end] = kg_row.get(span.concept_id, 0)
        types[span.start:span.end] = type_index.get(span.type, 0)
        if span.end - span.start == 1:
            bioes[span.start] = 4
        else:
            bioes[span.start], bioes[span.start + 1:span.end - 1], bioes[span.end - 1] = 1, 2, 3


class Featurizer:
    """Turns texts into :class:`RecordFeatures`.

    Args:
        vocab: Character vocabulary of the encoder.
        bigrams: Bigram vocabulary.
        gazetteer: A ``linker.Gazetteer`` (or ``None``: no match anywhere).
        kg_vectors: Lookup concept id -> vector (or ``None``).
        kg_types: KG labels in category-index order.
        kg_dim: KG vector size expected (checked against the lookup).
        lexicon: A lexicon gazetteer (``extractor.lexicon.build_lexicon``) or ``None``.
        lexicon_types: Entity types in lexicon-category order.
        word_lexicon: A ``extractor.softlex.WordLexicon`` for SoftLexicon features, or ``None``.
        word_k: Words kept per SoftLexicon set.
    """

    def __init__(self, vocab: CharVocab, bigrams: CharVocab, gazetteer: Gazetteer | None,
                 kg_vectors: Mapping[str, np.ndarray] | None,
                 kg_types: Sequence[str] = ("Disease", "Symptom", "Drug", "Check", "Department", "Food", "Producer"),
                 kg_dim: int | None = None, lexicon: Gazetteer | None = None,
                 lexicon_types: Sequence[str] = (), word_lexicon: WordLexicon | None = None, word_k: int = 4) -> None:
        self.vocab, self.bigrams, self.gazetteer, self.lexicon = vocab, bigrams, gazetteer, lexicon
        self.word_lexicon, self.word_k = word_lexicon, word_k
        self.type_index = {t: i + 1 for i, t in enumerate(kg_types)}
        self.lexicon_index = {t: i + 1 for i, t in enumerate(lexicon_types)}
        self.set_kg_vectors(kg_vectors, kg_dim)

    def set_kg_vectors(self, kg_vectors: Mapping[str, np.ndarray] | None, kg_dim: int | None = None) -> None:
        """Replace the KG lookup (row 0 of the matrix stays the zero "no vector" row).

        Raises:
            ValueError: If vectors disagree in size or differ from ``kg_dim``.
        """
        kg_vectors = kg_vectors or {}
        dims = {np.asarray(v).shape for v in kg_vectors.values()}
        if len(dims) > 1:
            raise ValueError(f"KG vectors of several shapes: {sorted(dims)}")
        dim = dims.pop()[0] if dims else (kg_dim or 0)
        if kg_dim is not None and dim != kg_dim:
            raise ValueError(f"KG vectors have {dim} dimensions, the model expects {kg_dim}")
        ids = sorted(kg_vectors)
        self.kg_row = {cid: i + 1 for i, cid in enumerate(ids)}
        self.kg_matrix = np.zeros((len(ids) + 1, dim), dtype=np.float32)
        for cid, row in self.kg_row.items():
            self.kg_matrix[row] = kg_vectors[cid]

    def featurize(self, text: str, lexicon: Gazetteer | None | _Own = _Own.LEXICON) -> RecordFeatures:
        """Features of one whole record (any length, any characters).

        Args:
            text: The record.
            lexicon: Use this lexicon instead of the featurizer's (training: another fold's; ``None``: none).
        """
        n = len(text)
        bioes, types, rows = (np.zeros(n, dtype=np.int64) for _ in range(3))
        lex_bioes, lex_types = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        if self.gazetteer is not None and n:
            _mark(self.gazetteer.segment(text), bioes, types, self.type_index, rows, self.kg_row)
        lexicon = self.lexicon if lexicon is _Own.LEXICON else lexicon
        if lexicon is not None and n:
            _mark(lexicon.segment(text), lex_bioes, lex_types, self.lexicon_index)
        if self.word_lexicon is not None:
            soft_ids, soft_weights = self.word_lexicon.match(text, self.word_k)
        else:
            soft_ids, soft_weights = np.zeros((n, 4, 0), dtype=np.int64), np.zeros((n, 4, 0), dtype=np.float32)
        return RecordFeatures(np.asarray(self.vocab.encode(text), dtype=np.int64),
                              np.asarray(self.bigrams.encode_bigrams(text), dtype=np.int64), bioes, types, rows,
                              lex_bioes, lex_types, soft_ids, soft_weights)
