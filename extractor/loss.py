"""CRF negative log-likelihood (pytorch-crf) over the emissions of :class:`~extractor.module.TaggerModule`."""

from __future__ import annotations

import torch
from torchcrf import CRF

__all__ = ["crf_loss"]


def crf_loss(crf: CRF, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood per sequence.

    Args:
        crf: The CRF holding start/end/transition scores (K labels).
        emissions: (B, T, K) float.
        tags: (B, T) long gold label ids (any value where ``mask`` is False).
        mask: (B, T) bool, left-aligned (``mask[:, 0]`` all True).

    Returns:
        A scalar tensor.
    """
    log_likelihood: torch.Tensor = crf(emissions, tags.masked_fill(~mask, 0), mask=mask, reduction="mean")
    return -log_likelihood
