"""Character n-gram blocking: the few keys of one KG label that fuzzy scoring may look at.

Each key (a normalised name or derived key) is indexed under its character bigrams, padded with a
start and an end marker (so ``胃炎`` gives ``^胃``, ``胃炎``, ``炎$``: first and last characters count
even in two-character names). Optionally single characters are indexed as well; by default they are
used only as a fallback when a query shares no bigram with any key, because common characters (炎,
病, 性) have posting lists of thousands of keys and would dominate the cost.

N-grams found in a large share of a label's keys (``片$``, ``药业`` among Producer names) say little and
cost much, so queries skip them (``BlockingConfig.stop_fraction``) unless nothing else is left.

A query's candidates are the keys with the highest Dice overlap of n-gram sets,
``2 * shared / (|grams(query)| + |grams(key)|)``, counted with NumPy over the query's posting lists
only; the cost grows with those lists, never with the number of keys times the scorer.

Example:
    >>> blocker = NgramBlocker(["胃炎", "肠炎", "胃溃疡"], BlockingConfig(top_n=2))
    >>> [blocker.keys[i] for i in blocker.top("胃言")]
    ['胃炎', '胃溃疡']
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from linker.config import BlockingConfig

__all__ = ["NgramBlocker", "ngrams"]

_START, _END = "\x02", "\x03"


def ngrams(key: str, boundary: bool = True, unigrams: bool = False) -> set[str]:
    """The n-gram set of a key.

    Args:
        key: Normalised text.
        boundary: Pad with start/end markers before taking bigrams.
        unigrams: Include single characters.
    """
    padded = f"{_START}{key}{_END}" if boundary else key
    grams = {padded[i : i + 2] for i in range(len(padded) - 1)}
    if unigrams or len(padded) < 2:
        grams.update(key)
    return grams


class NgramBlocker:
    """Inverted index from n-grams to key positions, for one KG label.

    Args:
        keys: Distinct normalised keys; candidates are returned as positions in this sequence.
        config: Blocking settings.
    """

    def __init__(self, keys: Sequence[str], config: BlockingConfig | None = None) -> None:
        self.config = config or BlockingConfig()
        self.keys = list(keys)
        grams_of = [ngrams(k, self.config.boundary_bigrams, self.config.unigrams) for k in self.keys]
        self._postings = self._invert(grams_of)
        self._sizes = np.fromiter((len(g) for g in grams_of), dtype=np.float32, count=len(grams_of))
        self._stop_len = max(self.config.stop_min, int(self.config.stop_fraction * len(self.keys)))
        self._uni_postings: dict[str, np.ndarray] = {}
        self._uni_sizes = self._sizes
        if self.config.unigram_fallback and not self.config.unigrams:
            uni = [set(k) for k in self.keys]
            self._uni_postings = self._invert(uni)
            self._uni_sizes = np.fromiter((len(g) for g in uni), dtype=np.float32, count=len(uni))

    @staticmethod
    def _invert(grams_of: list[set[str]]) -> dict[str, np.ndarray]:
        postings: dict[str, list[int]] = defaultdict(list)
        for pos, grams in enumerate(grams_of):
            for gram in grams:
                postings[gram].append(pos)
        return {g: np.asarray(v, dtype=np.int32) for g, v in postings.items()}

    def __len__(self) -> int:
        return len(self.keys)

    def top(self, query: str, n: int | None = None) -> list[int]:
        """Positions of up to ``n`` keys sharing the most n-grams with ``query`` (best first).

        Args:
            query: Normalised query text.
            n: Number of keys (default ``config.top_n``).
        """
        n = n or self.config.top_n
        grams = ngrams(query, self.config.boundary_bigrams, self.config.unigrams)
        found = self._rank(grams, self._postings, self._sizes, n)
        if not found and self._uni_postings:
            found = self._rank(set(query), self._uni_postings, self._uni_sizes, n)
        return found

    def _rank(self, grams: set[str], postings: dict[str, np.ndarray], sizes: np.ndarray, n: int) -> list[int]:
        found = [postings[g] for g in grams if g in postings]
        lists = [p for p in found if len(p) <= self._stop_len] or found
        if not lists:
            return []
        ids, shared = np.unique(np.concatenate(lists) if len(lists) > 1 else lists[0], return_counts=True)
        dice = shared / (len(grams) + sizes[ids])
        if len(ids) > n:
            part = np.argpartition(-dice, n - 1)[:n]
            ids, dice = ids[part], dice[part]
        # Stable order (score, then position) keeps results identical across runs and platforms.
        order = np.lexsort((ids, -dice))
        ranked: list[int] = ids[order].tolist()
        return ranked
