"""Closed pydantic configs of the entity-marker relation classifier.

Example:
    >>> cfg = RelationConfig(encoder=RelationEncoderConfig(dim=8), lstm_hidden=16)
    >>> cfg.pooling
    'start'
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from core.config import ClosedConfig

__all__ = ["RELATION_CHECKPOINT_VERSION", "RelationConfig", "RelationEncoderConfig", "RelationTrainConfig"]

#: Version of the relation checkpoint layout and marker scheme; stored in every checkpoint.
RELATION_CHECKPOINT_VERSION = 1


class RelationEncoderConfig(ClosedConfig):
    """Which encoder turns the marked sentence into vectors."""

    kind: Literal["char", "transformers"] = "char"
    """``char``: (pretrained) character embeddings + BiLSTM; ``transformers``: a BERT-family model."""
    dim: int = Field(default=100, ge=1)
    """Character embedding size (``char``; must match the pretrained vectors when given)."""
    pretrained_vectors: str | None = None
    """``.npz`` from ``medkg pretrain --kind emb`` (``char``); ``None``: random init."""
    freeze: bool = False
    """Keep the character table (markers included) or the transformers weights fixed."""
    name_or_path: str | None = None
    """``from_pretrained`` name or folder (``transformers``)."""
    bert_config: dict[str, Any] | None = None
    """Keyword arguments of ``BertConfig`` for a randomly initialised model (``transformers``, tests)."""
    vocab_path: str | None = None
    """BERT ``vocab.txt`` (``transformers``); ``None``: the checkpoint's own vocabulary with ``name_or_path``,
    a character vocabulary built from the training text with ``bert_config``."""


class RelationTrainConfig(ClosedConfig):
    """Optimisation, early stopping and the ``none`` decision."""

    epochs: int = Field(default=10, ge=1)
    """Maximum epochs."""
    batch_size: int = Field(default=32, ge=1)
    """Candidates per step (``shared``: whole sentences are added until a step holds at least this many)."""
    lr: float = Field(default=2e-3, gt=0.0)
    """Adam learning rate (use ~3e-5 for a pretrained transformers encoder)."""
    clip: float = Field(default=5.0, gt=0.0)
    """Gradient norm clip."""
    none_weight: float = Field(default=1.0, gt=0.0)
    """Cross-entropy weight of the ``none`` class (predicates weigh 1)."""
    tune_threshold: bool = True
    """Pick the ``none`` threshold that maximises validation micro-F1 after training."""
    patience: int = Field(default=3, ge=1)
    """Epochs without a better validation micro-F1 before stopping."""
    max_seconds: float | None = None
    """Stop after the epoch that crosses this wall-clock budget."""
    seed: int = 13
    """Seed of initialisation and batching."""
    threads: int | None = 1
    """torch intra-op threads while training (``None``: leave torch alone)."""
    min_char_count: int = Field(default=1, ge=1)
    """Characters seen fewer times in the training text map to ``[UNK]`` (own vocabulary only)."""


class RelationConfig(ClosedConfig):
    """Everything needed to rebuild the classifier (stored in ``config.json`` of a checkpoint)."""

    encoder: RelationEncoderConfig = RelationEncoderConfig()
    """Encoder."""
    pairing: Literal["markers", "shared"] = "markers"
    """``markers``: one marked copy of the sentence per candidate (the seed's); ``shared``: one encoding per
    sentence, candidates read from it (:mod:`extractor.relations.model`)."""
    lstm_layers: int = Field(default=1, ge=0)
    """BiLSTM layers over the encoder output (0: none; ``char`` needs at least 1 to see context)."""
    lstm_hidden: int = Field(default=128, ge=2)
    """Hidden size per direction."""
    dropout: float = Field(default=0.3, ge=0.0, lt=1.0)
    """Dropout on the embeddings, the BiLSTM output and the FFNN hidden layer."""
    pooling: Literal["start", "mean", "start+mean"] = "start"
    """What represents a marked span: the state at its start marker, the mean from start to end marker, or both."""
    ffnn_hidden: int = Field(default=128, ge=1)
    """Hidden size of the classifier FFNN."""
    max_len: int = Field(default=320, ge=16)
    """Tokens (characters + 4 markers) per candidate, cropped around the two mentions when longer
    (``shared``: characters per sentence window, :func:`~extractor.relations.model.shared_window`)."""
    max_pairs: int = Field(default=1024, ge=1)
    """Candidates per sentence at prediction time."""
    train: RelationTrainConfig = RelationTrainConfig()
    """Training settings."""
