"""Windows of featurised records and their collation into padded tensors.

Example:
    >>> items = [Window(0, 0, 2, {"input_ids": np.array([5, 6])}, None)]
    >>> len(items[0])
    2
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from extractor.features import RecordFeatures

__all__ = ["FEATURE_KEYS", "Window", "collate", "slice_windows"]

FEATURE_KEYS = ("input_ids", "bigram_ids", "gaz_bioes", "gaz_type", "kg_rows", "lex_bioes", "lex_type", "soft_ids",
                "soft_weights")


@dataclass
class Window:
    """Characters ``[start, end)`` of record ``record``, their feature arrays and (training) label ids.

    ``labels`` are per-character tag ids (CRF heads); ``spans`` the gold ``(start, end, type index)``
    triples in window offsets (span heads); ``schema`` names the annotation schema of a training window.
    """

    record: int
    start: int
    end: int
    arrays: dict[str, np.ndarray]
    labels: np.ndarray | None
    spans: tuple[tuple[int, int, int], ...] = ()
    schema: str = ""

    def __len__(self) -> int:
        return self.end - self.start


def slice_windows(record: int, feats: RecordFeatures, wins: Sequence[tuple[int, int]],
                  labels: np.ndarray | None = None) -> list[Window]:
    """Cut one record's features (and labels) into windows."""
    return [Window(record, s, e, {k: getattr(feats, k)[s:e] for k in FEATURE_KEYS},
                   None if labels is None else labels[s:e]) for s, e in wins if e > s]


def collate(items: Sequence[Window], kg_matrix: np.ndarray | torch.Tensor,
            device: torch.device) -> dict[str, torch.Tensor]:
    """Pad windows into a batch.

    Returns:
        ``input_ids``, ``bigram_ids``, ``gaz_bioes``, ``gaz_type``, ``kg_rows``, ``lex_bioes``, ``lex_type``
        (B, T) long; ``soft_ids`` (B, T, 4, k) long and ``soft_weights`` (B, T, 4, k) float; ``mask``
        (B, T) bool, left-aligned; ``kg_vectors`` (B, T, D) float gathered from ``kg_matrix`` rows
        (row 0 = zeros); ``labels`` (B, T) long when every item has labels.
    """
    length = max(len(w) for w in items)
    out: dict[str, torch.Tensor] = {}
    for key in FEATURE_KEYS:
        first = items[0].arrays[key]
        arr = np.zeros((len(items), length, *first.shape[1:]), dtype=first.dtype)
        for i, w in enumerate(items):
            arr[i, : len(w)] = w.arrays[key]
        out[key] = torch.from_numpy(arr).to(device)
    lengths = torch.tensor([len(w) for w in items], device=device)
    out["mask"] = torch.arange(length, device=device)[None, :] < lengths[:, None]
    table = torch.as_tensor(kg_matrix, device=device)
    out["kg_vectors"] = table[out["kg_rows"]] if table.numel() else torch.zeros(
        (*out["kg_rows"].shape, 0), device=device)
    labels = [w.labels for w in items if w.labels is not None]
    if len(labels) == len(items):
        lab = np.zeros((len(items), length), dtype=np.int64)
        for i, (w, row) in enumerate(zip(items, labels, strict=True)):
            lab[i, : len(w)] = row
        out["labels"] = torch.from_numpy(lab).to(device)
    return out
