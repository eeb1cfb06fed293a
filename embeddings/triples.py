"""Labelled triples in, a deterministic train/validation/test split out.

Triples are ``(head, relation, tail)`` strings (for the graph: concept ids and relationship types).
They are de-duplicated and sorted before anything else, entity and relation ids are given in sorted
label order, and the split is pykeen's coverage splitter seeded by the config: the same triples and
seed always give the same split, whatever order the database returned them in.

Example:
    >>> triples = prepare_triples([("a", "r", "b"), ("b", "r", "c"), ("a", "r", "b")])
    >>> triples.shape
    (2, 3)
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from embeddings.config import SplitConfig

__all__ = ["EmptyTriplesError", "SplitSummary", "TripleSplit", "prepare_triples", "split_triples", "triples_digest"]

log = logging.getLogger(__name__)


class EmptyTriplesError(ValueError):
    """No triples to train on (an empty graph, or one whose concepts have no relationships)."""


def prepare_triples(triples: Iterable[tuple[str, str, str]] | np.ndarray) -> np.ndarray:
    """Validate, de-duplicate and sort labelled triples.

    Args:
        triples: ``(head, relation, tail)`` strings.

    Returns:
        An ``(n, 3)`` array of ``str``, sorted lexicographically by (head, relation, tail).

    Raises:
        EmptyTriplesError: there is no triple.
        ValueError: a triple is not three non-empty strings.
    """
    rows: set[tuple[str, str, str]] = set()
    for number, triple in enumerate(triples):
        items = tuple(triple)
        if len(items) != 3 or not all(isinstance(x, str) and x for x in items):
            raise ValueError(f"triple {number} is not three non-empty strings: {triple!r}")
        rows.add(items)
    if not rows:
        raise EmptyTriplesError("no triples to train on: the graph has no relationships between concepts")
    return np.array(sorted(rows), dtype=str).reshape(-1, 3)


def triples_digest(labelled: np.ndarray) -> str:
    """SHA-256 of sorted labelled triples: the same graph gives the same digest."""
    digest = hashlib.sha256()
    for head, relation, tail in labelled.tolist():
        digest.update(f"{head}\t{relation}\t{tail}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class SplitSummary:
    """Sizes of the split and what could not be held out."""

    entities: int
    relations: int
    triples: int
    train: int
    validation: int
    test: int
    ratios: tuple[float, float, float]
    """The (train, validation, test) shares actually used."""
    single_triple_relations: list[str] = field(default_factory=list)
    """Relations with one triple: always in training, so never evaluated."""
    note: str | None = None
    """Why fewer triples than configured were held out, if they were."""


@dataclass(frozen=True)
class TripleSplit:
    """Id-mapped triples (``int64``, columns head, relation, tail) and the label maps.

    Ids follow sorted label order: ``entities[i]`` is entity ``i``.
    """

    entities: list[str]
    relations: list[str]
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    summary: SplitSummary

    @property
    def all_triples(self) -> np.ndarray:
        """Every known triple (the filter of the filtered ranking protocol)."""
        return np.concatenate([self.train, self.validation, self.test])


def _map(labelled: np.ndarray) -> tuple[list[str], list[str], np.ndarray]:
    entities = sorted(set(labelled[:, 0].tolist()) | set(labelled[:, 2].tolist()))
    relations = sorted(set(labelled[:, 1].tolist()))
    entity_id = {e: i for i, e in enumerate(entities)}
    relation_id = {r: i for i, r in enumerate(relations)}
    mapped = np.array([[entity_id[h], relation_id[r], entity_id[t]] for h, r, t in labelled.tolist()],
                      dtype=np.int64).reshape(-1, 3)
    return entities, relations, mapped


def _coverage_split(mapped: np.ndarray, ratios: list[float], seed: int) -> list[np.ndarray]:
    import torch
    from pykeen.triples.splitting import split

    parts = split(torch.as_tensor(mapped), ratios=ratios, random_state=seed)
    return [np.asarray(part.numpy(), dtype=np.int64).reshape(-1, 3) for part in parts]


def split_triples(labelled: np.ndarray, config: SplitConfig, seed: int) -> TripleSplit:
    """Map labelled triples to ids and split them, covering every entity and relation in training.

    When pykeen's coverage splitter cannot cover every entity with the configured training share
    (a star-shaped graph, say), the held-out shares are halved until it can, and the note says so;
    below ``config.min_triples`` triples nothing is held out.

    Args:
        labelled: output of :func:`prepare_triples`.
        config: held-out shares and the minimum size for holding out.
        seed: seed of the splitter.
    """
    entities, relations, mapped = _map(labelled)
    counts = Counter(labelled[:, 1].tolist())
    singles = sorted(r for r, n in counts.items() if n == 1)
    validation, test = config.validation, config.test
    note = None
    parts: list[np.ndarray] | None = None
    if len(mapped) < config.min_triples:
        note = f"{len(mapped)} triples (< {config.min_triples}): nothing held out, no evaluation or early stopping"
        validation = test = 0.0
    while parts is None and (validation > 0 or test > 0):
        held = [share for share in (validation, test) if share > 0]
        try:
            parts = _coverage_split(mapped, [1.0 - sum(held), *held], seed)
        except ValueError:
            validation, test = validation / 2, test / 2
            if validation + test < 0.01:
                validation = test = 0.0
            note = (f"coverage of every entity needs most triples in training; held out "
                    f"validation={validation:.3f}, test={test:.3f}")
    empty = np.zeros((0, 3), dtype=np.int64)
    if parts is None:
        train, valid, held_test = mapped, empty, empty
    else:
        train, rest = parts[0], parts[1:]
        valid = rest.pop(0) if validation > 0 else empty
        held_test = rest.pop(0) if test > 0 else empty
    if note:
        log.info(note)
    summary = SplitSummary(len(entities), len(relations), len(mapped), len(train), len(valid), len(held_test),
                           (round(1.0 - validation - test, 4), round(validation, 4), round(test, 4)), singles, note)
    return TripleSplit(entities, relations, train, valid, held_test, summary)
