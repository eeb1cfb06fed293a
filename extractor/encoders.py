"""Encoders: characters -> vectors, one output vector per character (no sub-word merging).

- :class:`Encoder`: the base of both below, what a network needs of its encoder (``out_dim``).
- :class:`CharEmbeddingEncoder`: an embedding table (optionally initialised from skip-gram vectors).
- :class:`TransformersEncoder`: any BERT-family model through ``transformers`` (``from_pretrained``
  for users with a checkpoint, or a ``BertConfig`` for a randomly initialised / self-pretrained one);
  ``[CLS]``/``[SEP]`` are added around each window and stripped from the output.

Example:
    >>> enc = CharEmbeddingEncoder(10, 4)
    >>> enc(torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.bool)).shape
    torch.Size([2, 3, 4])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

if TYPE_CHECKING:  # transformers is imported when a transformers encoder is built
    from transformers import PreTrainedModel

__all__ = ["CharEmbeddingEncoder", "Encoder", "TransformersEncoder"]


class Encoder(nn.Module):
    """What a tagger or relation network needs of its encoder: ``(ids (B, T), mask (B, T)) -> (B, T, out_dim)``.

    Attributes:
        out_dim: The size of each output vector.
    """

    out_dim: int


class CharEmbeddingEncoder(Encoder):
    """Character embedding table.

    Args:
        vocab_size: Number of character ids.
        dim: Embedding size.
        weights: Optional ``(vocab_size, dim)`` initial vectors.
        freeze: Keep the table fixed.
    """

    def __init__(self, vocab_size: int, dim: int, weights: np.ndarray | None = None, freeze: bool = False) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        if weights is not None:
            if weights.shape != (vocab_size, dim):
                raise ValueError(f"pretrained vectors {weights.shape} != ({vocab_size}, {dim})")
            self.embedding.weight.data.copy_(torch.from_numpy(weights))
        self.embedding.weight.requires_grad_(not freeze)
        self.out_dim = dim

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """input_ids (B, T) long, mask (B, T) bool -> (B, T, dim)."""
        vectors: torch.Tensor = self.embedding(input_ids)
        return vectors


class TransformersEncoder(Encoder):
    """A ``transformers`` encoder with one token per character.

    Args:
        model: The loaded ``PreTrainedModel`` (e.g. ``BertModel``).
        cls_id: Id of ``[CLS]``.
        sep_id: Id of ``[SEP]``.
        pad_id: Id of ``[PAD]``.
    """

    def __init__(self, model: PreTrainedModel, cls_id: int, sep_id: int, pad_id: int) -> None:
        super().__init__()
        self.model = model
        self.cls_id, self.sep_id, self.pad_id = cls_id, sep_id, pad_id
        config: Any = model.config  # a transformers config, whose fields are the model family's own
        self.out_dim = int(config.hidden_size)
        self.max_chars = int(getattr(config, "max_position_embeddings", 512)) - 2

    @classmethod
    def build(cls, name_or_path: str | None, bert_config: dict[str, Any] | None, vocab_size: int, *, cls_id: int,
              sep_id: int, pad_id: int) -> TransformersEncoder:
        """``AutoModel.from_pretrained(name_or_path)``, or a random ``BertModel(BertConfig(**bert_config))``.

        Raises:
            ValueError: If neither is given.
        """
        from transformers import AutoModel, BertConfig, BertModel

        if name_or_path:
            try:  # BERT-family models accept this; others do not have a pooler to drop
                model = AutoModel.from_pretrained(name_or_path, add_pooling_layer=False)
            except TypeError:
                model = AutoModel.from_pretrained(name_or_path)
        elif bert_config is not None:
            model = BertModel(BertConfig(**{"vocab_size": vocab_size, **bert_config}), add_pooling_layer=False)
        else:
            raise ValueError("a transformers encoder needs name_or_path or bert_config")
        return cls(model, cls_id, sep_id, pad_id)

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """input_ids (B, T), mask (B, T) bool (left-aligned) -> (B, T, hidden).

        Raises:
            ValueError: If ``T`` exceeds the model's positions minus two.
        """
        bsz, length = input_ids.shape
        if length > self.max_chars:
            raise ValueError(f"window of {length} characters > {self.max_chars} the encoder accepts")
        lengths = mask.sum(1)
        ids = torch.full((bsz, length + 2), self.pad_id, dtype=torch.long, device=input_ids.device)
        ids[:, 0] = self.cls_id
        ids[:, 1:length + 1] = torch.where(mask, input_ids, torch.full_like(input_ids, self.pad_id))
        ids[torch.arange(bsz, device=ids.device), lengths + 1] = self.sep_id
        attention = torch.arange(length + 2, device=ids.device)[None, :] < (lengths + 2)[:, None]
        hidden: torch.Tensor = self.model(input_ids=ids, attention_mask=attention.long()).last_hidden_state
        return hidden[:, 1:length + 1]
