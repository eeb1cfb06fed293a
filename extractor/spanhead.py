"""A span head for nested entities: Efficient GlobalPointer scores, its loss and its decoding.

Every (start ``i``, end ``j``) pair of a window, ``i <= j < i + max_span``, gets one score per type::

    s_t(i, j) = q_i . k_j / sqrt(d) + b_t(i) + c_t(j)

with ``q``, ``k`` (size ``d``) shared by the types and rotary position encodings on both (so the score
sees the distance ``j - i``), and per-type start and end biases ``b_t``, ``c_t`` (Su Jianlin's Efficient
GlobalPointer, 2022). A span is predicted where ``s_t(i, j)`` is above the head's threshold (0 unless
calibrated on validation: :mod:`extractor.calibrate`), so spans of any types may nest (one inside or
around a higher-scoring span needs a calibrated margin more; crossing spans are resolved by score).
Training uses the multi-label categorical cross-entropy over all pairs of a window and type::

    log(1 + sum_{negatives} exp(s)) + log(1 + sum_{positives} exp(-s))

which needs no positive/negative balancing. ``type_mask`` switches types off per example: a type a
corpus does not annotate is then neither positive nor negative there (partial annotation).

Example:
    >>> head = SpanHead(8, 2, dim=4, max_span=3)
    >>> head(torch.zeros(1, 5, 8), torch.ones(1, 5, dtype=torch.bool)).shape
    torch.Size([1, 2, 5, 5])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from extractor.data import Span

__all__ = ["SpanHead", "decode_spans", "span_candidates", "span_loss", "span_targets", "spans_above"]

_NEG = -1e12


def _rotary(x: torch.Tensor) -> torch.Tensor:
    """Rotary position encoding of (B, T, D) along T (D even)."""
    _, length, dim = x.shape
    pos = torch.arange(length, dtype=torch.float32, device=x.device)[:, None]
    freq = torch.pow(10000.0, -torch.arange(0, dim, 2, dtype=torch.float32, device=x.device) / dim)[None, :]
    angle = pos * freq  # (T, D/2)
    sin, cos = torch.sin(angle).repeat_interleave(2, -1), torch.cos(angle).repeat_interleave(2, -1)
    rotated = torch.stack((-x[..., 1::2], x[..., ::2]), dim=-1).flatten(-2)
    return x * cos.to(x.dtype) + rotated * sin.to(x.dtype)


class SpanHead(nn.Module):
    """Efficient GlobalPointer over ``n_types`` types.

    Args:
        width: Size of the input vectors.
        n_types: Number of types.
        dim: Query/key size (even).
        max_span: Longest span scored, in characters.
    """

    def __init__(self, width: int, n_types: int, dim: int = 64, max_span: int = 64) -> None:
        super().__init__()
        self.n_types, self.dim, self.max_span = n_types, dim, max_span
        self.qk = nn.Linear(width, 2 * dim)
        self.bias = nn.Linear(width, 2 * n_types)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Scores (B, n_types, T, T), ``[b, t, i, j]`` for the span ``[i, j]``; invalid pairs get -1e12."""
        qk = self.qk(x)
        q, k = _rotary(qk[..., : self.dim]), _rotary(qk[..., self.dim:])
        scores = torch.einsum("bid,bjd->bij", q, k) / math.sqrt(self.dim)
        bias = self.bias(x).transpose(1, 2)  # (B, 2n, T)
        scores = scores[:, None] + bias[:, 0::2, :, None] + bias[:, 1::2, None, :]
        masked: torch.Tensor = scores.masked_fill(~self.valid_pairs(mask)[:, None], _NEG)
        return masked

    def valid_pairs(self, mask: torch.Tensor) -> torch.Tensor:
        """(B, T, T) bool: both ends inside the window and ``0 <= j - i < max_span``."""
        length = mask.shape[1]
        idx = torch.arange(length, device=mask.device)
        gap = idx[None, :] - idx[:, None]
        band = (gap >= 0) & (gap < self.max_span)
        return band[None] & mask[:, :, None] & mask[:, None, :]


def span_targets(spans: Sequence[Sequence[tuple[int, int, int]]], n_types: int, length: int,
                 device: torch.device) -> torch.Tensor:
    """(B, n_types, T, T) float targets from per-window ``(start, end exclusive, type index)`` triples."""
    target = torch.zeros((len(spans), n_types, length, length), device=device)
    for b, window in enumerate(spans):
        for start, end, kind in window:
            if 0 <= start < end <= length:
                target[b, kind, start, end - 1] = 1.0
    return target


