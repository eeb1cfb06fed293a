"""Closed pydantic configs of the tagger: encoder, character features, head, training.

Example:
    >>> cfg = TaggerConfig(encoder=EncoderConfig(kind="char", dim=16), head=HeadConfig(lstm_hidden=16))
    >>> cfg.features.kg
    True
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from core.config import ClosedConfig
from extractor.data import NER_TYPES

__all__ = ["EncoderConfig", "FeatureConfig", "HeadConfig", "SchemaConfig", "TaggerConfig", "TrainConfig"]

#: Version of the feature pipeline (tokeniser, gazetteer features); stored in every checkpoint.
FEATURE_VERSION = 1
#: Version of the checkpoint layout: 2 adds output heads per annotation schema and span heads. A
#: version-1 checkpoint (one CRF head) still loads; a newer one is refused.
CHECKPOINT_VERSION = 2
#: Every checkpoint layout this code reads.
READABLE_CHECKPOINTS = (1, 2)


class EncoderConfig(ClosedConfig):
    """Which encoder turns characters into vectors."""

    kind: Literal["char", "transformers"] = "char"
    """``char``: (pretrained) character embeddings; ``transformers``: a BERT-family model."""
    dim: int = Field(default=100, ge=1)
    """Character embedding size (``char``; must match the pretrained vectors when given)."""
    pretrained_vectors: str | None = None
    """``.npz`` from ``medkg pretrain --kind emb`` (``char``); ``None``: random init."""
    name_or_path: str | None = None
    """``from_pretrained`` name or folder (``transformers``); ``None`` with ``bert_config`` set: random."""
    bert_config: dict[str, Any] | None = None
    """Keyword arguments of ``BertConfig`` for a randomly initialised model (tests, MLM pretraining)."""
    vocab_path: str | None = None
    """BERT ``vocab.txt`` (as many entries as the checkpoint's embeddings); ``None``: the checkpoint's own
    vocabulary (its ``vocab.txt`` or tokenizer) with ``name_or_path``, a character vocabulary built from
    the training text with ``bert_config``."""
    freeze: bool = False
    """Keep the encoder's weights fixed."""
    window: int = Field(default=256, ge=8)
    """Characters per window; longer records are split into overlapping windows."""
    overlap: int = Field(default=32, ge=0)
    """Characters shared by consecutive windows at inference."""


class FeatureConfig(ClosedConfig):
    """KG fusion and character features (CBT-KG sections 3.1 and 3.4); each switchable for ablation."""

    kg: bool = True
    """Concatenate ``W_e e + b_e`` of the matched concept's KG vector (a learned placeholder elsewhere)."""
    kg_proj_dim: int = Field(default=64, ge=1)
    """Size of the projected KG vector."""
    bioes: bool = True
    """Embed the character's BIOES position inside its gazetteer match."""
    category: bool = True
    """Embed the KG label of the gazetteer match."""
    semantic: bool = True
    """Embed the character's bigram (pretrained skip-gram vectors when available)."""
    freeze_bigrams: bool = True
    """Keep pretrained bigram vectors fixed (200k x 100 trainable weights cost more than they give)."""
    feature_dim: int = Field(default=16, ge=1)
    """Size of the BIOES and category embeddings."""
    bigram_dim: int = Field(default=100, ge=1)
    """Size of the bigram embedding (must match pretrained vectors when given)."""
    kg_types: tuple[str, ...] = ("Disease", "Symptom", "Drug", "Check", "Department", "Food", "Producer")
    """Gazetteer categories (KG labels), in index order."""
    lexicon: bool = False
    """Embed the BIOES position and entity type of matches against the surfaces annotated in the training
    records (``extractor.lexicon``; leave-one-fold-out while training). Not part of CBT-KG; off by default."""
    lexicon_folds: int = Field(default=5, ge=2)
    """Folds of the leave-one-fold-out lexicons used to featurise training records."""
    softlexicon: bool = False
    """SoftLexicon word features (``extractor.softlex``): per character, the frequency-weighted vectors of
    the lexicon words that Begin, are in the Middle of, End or are Single at it. Needs a word lexicon
    (``medkg pretrain --kind words``). Not part of CBT-KG; off by default."""
    softlexicon_k: int = Field(default=4, ge=1)
    """Most frequent words kept per set and character."""
    word_lexicon: str | None = None
    """``.npz`` from ``medkg pretrain --kind words`` (training; a checkpoint keeps its own copy)."""


class HeadConfig(ClosedConfig):
    """BiLSTM -> output side: linear -> CRF (flat spans), or a span head (nested spans)."""

    lstm_layers: int = Field(default=2, ge=0)
    """BiLSTM layers (0: linear head straight on the features)."""
    lstm_hidden: int = Field(default=256, ge=2)
    """Hidden size per direction."""
    dropout: float = Field(default=0.3, ge=0.0, lt=1.0)
    """Dropout on the fused input and the BiLSTM output."""
    scheme: Literal["BIOES", "BIO"] = "BIOES"
    """Tag scheme (``crf`` output)."""
    output: Literal["crf", "span"] = "crf"
    """``crf``: per-character tags decoded by a constrained CRF (flat spans; the CBT-KG head). ``span``:
    an Efficient GlobalPointer head (``extractor.spanhead``) scoring every (start, end) pair per type,
    so spans may nest."""
    shared: bool = False
    """With several schemas and ``span`` output: one head over the schemas' mention types (the union),
    trained on each corpus with only the types that corpus annotates (the others are unknown there,
    not negative); otherwise one head per schema."""
    span_dim: int = Field(default=64, ge=2)
    """Query/key size of the span head (even: rotary positions)."""
    max_span: int = Field(default=64, ge=1)
    """Longest span (characters) the span head scores."""
    span_thresholds: dict[str, float] = Field(default_factory=dict)
    """Decision threshold on the raw span scores per schema (a one-schema model: its ``schema_name``); a
    schema not listed decodes at 0, the loss's own boundary. Training sets it to the threshold with the
    best validation F1 (:mod:`extractor.calibrate`)."""
    span_nest_margins: dict[str, float] = Field(default_factory=dict)
    """Per schema, what a span nested in or around a higher-scoring span of its window needs above the
    threshold (0 when not listed: every nested span above the threshold is kept). Calibrated after the
    threshold, on the same validation records."""

    @model_validator(mode="after")
    def _margins_not_negative(self) -> HeadConfig:
        negative = {k: v for k, v in self.span_nest_margins.items() if v < 0}
        if negative:
            raise ValueError(f"span_nest_margins must be >= 0, got {negative}")
        return self


class TrainConfig(ClosedConfig):
    """Optimisation, validation split, early stopping."""

    epochs: int = Field(default=30, ge=1)
    """Maximum epochs."""
    batch_size: int = Field(default=16, ge=1)
    """Windows per step."""
    lr_encoder: float = 1e-3
    """Learning rate of the encoder (use ~3e-5 for a pretrained BERT)."""
    lr_head: float = 2e-3
    """Learning rate of features, fusion, BiLSTM, linear layer and CRF."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    clip: float = 5.0
    """Gradient norm clip."""
    dev_fraction: float = Field(default=0.1, ge=0.0, lt=1.0)
    """Share of training records held out for validation (model selection, early stopping)."""
    patience: int = Field(default=4, ge=1)
    """Epochs without a better validation F1 before stopping."""
    seed: int = 13
    """Seed of the split, initialisation and batching."""
    threads: int = Field(default=0, ge=0)
    """torch intra-op threads (0: torch's default)."""
    max_seconds: float | None = None
    """Stop after the epoch that crosses this wall-clock budget (see ``whole_epochs``)."""
    whole_epochs: bool = False
    """With ``max_seconds``: do not start an epoch that, as long as the last one, would end past the budget
    (the first epoch always runs), so the budget is a ceiling instead of the point the last epoch crosses."""
    calibrate: bool = True
    """After training, set each span head's decision threshold to the one with the best validation F1
    (``HeadConfig.span_thresholds``, :mod:`extractor.calibrate`); CRF heads have none."""


class SchemaConfig(ClosedConfig):
    """One annotation schema the tagger learns (a corpus's type set) and what its head adds to the output."""

    name: str
    """The schema (``ccks2019``, ``ccks2017``, ``cmeee``: ``extractor.corpora.CORPUS_TYPES``)."""
    types: tuple[str, ...]
    """Its types, as its corpus names them."""
    mention_types: dict[str, str]
    """Corpus type -> mention type of the merged output (``linker.typemap.CORPUS_TYPE_MAP``)."""
    emit: tuple[str, ...] | None = None
    """Corpus types whose spans the merged output keeps (``None``: all)."""
    output: Literal["crf", "span"] | None = None
    """This schema's output side (``None``: ``HeadConfig.output``): a CRF for a corpus of flat spans, a
    span head for one that nests."""

    @model_validator(mode="after")
    def _check(self) -> SchemaConfig:
        missing = [t for t in self.types if t not in self.mention_types]
        unknown = [t for t in self.emit or () if t not in self.types]
        if missing or unknown:
            raise ValueError(f"schema {self.name}: types without a mention type {missing}, "
                             f"emitted types it does not have {unknown}")
        return self


class TaggerConfig(ClosedConfig):
    """Everything needed to rebuild the tagger (stored as ``config.json`` in a checkpoint)."""

    types: tuple[str, ...] = NER_TYPES
    """Entity types (one schema); with ``schemas``, the mention types of the merged output."""
    schema_name: str = "ccks2019"
    """The schema of a one-schema model's types (what ``medkg evaluate`` checks a test file against)."""
    schemas: tuple[SchemaConfig, ...] = ()
    """Several annotation schemas learnt at once (one shared encoder, features and BiLSTM; the output
    side after ``head``); the merged output keeps each schema's ``emit`` types, earlier schemas first on
    an identical span. Empty: one schema, ``types``."""
    encoder: EncoderConfig = EncoderConfig()
    """Encoder."""
    features: FeatureConfig = FeatureConfig()
    """KG fusion and character features."""
    head: HeadConfig = HeadConfig()
    """BiLSTM-CRF head."""
    train: TrainConfig = TrainConfig()
    """Training settings."""

    @model_validator(mode="after")
    def _check_schemas(self) -> TaggerConfig:
        names = [s.name for s in self.schemas]
        if len(set(names)) != len(names):
            raise ValueError(f"schema names repeat: {names}")
        if self.schemas and self.features.lexicon:
            raise ValueError("features.lexicon (the training records' own lexicon) is for one schema only")
        if self.head.shared and (self.head.output != "span" or not self.schemas
                                 or any(s.output == "crf" for s in self.schemas)):
            raise ValueError("head.shared needs head.output 'span' and several schemas (a shared CRF over "
                             "partially annotated corpora is not implemented)")
        if self.head.span_dim % 2:
            raise ValueError("head.span_dim must be even (rotary position encoding)")
        return self

    @property
    def multi(self) -> bool:
        """Whether the model has a head per schema (or a shared span head) rather than one CRF or span head."""
        return bool(self.schemas)
