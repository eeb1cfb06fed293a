"""Constrained Viterbi decoding and per-character tag marginals for the CRF.

Transitions that the tag scheme forbids (``O -> I``, ``B-X -> E-Y``, ending on ``B``, ...) get a score
of ``-1e4`` before decoding, so decoded sequences are always well formed. Index conventions: labels
``0..K-1`` as in :func:`extractor.tags.label_list`; ``trans[i, j]`` scores label ``i`` followed by ``j``.
"""

from __future__ import annotations

import numpy as np
import torch
from torchcrf import CRF

__all__ = ["ConstrainedDecoder"]

_FORBIDDEN = -1e4


class ConstrainedDecoder:
    """Viterbi paths and marginals under the scheme's constraints.

    Args:
        allowed: ``(start (K,), trans (K, K), end (K,))`` boolean masks from
            :func:`extractor.tags.allowed_transitions`.
    """

    def __init__(self, allowed: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        self.masks = tuple(torch.from_numpy(np.asarray(m)) for m in allowed)

    def _scores(self, crf: CRF, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        start_ok, trans_ok, end_ok = (m.to(device) for m in self.masks)
        return (crf.start_transitions.masked_fill(~start_ok, _FORBIDDEN),
                crf.transitions.masked_fill(~trans_ok, _FORBIDDEN),
                crf.end_transitions.masked_fill(~end_ok, _FORBIDDEN))

    def viterbi(self, crf: CRF, emissions: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        """Best label path per sequence.

        Args:
            crf: CRF with the learned scores.
            emissions: (B, T, K).
            mask: (B, T) bool, left-aligned.

        Returns:
            B lists, the ``b``-th of length ``mask[b].sum()``.
        """
        start, trans, end = self._scores(crf, emissions.device)
        emissions = emissions.float()
        bsz, length, _ = emissions.shape
        score = start + emissions[:, 0]
        history = []
        for t in range(1, length):
            best, idx = (score.unsqueeze(2) + trans.unsqueeze(0)).max(dim=1)
            nxt = best + emissions[:, t]
            score = torch.where(mask[:, t:t + 1], nxt, score)
            history.append(idx)
        score = score + end
        lengths = mask.sum(1).tolist()
        last = score.argmax(-1).tolist()
        hist = torch.stack(history, 1).tolist() if history else []
        paths = []
        for b in range(bsz):
            path = [last[b]]
            for t in range(lengths[b] - 2, -1, -1):
                path.append(hist[b][t][path[-1]])
            paths.append(path[::-1][: lengths[b]])
        return paths

    def marginals(self, crf: CRF, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Posterior ``p(y_t = k | x)`` (B, T, K) by forward-backward; zero where ``mask`` is False.

        Runs in probability space with per-step normalisation (scaled forward-backward): each step is
        one (B, K) x (K, K) product instead of a log-sum-exp over (B, K, K). Because
        ``p(y_t) ∝ alpha_t * beta_t``, the per-step scales cancel and are never accumulated.
        """
        start, trans, end = self._scores(crf, emissions.device)
        emissions = emissions.float()
        bsz, length, k = emissions.shape
        weights = torch.exp(trans - trans.max())  # (K, K); forbidden transitions become 0
        scaled = torch.exp(emissions - emissions.max(dim=-1, keepdim=True).values)  # (B, T, K)

        def norm(x: torch.Tensor) -> torch.Tensor:
            return x / x.sum(-1, keepdim=True).clamp_min(1e-30)

        alphas = [norm(torch.exp(start - start.max()) * scaled[:, 0])]
        stop = torch.exp(end - end.max()).expand(bsz, k)
        betas = [norm(stop)]
        for step in range(1, length):
            t, u = step, length - 1 - step
            alphas.append(torch.where(mask[:, t:t + 1], norm((alphas[-1] @ weights) * scaled[:, t]), alphas[-1]))
            back = norm((scaled[:, u + 1] * betas[-1]) @ weights.t())
            betas.append(torch.where(mask[:, u + 1:u + 2], back, norm(stop)))
        probs = norm(torch.stack(alphas, 1) * torch.stack(betas[::-1], 1))
        return probs * mask.unsqueeze(-1)