def span_loss(scores: torch.Tensor, target: torch.Tensor, type_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Multi-label categorical cross-entropy, mean over (window, type) pairs that count.

    A gold span the head cannot score (longer than ``max_span``: its pair is masked) does not count: it
    would add a constant 1e12 to the loss and drown the gradient of the window's other spans of its type.

    Args:
        scores: (B, n, T, T) from :class:`SpanHead` (invalid pairs at -1e12).
        target: (B, n, T, T) 0/1.
        type_mask: (B, n) bool, the types each window's corpus annotates (``None``: all).
    """
    bsz, n = scores.shape[:2]
    s = scores.reshape(bsz, n, -1).float()
    y = target.reshape(bsz, n, -1) * (s > _NEG / 2)
    s = (1 - 2 * y) * s  # positives enter negated
    neg = s - y * 1e12  # only negatives (and invalid pairs at -1e12) stay
    pos = s - (1 - y) * 1e12
    zeros = torch.zeros_like(s[..., :1])
    loss = torch.logsumexp(torch.cat((neg, zeros), -1), -1) + torch.logsumexp(torch.cat((pos, zeros), -1), -1)
    if type_mask is None:
        return loss.mean()
    weight = type_mask.to(loss.dtype)
    return (loss * weight).sum() / weight.sum().clamp_min(1.0)


def span_candidates(scores: torch.Tensor, types: Sequence[str], floor: float) -> list[list[Span]]:
    """Every span scoring above ``floor`` per window (window offsets, end exclusive), its raw score kept.

    Crossing spans are all kept: :func:`spans_above` resolves them for one threshold. One pass of the
    head at the lowest threshold of a grid gives the output at every threshold of it.
    """
    out: list[list[Span]] = []
    for b in range(scores.shape[0]):
        window = scores[b].float()
        above = window > floor
        hits = torch.nonzero(above).tolist()
        values = window[above].tolist()  # same row-major order as nonzero
        out.append([Span(i, j + 1, types[t], v) for (t, i, j), v in zip(hits, values, strict=True)])
    return out


def spans_above(candidates: Sequence[Span], threshold: float, nest_margin: float = 0.0) -> list[Span]:
    """The spans of raw score above ``threshold``, crossings resolved, in text order.

    Candidates are taken highest score first (then longest): one that crosses a span already taken (overlaps
    it without one containing the other) is dropped, and one nested in or around a span already taken (the
    same extent under another type included) needs a score above ``threshold + nest_margin``. A margin of
    0 keeps every nested span above the threshold. The score becomes sigmoid(raw score - the span's
    boundary), so 0.5 stays the decision boundary whatever a head was calibrated to.
    """
    taken: list[Span] = []
    for span in sorted((c for c in candidates if c.score > threshold),
                       key=lambda s: (-s.score, s.start - s.end, s.start)):
        overlapping = [t for t in taken if span.start < t.end and t.start < span.end]
        if any(not _contains(span, t) and not _contains(t, span) for t in overlapping):
            continue
        boundary = threshold + nest_margin if overlapping else threshold
        if span.score <= boundary:
            continue
        taken.append(Span(span.start, span.end, span.type,
                          1.0 / (1.0 + math.exp(min(boundary - span.score, 700.0)))))
    return sorted(taken, key=lambda s: (s.start, s.end))


def _contains(outer: Span, inner: Span) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


def decode_spans(scores: torch.Tensor, types: Sequence[str], threshold: float = 0.0,
                 nest_margin: float = 0.0) -> list[list[Span]]:
    """Spans scoring above ``threshold`` per window (window offsets, end exclusive), score = sigmoid.

    ``scores`` (B, len(types), T, T). ``threshold`` is the head's decision threshold on the raw scores
    (0: the loss's own boundary; ``HeadConfig.span_thresholds`` holds one calibrated on validation), and
    ``nest_margin`` what a span nested in or around a higher-scoring one needs above it
    (``HeadConfig.span_nest_margins``). Spans that cross (overlap without one containing the other) are
    resolved greedily, highest score first, within a window (:func:`spans_above`).
    """
    return [spans_above(window, threshold, nest_margin) for window in span_candidates(scores, types, threshold)]
