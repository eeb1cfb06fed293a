"""The relation classifiers: marked sentence (or shared sentence) -> encoder -> BiLSTM -> span pooling -> FFNN.

Two pairings (``RelationConfig.pairing``):

- ``markers`` (the seed paper's): each candidate is its own marked copy of the sentence, so a sentence
  with *k* candidates is encoded *k* times; the encoder sees which two mentions are asked about.
- ``shared``: each sentence is encoded once, without markers; a candidate is represented by the
  states at the first and last character of each mention, the max-pool of the states strictly between
  the two, embeddings of the two entity types and of the signed, log-bucketed gap (:func:`gap_bucket`).
  Its cost grows with sentences rather than candidates (the watcher's case: many mentions per sentence).

Marker scheme (version :data:`~extractor.relations.config.RELATION_CHECKPOINT_VERSION`): the four
tokens ``<S> </S> <O> </O>`` are appended to the character vocabulary and inserted around the subject
and the object, so ``胃癌可见腹痛`` becomes ``<S>胃癌</S>可见<O>腹痛</O>``. Spans never overlap (see
:func:`extractor.relations.data.build_candidates`). Index convention: ``spans[b] = (s_start, s_end,
o_start, o_end)`` are the token positions of the four markers in row ``b``.

Example:
    >>> from extractor.vocab import CharVocab
    >>> from extractor.relations.data import Mention
    >>> vocab = with_markers(CharVocab.build(["胃癌可见腹痛"]))
    >>> ids, spans = mark("胃癌可见腹痛", Mention(0, 2, "胃癌", "疾病"), Mention(4, 6, "腹痛", "症状"), vocab, 32)
    >>> len(ids), spans
    (10, (0, 3, 6, 9))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from extractor.encoders import Encoder
from extractor.relations.config import RelationConfig
from extractor.relations.data import Mention
from extractor.vocab import CharVocab

__all__ = ["MARKERS", "RelationModule", "SharedPairModule", "SharedRow", "batch_tensors", "gap_bucket", "mark",
           "shared_tensors", "shared_window", "with_markers"]

MARKERS = ("<S>", "</S>", "<O>", "</O>")


def with_markers(vocab: CharVocab) -> CharVocab:
    """The vocabulary with the four markers appended (unchanged when it already has them)."""
    if all(m in vocab.index for m in MARKERS):
        return vocab
    return CharVocab([*vocab.tokens, *(m for m in MARKERS if m not in vocab.index)],
                     lowercase_fallback=vocab.lowercase_fallback)


def _crop(ids: list[int], spans: tuple[int, int, int, int], max_len: int) -> tuple[list[int], tuple[int, ...]]:
    """Keep ``max_len`` tokens: one window around both spans, or (when they are far apart) two half windows."""
    lo, hi = min(spans), max(spans)
    if hi - lo + 1 <= max_len:
        start = max(0, min(lo - (max_len - (hi - lo + 1)) // 2, len(ids) - max_len))
        return ids[start:start + max_len], tuple(p - start for p in spans)
    half = max_len // 2
    first, second = sorted(((spans[0], spans[1]), (spans[2], spans[3])))
    # each half window starts a little before its span's start marker; the second never reaches back
    a0 = max(0, first[0] - half // 4)
    b0 = min(max(a0 + half, second[0] - half // 4), len(ids) - (max_len - half))
    windows = ((a0, a0 + half, 0), (b0, b0 + max_len - half, half))
    kept = ids[a0:a0 + half] + ids[b0:b0 + max_len - half]
    remap = []
    for p in spans:
        hit = next((p - lo + off for lo, hi, off in windows if lo <= p < hi), None)
        # an end marker cut off by the crop falls back to the last kept token of its window
        remap.append(hit if hit is not None else (half - 1 if p < b0 else len(kept) - 1))
    return kept, tuple(remap)


def mark(text: str, subject: Mention, obj: Mention, vocab: CharVocab, max_len: int
         ) -> tuple[list[int], tuple[int, int, int, int]]:
    """Token ids of the marked sentence and the four marker positions (see the module docstring).

    Raises:
        ValueError: If the two mentions overlap.
    """
    if subject.start < obj.end and obj.start < subject.end:
        raise ValueError(f"subject {subject.text!r} and object {obj.text!r} overlap")
    s0, s1, o0, o1 = (vocab.index[m] for m in MARKERS)
    chars = vocab.encode(text)
    ids: list[int] = []
    pos = [0, 0, 0, 0]
    for i in range(len(text) + 1):
        if i == subject.end:
            pos[1] = len(ids)
            ids.append(s1)
        if i == obj.end:
            pos[3] = len(ids)
            ids.append(o1)
        if i == subject.start:
            pos[0] = len(ids)
            ids.append(s0)
        if i == obj.start:
            pos[2] = len(ids)
            ids.append(o0)
        if i < len(text):
            ids.append(chars[i])
    spans = (pos[0], pos[1], pos[2], pos[3])
    if len(ids) <= max_len:
        return ids, spans
    kept, remap = _crop(ids, spans, max_len)
    return kept, (remap[0], remap[1], remap[2], remap[3])


class _Contextual(nn.Module):
    """Encoder, then (optionally) a BiLSTM: ``(ids, lengths) -> (B, T, out_dim)``."""

    def __init__(self, config: RelationConfig, encoder: Encoder) -> None:
        super().__init__()
        self.config = config
        self.encoder = encoder
        self.dropout = nn.Dropout(config.dropout)
        dim = int(encoder.out_dim)
        self.lstm = None
        if config.lstm_layers:
            self.lstm = nn.LSTM(dim, config.lstm_hidden, num_layers=config.lstm_layers, batch_first=True,
                                bidirectional=True, dropout=config.dropout if config.lstm_layers > 1 else 0.0)
            dim = 2 * config.lstm_hidden
        self.out_dim = dim

    def contextual(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Ids (B, T) right-padded, lengths (B,) -> states (B, T, out_dim)."""
        mask = torch.arange(ids.shape[1], device=ids.device)[None, :] < lengths[:, None].to(ids.device)
        h: torch.Tensor = self.dropout(self.encoder(ids, mask))
        if self.lstm is not None:
            packed = nn.utils.rnn.pack_padded_sequence(h, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, _ = self.lstm(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
            h = self.dropout(h)
        return h


class RelationModule(_Contextual):
    """Encoder (+ BiLSTM) -> pooled subject and object spans -> FFNN over ``none`` + predicates.

    Args:
        config: The classifier config.
        encoder: Maps ``(ids (B, T), mask (B, T))`` to ``(B, T, encoder.out_dim)``.
        n_labels: Output classes (``none`` first).
    """

    def __init__(self, config: RelationConfig, encoder: Encoder, n_labels: int) -> None:
        super().__init__(config, encoder)
        per_span = self.out_dim * (2 if config.pooling == "start+mean" else 1)
        self.ffnn = nn.Sequential(nn.Linear(2 * per_span, config.ffnn_hidden), nn.ReLU(), nn.Dropout(config.dropout),
                                  nn.Linear(config.ffnn_hidden, n_labels))

    def _pool(self, h: torch.Tensor, start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
        """H (B, T, D), start/end (B,) marker positions -> (B, D) or (B, 2D)."""
        rows = torch.arange(h.shape[0], device=h.device)
        parts = []
        if self.config.pooling in ("start", "start+mean"):
            parts.append(h[rows, start])
        if self.config.pooling in ("mean", "start+mean"):
            t = torch.arange(h.shape[1], device=h.device)[None, :]
            inside = ((t >= start[:, None]) & (t <= end[:, None])).to(h.dtype)
            parts.append((h * inside[..., None]).sum(1) / inside.sum(1, keepdim=True).clamp(min=1.0))
        return torch.cat(parts, -1)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, spans: torch.Tensor) -> torch.Tensor:
        """Ids (B, T) long (right-padded), lengths (B,) long, spans (B, 4) long -> logits (B, n_labels)."""
        h = self.contextual(ids, lengths)
        rep = torch.cat([self._pool(h, spans[:, 0], spans[:, 1]), self._pool(h, spans[:, 2], spans[:, 3])], -1)
        logits: torch.Tensor = self.ffnn(rep)
        return logits


def batch_tensors(rows: list[tuple[list[int], tuple[int, int, int, int]]], pad_id: int,
                  device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-padded ids (B, T), lengths (B,) and marker positions (B, 4) on ``device``."""
    width = max(len(r[0]) for r in rows)
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    for b, (seq, _) in enumerate(rows):
        ids[b, :len(seq)] = seq
    lengths = torch.tensor([len(r[0]) for r in rows], dtype=torch.long)
    spans = torch.tensor([r[1] for r in rows], dtype=torch.long, device=device)
    return torch.from_numpy(ids).to(device), lengths.to(device), spans


#: Gap buckets per direction in :func:`gap_bucket`.
GAP_BUCKETS = 8
#: Size of the type and gap embeddings of :class:`SharedPairModule`.
SMALL_EMB = 16


def gap_bucket(s0: int, s1: int, o0: int, o1: int) -> int:
    """Signed log2 bucket of the characters between subject ``[s0, s1)`` and object ``[o0, o1)``, shifted to >= 0.

    Object after subject gives ``GAP_BUCKETS + 1 + b``, before gives ``GAP_BUCKETS - 1 - b`` with ``b`` in
    ``0 .. GAP_BUCKETS - 1`` (adjacent mentions: ``b = 0``).

    Example:
        >>> gap_bucket(0, 2, 2, 4), gap_bucket(0, 2, 9, 11), gap_bucket(9, 11, 0, 2)
        (9, 12, 4)
    """
    after = o0 >= s1
    gap = o0 - s1 if after else s0 - o1
    b = min(GAP_BUCKETS - 1, max(0, int(gap).bit_length()))
    return GAP_BUCKETS + 1 + b if after else GAP_BUCKETS - 1 - b


#: One candidate for :class:`SharedPairModule`: sentence key, character ids of the (windowed) sentence,
#: ``(s0, s1, o0, o1)`` inside it (ends exclusive), ``(subject type id, object type id)``.
SharedRow = tuple[object, tuple[int, ...], tuple[int, int, int, int], tuple[int, int]]


def shared_window(length: int, lo: int, hi: int, max_len: int) -> tuple[int, int]:
    """``[start, end)`` of the characters a ``shared`` candidate spanning ``[lo, hi)`` sees.

    The whole sentence when it has at most ``max_len`` characters; otherwise ``max_len`` characters
    starting at ``lo`` rounded down to a multiple of ``max_len // 4`` (so nearby pairs share a window),
    moved left when it would run past the end.

    Example:
        >>> shared_window(50, 10, 20, 64), shared_window(500, 130, 140, 64), shared_window(500, 490, 499, 64)
        ((0, 50), (128, 192), (436, 500))
    """
    if length <= max_len:
        return 0, length
    step = max(1, max_len // 4)
    start = min((lo // step) * step, length - max_len)
    return start, start + max_len


class SharedPairModule(_Contextual):
    """One encoding per sentence; per candidate: mention endpoints, between-context, types, gap -> FFNN.

    Args:
        config: The classifier config (``pooling`` adds the mention means when it includes ``mean``).
        encoder: Maps ``(ids (B, T), mask (B, T))`` to ``(B, T, encoder.out_dim)``.
        n_labels: Output classes (``none`` first).
        n_types: Entity types (ids ``1 .. n_types``; 0 is an unknown type).
    """

    def __init__(self, config: RelationConfig, encoder: Encoder, n_labels: int, n_types: int) -> None:
        super().__init__(config, encoder)
        self.with_mean = config.pooling in ("mean", "start+mean")
        per_span = self.out_dim * (3 if self.with_mean else 2)
        self.type_emb = nn.Embedding(n_types + 1, SMALL_EMB)
        self.gap_emb = nn.Embedding(2 * GAP_BUCKETS + 1, SMALL_EMB)
        width = 2 * per_span + self.out_dim + 3 * SMALL_EMB
        self.ffnn = nn.Sequential(nn.Linear(width, config.ffnn_hidden), nn.ReLU(), nn.Dropout(config.dropout),
                                  nn.Linear(config.ffnn_hidden, n_labels))

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, pairs: torch.Tensor, types: torch.Tensor
                ) -> torch.Tensor:
        """Sentences (S, T), lengths (S,); pairs (P, 6): sentence row, s0, s1, o0, o1, gap bucket; types (P, 2).

        Returns logits (P, n_labels).
        """
        h = self.contextual(ids, lengths)
        rows, s0, s1, o0, o1, gaps = pairs.unbind(1)
        parts = [h[rows, s0], h[rows, s1 - 1], h[rows, o0], h[rows, o1 - 1]]
        if self.with_mean:  # span means from prefix sums: O(pairs x dim), not O(pairs x length x dim)
            csum = torch.cat([h.new_zeros(h.shape[0], 1, h.shape[2]), h.cumsum(1)], 1)
            for a, b in ((s0, s1), (o0, o1)):
                parts.append((csum[rows, b] - csum[rows, a]) / (b - a).clamp(min=1).to(h.dtype)[:, None])
        # max-pool of the states strictly between the two mentions, over a window as wide as the widest gap
        lo, hi = torch.minimum(s1, o1), torch.maximum(s0, o0)
        width = (hi - lo).clamp(min=0)
        span = int(width.max()) if len(width) else 0
        pooled = h.new_zeros(len(rows), h.shape[2])
        if span > 0:
            offsets = torch.arange(span, device=h.device)[None, :]
            window = h[rows[:, None], (lo[:, None] + offsets).clamp(max=h.shape[1] - 1)]  # (P, span, D)
            window = window.masked_fill(~(offsets < width[:, None])[..., None], float("-inf")).amax(1)
            pooled = torch.where((width > 0)[:, None], window, pooled)
        parts.append(pooled)
        parts += [self.type_emb(types[:, 0]), self.type_emb(types[:, 1]), self.gap_emb(gaps)]
        logits: torch.Tensor = self.ffnn(torch.cat(parts, -1))
        return logits


def shared_tensors(rows: Sequence[SharedRow], pad_id: int, device: torch.device
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The inputs of :meth:`SharedPairModule.forward`: each distinct sentence key once."""
    keys: dict[object, int] = {}
    sentences: list[tuple[int, ...]] = []
    pairs = np.zeros((len(rows), 6), dtype=np.int64)
    types = np.zeros((len(rows), 2), dtype=np.int64)
    for n, (key, ids, (s0, s1, o0, o1), (ts, to)) in enumerate(rows):
        if key not in keys:
            keys[key] = len(sentences)
            sentences.append(ids)
        pairs[n] = (keys[key], s0, s1, o0, o1, gap_bucket(s0, s1, o0, o1))
        types[n] = (ts, to)
    width = max(len(x) for x in sentences)
    ids_arr = np.full((len(sentences), width), pad_id, dtype=np.int64)
    for b, seq in enumerate(sentences):
        ids_arr[b, :len(seq)] = seq
    lengths = torch.tensor([len(x) for x in sentences], dtype=torch.long, device=device)
    return (torch.from_numpy(ids_arr).to(device), lengths, torch.from_numpy(pairs).to(device),
            torch.from_numpy(types).to(device))
