"""Closed, typed configuration of the linker, its index and the gazetteer.

Every field has a docstring; unknown keys are rejected. The default ``nil_threshold`` comes from the
calibration described in ``linker/README.md`` (dev split of the project's own evaluation set).

Example:
    >>> cfg = LinkerConfig(steps=["exact", "normalized"], nil_threshold=0.7)
    >>> cfg.index.normalizer.max_chars
    64
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from pydantic import Field

from core.config import FrozenConfig

__all__ = [
    "ALL_RULES",
    "BlockingConfig",
    "FuzzyConfig",
    "GazetteerConfig",
    "IndexConfig",
    "LinkerConfig",
    "NormalizerConfig",
    "RuleName",
    "VectorConfig",
]

RuleName = Literal[
    "fullwidth",
    "control",
    "t2s",
    "casefold",
    "numerals",
    "whitespace",
    "punctuation",
    "parenthetical",
    "laterality",
    "acuity",
    "postop",
    "uncertainty",
    "history",
    "dosage_form",
    "drug_salt",
    "check_suffix",
]

ALL_RULES: tuple[RuleName, ...] = get_args(RuleName)


class NormalizerConfig(FrozenConfig):
    """Which normalisation rules run, and how much text they may look at."""

    rules: tuple[RuleName, ...] = ALL_RULES
    """Enabled rules. Their order of application is fixed (see ``linker.normalize``), not this order."""

    max_input_chars: int = Field(default=256, ge=1)
    """Raw characters looked at before normalising; bounds the work spent on very long mentions."""

    max_chars: int = Field(default=64, ge=1)
    """Normalised characters kept (the linker links only this prefix of a very long mention)."""

    max_variants: int = Field(default=8, ge=0)
    """Most modifier-stripped variants tried after the plain normalised form."""


class BlockingConfig(FrozenConfig):
    """Character n-gram blocking that picks the few names fuzzy scoring may look at."""

    top_n: int = Field(default=24, ge=1)
    """Keys per KG label passed to the fuzzy scorer, ranked by Dice overlap of n-grams."""

    boundary_bigrams: bool = True
    """Pad keys with start/end markers so the first and last characters count as bigrams too."""

    unigrams: bool = False
    """Also index single characters; costly (common characters have long posting lists)."""

    stop_fraction: float = Field(default=0.05, gt=0.0, le=1.0)
    """N-grams in more than this share of a label's keys (``片$`` in Producer) are skipped at query time..."""

    stop_min: int = Field(default=500, ge=1)
    """...unless their posting list is shorter than this; a query made only of such n-grams uses them all."""

    unigram_fallback: bool = True
    """Use single characters for queries that share no bigram with any key (typos in short names)."""


class FuzzyConfig(FrozenConfig):
    """Fuzzy string scoring of blocked candidates."""

    scorer: str = "lcs_mix"
    """Name of a scorer in ``linker.scorers`` (built-in: ``lcs_mix``, ``ratio_mix``)."""

    ratio_weight: float = Field(default=0.9, ge=0.0)
    """Weight of the whole-string Indel similarity (rapidfuzz ``fuzz.ratio``)."""

    partial_weight: float = Field(default=0.1, ge=0.0)
    """Weight of the part-of-string term (``lcs_mix``: containment; ``ratio_mix``: ``partial_ratio``)."""

    min_query_chars: int = Field(default=2, ge=1)
    """Normalised queries shorter than this skip fuzzy matching (one character matches noise)."""

    max_variants: int = Field(default=0, ge=0)
    """Modifier-stripped variants also scored fuzzily after the plain form (0: on dev they lowered NIL
    recall and bought no accuracy; variants are still looked up exactly by ``alias``/``normalized``)."""

    keep: int = Field(default=10, ge=1)
    """Fuzzy candidates kept for later steps (the vector re-ranker sees these)."""


class VectorConfig(FrozenConfig):
    """Re-ranking of fuzzy candidates by cosine similarity to a query vector."""

    weight: float = Field(default=0.3, ge=0.0, le=1.0)
    """Blend: ``(1 - weight) * lexical score + weight * (cos + 1) / 2``."""


class IndexConfig(FrozenConfig):
    """How the concept index is built (normalisation and blocking are fixed at build time)."""

    normalizer: NormalizerConfig = NormalizerConfig()
    """Normalisation applied to names, aliases and mentions alike."""

    blocking: BlockingConfig = BlockingConfig()
    """N-gram blocking for fuzzy candidates."""

    curated_aliases: bool = True
    """Load the project's curated alias table (``linker/data/aliases.tsv``)."""

    alias_tables: tuple[Path, ...] = ()
    """Extra alias TSV files (``alias<TAB>target name<TAB>KG label or empty``)."""


class LinkerConfig(FrozenConfig):
    """The linking chain: which steps run, their scores, and the NIL threshold."""

    index: IndexConfig = IndexConfig()
    """Index settings; must match the index when an already built one is passed to ``Linker``."""

    steps: tuple[str, ...] = ("exact", "alias", "normalized", "fuzzy", "vector")
    """Steps run in this order (names from the ``linker.steps`` registry)."""

    accept_score: float = Field(default=0.95, ge=0.0, le=1.0)
    """Stop the chain once the best score reaches this (plain-form lookups reach it, variants do not)."""

    nil_threshold: float = Field(default=0.79, ge=0.0, le=1.0)
    """Best score below this gives NIL. Calibrated on the dev split (``linker/README.md``)."""

    fallback_penalty: float = Field(default=0.03, ge=0.0, le=1.0)
    """Subtracted for fallback labels (Symptom for a Disease mention, Producer for a Drug mention)."""

    variant_penalty: float = Field(default=0.04, ge=0.0, le=1.0)
    """Subtracted per modifier rule a variant needed (``左侧肺癌`` -> ``肺癌`` costs one)."""

    exact_score: float = Field(default=1.0, ge=0.0, le=1.0)
    """Score of a raw match on a name or record alias."""

    normalized_score: float = Field(default=0.98, ge=0.0, le=1.0)
    """Score of a match between normalised mention and normalised name."""

    alias_score: float = Field(default=0.96, ge=0.0, le=1.0)
    """Score of a match through the curated alias table or a normalised record alias."""

    derived_score: float = Field(default=0.95, ge=0.0, le=1.0)
    """Score of a match on a key derived from a name (parenthetical part, dosage form removed, ...)."""

    fuzzy: FuzzyConfig = FuzzyConfig()
    """Fuzzy scoring settings."""

    vector: VectorConfig = VectorConfig()
    """Vector re-ranking settings."""


class GazetteerConfig(FrozenConfig):
    """Character-level dictionary matching over whole records."""

    min_chars: int = Field(default=2, ge=1)
    """Shortest surface form matched; single characters are mostly noise in EMR text."""

    fold: bool = True
    """Match on a length-preserving fold (full-width, case, traditional characters); offsets unchanged."""

    include_aliases: bool = True
    """Match record aliases and curated aliases as well as names."""

    include_derived: bool = True
    """Match parenthetical parts and name stems (``来氟米特片`` also matches ``来氟米特``)."""

    latin_boundary: bool = True
    """Reject matches that start or end inside a run of Latin letters/digits (``CT`` in ``CTA``)."""

    labels: tuple[str, ...] | None = None
    """KG labels to include; ``None`` means all labels of the records."""

    type_priority: tuple[str, ...] = ("Disease", "Symptom", "Drug", "Check", "Producer", "Department", "Food")
    """When one span names concepts of several labels, ``segment`` reports the first in this order."""
