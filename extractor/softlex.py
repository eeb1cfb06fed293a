"""SoftLexicon word features (Ma et al., ACL 2020): what the words around a character say about it.

For each character ``c`` the lexicon words that match the text and contain ``c`` fall into four sets:
words that **B**egin at ``c``, have it in the **M**iddle, **E**nd at it, or are the **S**ingle character
itself. Each set becomes one vector, the frequency-weighted sum of its words' vectors,
``v(S) = 4 / Z * sum_{w in S} z(w) e(w)`` with ``z(w)`` the word's count in the training text and ``Z``
the sum of ``z`` over all four sets of the character; an empty set gets a learned "none" vector. The
four vectors, concatenated, join the character's other inputs (:mod:`extractor.module`).

A :class:`WordLexicon` holds the words, their (frozen) vectors and counts; ``medkg pretrain --kind
words`` builds one from jieba's dictionary plus the KG's names, word2vec vectors (gensim) trained on
the jieba-segmented medical text and substring counts over that text (:func:`build_word_lexicon`).
:meth:`WordLexicon.match` turns a record into per-character word ids and weights, the top
``k`` words of each set by count, so batches stay integer arrays plus one float array.

Example:
    >>> lex = WordLexicon(["胃", "胃炎", "炎"], np.ones((3, 2), dtype=np.float32), np.array([5.0, 3.0, 2.0]))
    >>> ids, weights = lex.match("胃炎", k=2)
    >>> ids.shape, [lex.words[i - 1] for i in ids[0, 0] if i]
    ((2, 4, 2), ['胃炎'])
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from core.config import ClosedConfig

__all__ = ["SETS", "WordLexicon", "WordLexiconConfig", "build_word_lexicon", "jieba_dictionary"]

#: The four sets, in the order their vectors are concatenated.
SETS = ("B", "M", "E", "S")


def _fold_table() -> dict[int, str]:
    from linker.normalize import length_preserving_table

    return length_preserving_table()


class WordLexicon:
    """Lexicon words with vectors and counts, matched longest-and-shortest alike over a text.

    Args:
        words: The words (any length from 1 to ``max_len``); id ``i + 1`` is ``words[i]``, 0 pads.
        vectors: (len(words), d) word vectors.
        counts: Count of each word in the text the lexicon was built from (its ``z(w)``).
        meta: How the lexicon was built (stored with it).

    Raises:
        ValueError: Mismatched sizes, an empty or duplicate word.
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray, counts: np.ndarray,
                 meta: dict[str, Any] | None = None) -> None:
        vectors, counts = np.asarray(vectors, dtype=np.float32), np.asarray(counts, dtype=np.float64)
        if vectors.ndim != 2 or len(vectors) != len(words) or counts.shape != (len(words),):
            raise ValueError(f"word lexicon: {len(words)} words, vectors {vectors.shape}, counts {counts.shape}")
        self.words, self.vectors, self.counts = list(words), vectors, counts
        self.meta = dict(meta or {})
        self._table = _fold_table()
        index: dict[str, int] = {}
        for i, word in enumerate(self.words):
            if not word:
                raise ValueError(f"word lexicon: empty word at row {i}")
            key = word.translate(self._table)
            if key in index:
                raise ValueError(f"word lexicon: {word!r} (row {i}) duplicates row {index[key] - 1}")
            index[key] = i + 1
        self.max_len = max((len(w) for w in self.words), default=1)
        self._automaton = self._build(index)

    @staticmethod
    def _build(index: dict[str, int]) -> Any:  # an ahocorasick.Automaton, a C type without annotations
        import ahocorasick

        automaton = ahocorasick.Automaton()
        for key, wid in index.items():
            automaton.add_word(key, (wid, len(key)))
        automaton.make_automaton()
        return automaton

    @property
    def dim(self) -> int:
        """Word vector size."""
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.words)

    def matches(self, text: str) -> list[tuple[int, int, int]]:
        """Every (start, end, word id) of a lexicon word in ``text`` (overlapping matches included)."""
        if not text or not self.words:
            return []
        folded = text.translate(self._table)
        return [(end + 1 - n, end + 1, wid) for end, (wid, n) in self._automaton.iter(folded)]

    def match(self, text: str, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
        """Word ids (n, 4, k) int64 and weights (n, 4, k) float32 of each character's four sets.

        Each set keeps its ``k`` most frequent words; weights are ``4 z(w) / Z`` over every word of the
        character's four sets (kept or not), so a row of zeros means the set is empty.
        """
        n = len(text)
        ids = np.zeros((n, 4, k), dtype=np.int64)
        weights = np.zeros((n, 4, k), dtype=np.float32)
        found = self.matches(text)
        if not found:
            return ids, weights
        start, end, wid = (np.asarray(col, dtype=np.int64) for col in zip(*found, strict=True))
        length = end - start
        multi = length > 1
        # (position, set, word) of every membership: B at the start, E at the end, S for single characters,
        # M for every inner character of words of 3+ characters
        inner = np.maximum(length - 2, 0)
        m_word = np.repeat(np.arange(len(wid)), inner)
        m_pos = start[m_word] + 1 + (np.arange(len(m_word)) - np.repeat(np.cumsum(inner) - inner, inner))
        pos = np.concatenate([start[multi], m_pos, end[multi] - 1, start[~multi]])
        which = np.concatenate([np.zeros(multi.sum(), np.int64), np.ones(len(m_pos), np.int64),
                                np.full(multi.sum(), 2, np.int64), np.full((~multi).sum(), 3, np.int64)])
        word = np.concatenate([wid[multi], wid[m_word], wid[multi], wid[~multi]])
        index = np.arange(len(wid))
        src = np.concatenate([index[multi], m_word, index[multi], index[~multi]])  # ties: order of the matches
        z = self.counts[word - 1]
        total = np.bincount(pos, weights=z, minlength=n)
        order = np.lexsort((src, -z, which, pos))  # by position, set, then most frequent first
        pos, which, word, z = pos[order], which[order], word[order], z[order]
        group = pos * 4 + which
        first = np.r_[0, np.flatnonzero(np.diff(group)) + 1]
        rank = np.arange(len(group)) - np.repeat(first, np.diff(np.r_[first, len(group)]))
        keep = (rank < k) & (total[pos] > 0)
        pos, which, word, z, rank = pos[keep], which[keep], word[keep], z[keep], rank[keep]
        ids[pos, which, rank] = word
        weights[pos, which, rank] = 4.0 * z / total[pos]
        return ids, weights

    def vector_table(self) -> np.ndarray:
        """(len + 1, d) matrix of the vectors with the padding row 0 (zeros) first."""
        return np.concatenate([np.zeros((1, self.dim), dtype=np.float32), self.vectors])

    def save(self, path: str | Path) -> Path:
        """Write as one ``.npz`` (words, vectors, counts, meta)."""
        path = Path(path).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            np.savez_compressed(fh, words=np.array(self.words, dtype=object).astype(str), vectors=self.vectors,
                                counts=self.counts, meta=np.array(json.dumps(self.meta, ensure_ascii=False)))
        return path

    @classmethod
    def load(cls, path: str | Path) -> WordLexicon:
        """Read a file written by :meth:`save`.

        Raises:
            ValueError: Not a word-lexicon file (names the file and what is missing).
        """
        path = Path(path).expanduser()
        try:
            with np.load(path, allow_pickle=False) as data:
                missing = [k for k in ("words", "vectors", "counts") if k not in data.files]
                if missing:
                    raise ValueError(f"{path}: not a word lexicon (missing {', '.join(missing)})")
                meta = json.loads(str(data["meta"])) if "meta" in data.files else {}
                return cls([str(w) for w in data["words"]], data["vectors"], data["counts"], meta)
        except (OSError, EOFError, ValueError) as exc:
            if str(exc).startswith(str(path)):
                raise
            raise ValueError(f"{path}: not a readable .npz word lexicon ({exc})") from exc


class WordLexiconConfig(ClosedConfig):
    """Settings of :func:`build_word_lexicon`."""

    dim: int = Field(default=50, ge=1)
    """Word vector size."""
    window: int = Field(default=5, ge=1)
    """word2vec context window (tokens)."""
    min_count: int = Field(default=2, ge=1)
    """Tokens seen fewer times get no vector (and leave the lexicon)."""
    epochs: int = Field(default=5, ge=1)
    """word2vec passes over the text."""
    max_len: int = Field(default=12, ge=1)
    """Longest word kept, in characters."""
    seed: int = 13
    """word2vec seed."""
    threads: int = Field(default=1, ge=1)
    """word2vec worker threads."""


def jieba_dictionary() -> list[tuple[str, int]]:
    """(word, frequency) of jieba's bundled dictionary (``jieba/dict.txt``).

    Raises:
        ImportError: jieba is not installed (``pip install 'medkg[lexicon]'``).
    """
    try:
        import jieba
    except ImportError as exc:
        raise ImportError("the word lexicon needs jieba: pip install 'medkg[lexicon]'") from exc
    path = Path(jieba.__file__).parent / "dict.txt"
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                out.append((parts[0], int(parts[1])))
    return out


def build_word_lexicon(texts: Sequence[str], kg_names: Iterable[str] = (),
                       config: WordLexiconConfig | None = None,
                       progress: Callable[[str], None] | None = None) -> WordLexicon:
    """A lexicon of jieba's dictionary words and KG names, with word2vec vectors trained on ``texts``.

    ``texts`` are segmented by jieba (the KG names added to its dictionary, so they come out whole),
    gensim's word2vec (skip-gram) is trained on the tokens, and the lexicon keeps the dictionary words
    and KG names (1 to ``max_len`` characters) that got a vector. ``z(w)`` is the number of times ``w``
    occurs in ``texts`` as a substring, the paper's static frequency. Never pass test text here.

    Raises:
        ImportError: jieba or gensim missing.
        ValueError: No text, or no word got a vector.
    """
    cfg = config or WordLexiconConfig()
    if not texts:
        raise ValueError("build_word_lexicon: no text to train word vectors on")
    try:
        import jieba
        from gensim.models import Word2Vec
    except ImportError as exc:
        raise ImportError("the word lexicon needs jieba and gensim: pip install 'medkg[lexicon]'") from exc
    say = progress or (lambda _msg: None)
    seconds: dict[str, float] = {}
    clock = time.monotonic()
    names = {n.strip() for n in kg_names if n and 2 <= len(n.strip()) <= cfg.max_len and "\n" not in n}
    dictionary = {w for w, _ in jieba_dictionary() if len(w) <= cfg.max_len}
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for name in sorted(names):
        tokenizer.add_word(name, freq=max(tokenizer.suggest_freq(name, tune=False), 5))
    say(f"segmenting {len(texts):,} texts with jieba ({len(names):,} KG names added)")
    sentences = [tokenizer.lcut(t, HMM=False) for t in texts]
    tokens = sum(map(len, sentences))
    seconds["segment"] = round(time.monotonic() - clock, 1)
    say(f"word2vec on {tokens:,} tokens")
    model = Word2Vec(sentences, vector_size=cfg.dim, window=cfg.window, min_count=cfg.min_count, sg=1,
                     epochs=cfg.epochs, seed=cfg.seed, workers=cfg.threads)
    seconds["word2vec"] = round(time.monotonic() - clock - seconds["segment"], 1)
    keep, seen = [], set()
    table = _fold_table()
    # one entry per folded form (X综合征 and x综合征 match the same text): the most frequent token wins
    for w in sorted((w for w in dictionary | names if w in model.wv.key_to_index),
                    key=lambda w: (-model.wv.get_vecattr(w, "count"), w)):
        if w.translate(table) not in seen:
            seen.add(w.translate(table))
            keep.append(w)
    keep.sort()
    if not keep:
        raise ValueError("build_word_lexicon: no lexicon word occurs often enough to get a vector")
    vectors = np.stack([model.wv[w] for w in keep]).astype(np.float32)
    lexicon = WordLexicon(keep, vectors, np.zeros(len(keep)))
    say(f"counting {len(keep):,} words in the text")
    counts = np.zeros(len(keep) + 1)
    for text in texts:
        found = [wid for _, _, wid in lexicon.matches(text)]
        if found:
            counts += np.bincount(found, minlength=len(keep) + 1)
    lexicon.counts = counts[1:]  # z(w), read by match(); the automaton does not depend on it
    seconds["count"] = round(time.monotonic() - clock - sum(seconds.values()), 1)
    lexicon.meta = {"config": cfg.model_dump(), "texts": len(texts), "characters": sum(map(len, texts)),
                    "jieba_words": len(dictionary), "kg_names": len(names), "candidates": len(dictionary | names),
                    "segmented_tokens": tokens, "words": len(keep), "seconds": seconds}
    return lexicon
