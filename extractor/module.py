"""The CBT-KG tagging network: encoder + KG fusion + character features -> BiLSTM -> emissions.

Per character ``t`` the BiLSTM input is the concatenation of

- the encoder output ``h_t`` (B, T, H_enc);
- KG fusion (section 3.4): ``W_e e_t + b_e`` for the KG vector ``e_t`` of the concept the gazetteer
  matched at ``t``, or a learned placeholder vector where nothing (with a vector) matched (B, T, P);
- character features (section 3.1): embeddings of the BIOES position in the match and of the matched
  KG category (B, T, F each), and a semantic bigram embedding (B, T, D_bigram);
- optionally (not in CBT-KG) the BIOES position and entity type of a match against the training
  records' own entity lexicon (B, T, F each; ``extractor.lexicon``);
- optionally (not in CBT-KG) SoftLexicon word features (B, T, 4 x D_word; ``extractor.softlex``): the
  frequency-weighted, frozen word vectors of the B/M/E/S word sets, a learned "none" vector per empty set.

The emissions (B, T, K) feed the CRF in :mod:`extractor.loss` and :mod:`extractor.decoder`. Other output
sides (``HeadConfig.output``, ``TaggerConfig.schemas``) share everything up to the BiLSTM output
(:meth:`TaggerModule.encode`) and add, in ``heads``, one :class:`CrfHead` or
:class:`~extractor.spanhead.SpanHead` per schema, or one shared span head (:func:`head_specs`). The
one-schema CRF keeps its layer names (``emit``, ``crf``), so checkpoints written before the heads
existed still load.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torchcrf import CRF

from extractor.config import TaggerConfig
from extractor.encoders import Encoder
from extractor.spanhead import SpanHead
from extractor.tags import label_list

__all__ = ["CrfHead", "HeadSpec", "TaggerModule", "head_specs"]

#: The key of the shared span head in ``TaggerModule.heads``.
SHARED = "shared"


@dataclass(frozen=True)
class HeadSpec:
    """One output head: its key, its types, and per schema the type indices it is trained and decoded on.

    ``schemas`` maps each schema the head serves to ``(type indices of that schema, in the schema's type
    order)``; a per-schema head serves one schema with all its types, the shared head every schema with
    the indices of their mention types.
    """

    key: str
    types: tuple[str, ...]
    schemas: dict[str, tuple[int, ...]]
    output: str = "crf"
    """``crf`` or ``span`` (``HeadConfig.output``, or the schema's own ``output``)."""


def head_specs(config: TaggerConfig) -> list[HeadSpec]:
    """The output heads a config asks for (a one-schema model: one head keyed by its ``schema_name``)."""
    if not config.schemas:
        return [HeadSpec(config.schema_name, config.types, {config.schema_name: tuple(range(len(config.types)))},
                         config.head.output)]
    if config.head.shared:
        union = tuple(dict.fromkeys(m for s in config.schemas for m in (s.mention_types[t] for t in s.types)))
        return [HeadSpec(SHARED, union, {s.name: tuple(union.index(s.mention_types[t]) for t in s.types)
                                        for s in config.schemas}, "span")]
    return [HeadSpec(s.name, s.types, {s.name: tuple(range(len(s.types)))}, s.output or config.head.output)
            for s in config.schemas]


class CrfHead(nn.Module):
    """Linear layer -> CRF over the BIOES/BIO labels of a type set."""

    def __init__(self, width: int, n_labels: int) -> None:
        super().__init__()
        self.emit = nn.Linear(width, n_labels)
        self.crf = CRF(n_labels, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Emission scores (B, T, K)."""
        emissions: torch.Tensor = self.emit(x)
        return emissions


class TaggerModule(nn.Module):
    """Encoder, fusion, BiLSTM, linear layer and CRF transitions.

    Args:
        config: The tagger config.
        encoder: A module mapping (input_ids (B, T), mask (B, T)) to (B, T, encoder.out_dim).
        n_labels: Number of tags K.
        n_bigrams: Bigram vocabulary size.
        kg_dim: Size of KG vectors (0 disables fusion regardless of the config).
        bigram_weights: Optional pretrained (n_bigrams, bigram_dim) vectors.
        word_vectors: (n_words + 1, D_word) SoftLexicon word table, row 0 = padding (``features.softlexicon``).
            It is a frozen, non-persistent buffer: checkpoints keep it in their word lexicon file.

    Raises:
        ValueError: ``features.softlexicon`` is on and no word table is given.
    """

    word_table: torch.Tensor  # a buffer, registered when features.softlexicon is on
    emit: nn.Linear  # the one-schema CRF head's layers (``legacy``)
    crf: CRF

    def __init__(self, config: TaggerConfig, encoder: Encoder, n_labels: int, n_bigrams: int, kg_dim: int,
                 bigram_weights: np.ndarray | None = None, word_vectors: np.ndarray | None = None) -> None:
        super().__init__()
        feats, head = config.features, config.head
        self.encoder = encoder
        self.use_kg = feats.kg and kg_dim > 0
        width = encoder.out_dim
        if self.use_kg:
            self.kg_proj = nn.Linear(kg_dim, feats.kg_proj_dim)
            self.kg_placeholder = nn.Parameter(torch.zeros(feats.kg_proj_dim))
            width += feats.kg_proj_dim
        self.bioes = nn.Embedding(5, feats.feature_dim) if feats.bioes else None
        self.category = nn.Embedding(len(feats.kg_types) + 1, feats.feature_dim) if feats.category else None
        width += feats.feature_dim * (feats.bioes + feats.category)
        self.lex_bioes = nn.Embedding(5, feats.feature_dim) if feats.lexicon else None
        self.lex_type = nn.Embedding(len(config.types) + 1, feats.feature_dim) if feats.lexicon else None
        width += 2 * feats.feature_dim * feats.lexicon
        self.bigram = None
        if feats.semantic:
            self.bigram = nn.Embedding(n_bigrams, feats.bigram_dim, padding_idx=0)
            if bigram_weights is not None:
                self.bigram.weight.data.copy_(torch.from_numpy(bigram_weights))
                self.bigram.weight.requires_grad_(not feats.freeze_bigrams)
            width += feats.bigram_dim
        self.soft_none: nn.Parameter | None = None
        if feats.softlexicon:
            if word_vectors is None:
                raise ValueError("features.softlexicon is on: the module needs the word lexicon's vectors")
            self.register_buffer("word_table", torch.as_tensor(np.asarray(word_vectors, dtype=np.float32)),
                                 persistent=False)
            self.soft_none = nn.Parameter(torch.zeros(4, self.word_table.shape[1]))
            width += 4 * self.word_table.shape[1]
        self.dropout = nn.Dropout(head.dropout)
        self.lstm = None
        if head.lstm_layers > 0:
            self.lstm = nn.LSTM(width, head.lstm_hidden, num_layers=head.lstm_layers, batch_first=True,
                                bidirectional=True, dropout=head.dropout if head.lstm_layers > 1 else 0.0)
            width = 2 * head.lstm_hidden
        self.legacy = not config.schemas and head.output == "crf"
        self.specs = head_specs(config)
        self.heads = nn.ModuleDict()
        if self.legacy:  # the CBT-KG head, with the layer names of version-1 checkpoints
            self.emit = nn.Linear(width, n_labels)
            self.crf = CRF(n_labels, batch_first=True)
        for spec in self.specs if not self.legacy else ():
            self.heads[spec.key] = (SpanHead(width, len(spec.types), head.span_dim, head.max_span)
                                    if spec.output == "span" else
                                    CrfHead(width, len(label_list(spec.types, head.scheme))))

    def fused_input(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The BiLSTM input (B, T, width) of a collated batch (see ``extractor.batching.collate``)."""
        mask = batch["mask"]
        parts = [self.encoder(batch["input_ids"], mask)]
        if self.use_kg:
            projected = self.kg_proj(batch["kg_vectors"])
            has = batch["kg_rows"].gt(0).unsqueeze(-1)
            parts.append(torch.where(has, projected, self.kg_placeholder.expand_as(projected)))
        if self.bioes is not None:
            parts.append(self.bioes(batch["gaz_bioes"]))
        if self.category is not None:
            parts.append(self.category(batch["gaz_type"]))
        if self.bigram is not None:
            parts.append(self.bigram(batch["bigram_ids"]))
        if self.lex_bioes is not None and self.lex_type is not None:
            parts.extend((self.lex_bioes(batch["lex_bioes"]), self.lex_type(batch["lex_type"])))
        if self.soft_none is not None:
            weights = batch["soft_weights"]  # (B, T, 4, k)
            sets = (nn.functional.embedding(batch["soft_ids"], self.word_table) * weights.unsqueeze(-1)).sum(-2)
            empty = weights.sum(-1, keepdim=True).eq(0)
            parts.append(torch.where(empty, self.soft_none.expand_as(sets), sets).flatten(2))
        return torch.cat(parts, dim=-1)

    def encode(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The shared representation (B, T, W) every head reads (after the BiLSTM and dropout)."""
        x = self.dropout(self.fused_input(batch))
        if self.lstm is not None:
            lengths = batch["mask"].sum(1).clamp(min=1).cpu()
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.lstm(packed)
            x, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
            x = self.dropout(x)
        shared: torch.Tensor = x
        return shared

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Emission scores (B, T, K) of the one-schema CRF head; positions where ``mask`` is False are meaningless.

        Raises:
            TypeError: The model has heads (:meth:`head_output` serves them).
        """
        if not self.legacy:
            raise TypeError("this model has output heads: call head_output(key, encode(batch), mask)")
        emissions: torch.Tensor = self.emit(self.encode(batch))
        return emissions

    def head_output(self, key: str, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Emissions (B, T, K) of a CRF head or scores (B, n, T, T) of a span head, from :meth:`encode`'s ``x``."""
        if self.legacy:
            emissions: torch.Tensor = self.emit(x)
            return emissions
        head = self.heads[key]
        out: torch.Tensor = head(x, mask) if isinstance(head, SpanHead) else head(x)
        return out

    def crf_of(self, key: str) -> CRF:
        """The CRF of a CRF head (the one-schema head's for any key)."""
        if self.legacy:
            return self.crf
        head = self.heads[key]
        if not isinstance(head, CrfHead):
            raise TypeError(f"head {key!r} is a span head: it has no CRF")
        return head.crf
