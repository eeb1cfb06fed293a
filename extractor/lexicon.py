"""An entity lexicon from annotated records: a second dictionary channel next to the KG gazetteer.

The KG's names cover diseases, symptoms, drugs and checks, but not the anatomy, operations and lab
tests that clinical records annotate; a hospital's own annotated records name those. The lexicon is
every annotated surface form with its (majority) entity type, matched longest-first over whole
records by the same ``linker.Gazetteer`` as the KG names (same fold, same Latin-word boundaries).

Trained naively, a tagger would learn that every lexicon match in its training records is an entity
(each training entity is in the lexicon by construction) and trust the feature far more than it
deserves on new text. So while training, record ``i`` is featurised with the lexicon of the *other*
folds only (:func:`fold_lexicons`); validation, test and production records see the full lexicon of
the training split, which the checkpoint stores.

Example:
    >>> from extractor.data import Example, Span
    >>> lexicon_entries([Example("1", "左肺上叶", (Span(0, 4, "Anatomy"),))])
    [('左肺上叶', 'Anatomy')]
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from extractor.data import Example

if TYPE_CHECKING:
    from linker.gazetteer import Gazetteer

__all__ = ["build_lexicon", "fold_lexicons", "lexicon_entries"]


def lexicon_entries(examples: Sequence[Example], min_chars: int = 2) -> list[tuple[str, str]]:
    """(surface, type) pairs of the annotated spans, one type per surface (the most frequent; ties by name).

    Surfaces shorter than ``min_chars`` or made only of whitespace are left out.
    """
    counts: dict[str, Counter[str]] = {}
    for ex in examples:
        for span in ex.spans:
            surface = ex.text[span.start:span.end]
            if len(surface.strip()) >= min_chars:
                counts.setdefault(surface, Counter())[span.type] += 1
    return sorted((s, min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0]) for s, c in counts.items())


def build_lexicon(entries: Sequence[tuple[str, str]]) -> Gazetteer | None:
    """A ``linker.Gazetteer`` over lexicon entries (``None`` when there are none).

    Concept ids are ``lexicon:<type>:<surface>``; derived stems are off (a lexicon is exact surfaces).
    """
    if not entries:
        return None
    from linker.config import GazetteerConfig
    from linker.gazetteer import Gazetteer
    from linker.records import ConceptRecord

    records = [ConceptRecord(f"lexicon:{t}:{s}", t, s) for s, t in entries]
    return Gazetteer(records, GazetteerConfig(include_derived=False, include_aliases=False))


def fold_lexicons(examples: Sequence[Example], folds: int, seed: int,
                  min_chars: int = 2) -> tuple[list[int], list[Gazetteer | None]]:
    """Leave-one-fold-out lexicons for training.

    Returns:
        (fold of each example, lexicon built from every fold but that one).
    """
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    fold_of = [0] * len(examples)
    for rank, i in enumerate(order):
        fold_of[i] = rank % folds
    lexicons = [build_lexicon(lexicon_entries([ex for ex, f in zip(examples, fold_of, strict=True) if f != k],
                                              min_chars)) for k in range(folds)]
    return fold_of, lexicons
