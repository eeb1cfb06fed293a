r"""Character vocabularies: one token per character, so token ``i`` is always ``text[i]``.

Two sources: the project's own vocabulary built from text (:meth:`CharVocab.build`), or a BERT
``vocab.txt`` (read by splitting on ``"\n"`` only: two bert-base-chinese tokens contain U+2028).
Unknown characters map to ``[UNK]``; offsets never move because nothing is merged or dropped.
Bigrams (``text[i:i+2]``, the last character paired with ``</s>``) use the same class.

Example:
    >>> vocab = CharVocab.build(["胃癌", "肺癌"])
    >>> vocab.encode("胃癌😀")[-1] == vocab.unk_id
    True
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

__all__ = ["BIGRAM_END", "CharVocab", "bigrams_of", "checkpoint_vocabulary"]

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
BIGRAM_END = "</s>"
_SPECIALS = (PAD, UNK, CLS, SEP, MASK)


def bigrams_of(text: str) -> list[str]:
    """One bigram per character: ``text[i] + text[i+1]``, the last one closed by ``</s>``."""
    return [text[i:i + 2] if i + 1 < len(text) else text[i] + BIGRAM_END for i in range(len(text))]


class CharVocab:
    """Token <-> id map with ``[PAD]`` (0) and ``[UNK]``.

    Args:
        tokens: Tokens in id order; must contain ``[PAD]`` and ``[UNK]``.
        lowercase_fallback: Try ``ch.lower()`` and the NFKC form of an unknown character (BERT vocab).
    """

    def __init__(self, tokens: list[str], *, lowercase_fallback: bool = False) -> None:
        if PAD not in tokens or UNK not in tokens:
            raise ValueError("a vocabulary needs [PAD] and [UNK]")
        self.tokens = list(tokens)
        self.index = {tok: i for i, tok in enumerate(self.tokens)}
        self.pad_id, self.unk_id = self.index[PAD], self.index[UNK]
        self.lowercase_fallback = lowercase_fallback
        self._cache: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.tokens)

    @classmethod
    def build(cls, texts: Iterable[str], *, min_count: int = 1, max_size: int | None = None,
              bigrams: bool = False) -> CharVocab:
        """Vocabulary of the characters (or bigrams) of ``texts``, most frequent first."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(bigrams_of(text) if bigrams else text)
        ranked = [tok for tok, c in counts.most_common() if c >= min_count and tok not in _SPECIALS]
        if max_size is not None:
            ranked = ranked[: max(0, max_size - len(_SPECIALS))]
        return cls([*_SPECIALS, *ranked])

    @classmethod
    def from_bert_vocab(cls, path: str | Path) -> CharVocab:
        r"""A BERT ``vocab.txt`` (split on ``"\n"`` only; the trailing empty line is dropped)."""
        lines = Path(path).read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return cls(lines, lowercase_fallback=True)

    @classmethod
    def from_checkpoint(cls, name_or_path: str | Path) -> CharVocab:
        """The vocabulary a ``from_pretrained`` checkpoint was trained with, in its id order.

        A local folder's ``vocab.txt`` when it has one, else the checkpoint's tokenizer
        (``AutoTokenizer.from_pretrained(...).get_vocab()``), so that every character gets the id the
        checkpoint's embeddings were trained for.

        Raises:
            ValueError: The checkpoint has neither a ``vocab.txt`` nor a loadable tokenizer.
        """
        folder = Path(str(name_or_path)).expanduser()
        if (folder / "vocab.txt").is_file():
            return cls.from_bert_vocab(folder / "vocab.txt")
        try:
            from transformers import AutoTokenizer

            ids = AutoTokenizer.from_pretrained(str(name_or_path)).get_vocab()
        except (OSError, ValueError) as exc:
            raise ValueError(f"{name_or_path}: no vocab.txt and no tokenizer to read the checkpoint's vocabulary "
                             f"from ({exc}); give encoder.vocab_path") from exc
        tokens = [""] * len(ids)
        for token, i in ids.items():
            if 0 <= i < len(tokens):
                tokens[i] = token
        return cls(tokens, lowercase_fallback=True)

    @classmethod
    def load(cls, path: str | Path) -> CharVocab:
        """Read a vocabulary written by :meth:`save`."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(data["tokens"], lowercase_fallback=bool(data["lowercase_fallback"]))

    def save(self, path: str | Path) -> None:
        r"""Write the tokens as JSON (tokens may be ``\n`` or U+2028, so not one per line)."""
        payload = {"lowercase_fallback": self.lowercase_fallback, "tokens": self.tokens}
        Path(path).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    def id_of(self, token: str) -> int:
        """The id of one token (``[UNK]`` if unknown)."""
        hit = self.index.get(token)
        if hit is not None:
            return hit
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        found = self.unk_id
        if self.lowercase_fallback:
            for alt in (token.lower(), unicodedata.normalize("NFKC", token).lower()):
                if alt in self.index:
                    found = self.index[alt]
                    break
        if len(self._cache) < 100_000:
            self._cache[token] = found
        return found

    def encode(self, text: str) -> list[int]:
        """One id per character of ``text``."""
        return [self.id_of(ch) for ch in text]

    def encode_bigrams(self, text: str) -> list[int]:
        """One bigram id per character of ``text``."""
        return [self.id_of(bg) for bg in bigrams_of(text)]


def checkpoint_vocabulary(name_or_path: str | None, vocab_path: str | None) -> CharVocab:
    """The vocabulary for a ``transformers`` encoder: ``vocab_path``, else the checkpoint's own.

    A given ``vocab_path`` must have as many entries as the checkpoint's input embeddings
    (``vocab_size`` of its config), or the model would read other tokens than the ids mean.

    Raises:
        ValueError: The sizes differ, or the checkpoint's vocabulary cannot be read.
    """
    if vocab_path is None:
        if name_or_path is None:
            raise ValueError("a transformers encoder needs name_or_path or vocab_path to know its vocabulary")
        return CharVocab.from_checkpoint(name_or_path)
    vocab = CharVocab.from_bert_vocab(vocab_path)
    if name_or_path is not None:
        from transformers import AutoConfig

        size = getattr(AutoConfig.from_pretrained(name_or_path), "vocab_size", None)
        if size is not None and size != len(vocab):
            raise ValueError(f"encoder.vocab_path {vocab_path} has {len(vocab):,} entries but {name_or_path} has "
                             f"{size:,} input embeddings; use the checkpoint's own vocab.txt (or leave vocab_path "
                             "unset to read it from the checkpoint)")
    return vocab
