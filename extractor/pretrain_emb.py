"""Character and bigram embeddings by skip-gram with negative sampling (word2vec-style, in torch).

One input table holds characters and bigrams (``text[i:i+2]``); both predict the characters around
position ``i`` within ``window``. Sparse embeddings with ``SparseAdam`` keep each step cheap on CPU.
The result is a :class:`CharVectors` (vocabularies + matrices) saved as one ``.npz``.

Example:
    >>> vecs = pretrain_char_vectors(["胃癌术后复查"] * 50, EmbeddingPretrainConfig(dim=8, steps=5))
    >>> vecs.char_vectors.shape[1]
    8
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from core.config import ClosedConfig
from core.progress import ProgressFactory, start
from extractor.threads import keeps_torch_threads
from extractor.vocab import CharVocab

__all__ = ["CharVectors", "EmbeddingPretrainConfig", "pretrain_char_vectors"]


class EmbeddingPretrainConfig(ClosedConfig):
    """Skip-gram settings."""

    dim: int = 100
    """Vector size."""
    window: int = 3
    """Context characters on each side."""
    negatives: int = 5
    """Negative samples per (centre, context) pair."""
    batch_size: int = 4096
    """Centre positions per step."""
    steps: int = 20_000
    """Optimiser steps (the run also stops at ``max_seconds``)."""
    max_seconds: float = 1800.0
    """Wall-clock budget."""
    lr: float = 0.01
    """SparseAdam learning rate."""
    min_char_count: int = 2
    """Characters seen fewer times map to [UNK]."""
    min_bigram_count: int = 3
    """Bigrams seen fewer times map to [UNK]."""
    max_bigrams: int = 200_000
    """Bigram vocabulary cap (most frequent first)."""
    seed: int = 13
    """Random seed."""
    threads: int = 1
    """torch intra-op threads (1 leaves a core for others)."""


@dataclass
class CharVectors:
    """Pretrained vectors: ``char_vectors[i]`` belongs to ``chars.tokens[i]`` (same for bigrams)."""

    chars: CharVocab
    char_vectors: np.ndarray
    bigrams: CharVocab
    bigram_vectors: np.ndarray
    meta: dict[str, Any]

    def save(self, path: str | Path) -> None:
        """One ``.npz`` (no pickles)."""
        np.savez(path, char_tokens=np.array(self.chars.tokens), char_vectors=self.char_vectors,
                 bigram_tokens=np.array(self.bigrams.tokens), bigram_vectors=self.bigram_vectors,
                 meta=np.array(json.dumps(self.meta, ensure_ascii=False)))

    @classmethod
    def load(cls, path: str | Path) -> CharVectors:
        """Read a file written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            return cls(CharVocab([str(t) for t in z["char_tokens"]]), z["char_vectors"],
                       CharVocab([str(t) for t in z["bigram_tokens"]]), z["bigram_vectors"],
                       json.loads(str(z["meta"])))


class _SkipGram(nn.Module):
    def __init__(self, n_in: int, n_out: int, dim: int) -> None:
        super().__init__()
        self.inp = nn.Embedding(n_in, dim, sparse=True)
        self.out = nn.Embedding(n_out, dim, sparse=True)
        nn.init.uniform_(self.inp.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.out.weight)

    def forward(self, centre: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """Loss of centre ids (N,), context ids (N,), negatives (N, K) -> mean negative-sampling loss."""
        c = self.inp(centre)
        pos = (c * self.out(context)).sum(-1)
        neg = torch.bmm(self.out(negatives), c.unsqueeze(-1)).squeeze(-1)
        return -(nn.functional.logsigmoid(pos).mean() + nn.functional.logsigmoid(-neg).sum(-1).mean())


def _encode(texts: list[str], chars: CharVocab, bigrams: CharVocab) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated char ids and bigram ids; texts separated by one [PAD]."""
    c_ids: list[int] = []
    b_ids: list[int] = []
    for text in texts:
        c_ids.extend(chars.encode(text))
        b_ids.extend(bigrams.encode_bigrams(text))
        c_ids.append(chars.pad_id)
        b_ids.append(bigrams.pad_id)
    return np.asarray(c_ids, dtype=np.int64), np.asarray(b_ids, dtype=np.int64)


@keeps_torch_threads
def pretrain_char_vectors(texts: list[str], config: EmbeddingPretrainConfig | None = None,
                          progress: ProgressFactory | None = None) -> CharVectors:
    """Train character and bigram vectors on ``texts`` (never on a test set).

    ``progress`` (:mod:`core.progress`) gets a bar over the steps.

    Returns:
        The vectors, ``meta`` with steps, seconds and final loss.
    """
    cfg = config or EmbeddingPretrainConfig()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    torch.set_num_threads(cfg.threads)
    chars = CharVocab.build(texts, min_count=cfg.min_char_count)
    bigrams = CharVocab.build(texts, min_count=cfg.min_bigram_count, max_size=cfg.max_bigrams, bigrams=True)
    c_ids, b_ids = _encode(texts, chars, bigrams)
    n_chars = len(chars)
    model = _SkipGram(n_chars + len(bigrams), n_chars, cfg.dim)
    opt = torch.optim.SparseAdam(list(model.parameters()), lr=cfg.lr)
    freq = np.bincount(c_ids, minlength=n_chars).astype(np.float64) ** 0.75
    freq[chars.pad_id] = 0
    noise = torch.tensor(freq / freq.sum())
    valid = np.flatnonzero(c_ids != chars.pad_id)
    offsets = np.array([o for o in range(-cfg.window, cfg.window + 1) if o != 0])
    started, loss_value, step = time.monotonic(), float("nan"), 0
    advance = start(progress, "skip-gram", cfg.steps)
    for step in range(cfg.steps):
        pos = rng.choice(valid, cfg.batch_size)
        ctx_pos = np.clip(pos + rng.choice(offsets, cfg.batch_size), 0, len(c_ids) - 1)
        ctx = torch.from_numpy(c_ids[ctx_pos])
        keep = ctx != chars.pad_id
        centre = torch.cat([torch.from_numpy(c_ids[pos]), torch.from_numpy(b_ids[pos]) + n_chars])[
            torch.cat([keep, keep])]
        context = torch.cat([ctx, ctx])[torch.cat([keep, keep])]
        negs = torch.multinomial(noise, context.numel() * cfg.negatives, replacement=True).view(-1, cfg.negatives)
        loss = model(centre, context, negs)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0:
            loss_value = float(loss.detach())
        advance(1)
        if time.monotonic() - started > cfg.max_seconds:
            break
    weights = model.inp.weight.detach().numpy()
    meta = {"steps": step + 1, "seconds": round(time.monotonic() - started, 1), "loss": loss_value,
            "config": cfg.model_dump(), "chars_in_corpus": int(len(valid))}
    return CharVectors(chars, weights[:n_chars].copy(), bigrams, weights[n_chars:].copy(), meta)
