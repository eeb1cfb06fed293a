"""The project's own linking evaluation set, built deterministically from a seed.

Sources of examples:

- ``kg_perturbed``: KG names with one realistic perturbation each (``linker.perturb``); the gold is the
  perturbed name's concept. Linked with the name's KG label as type.
- ``kg_nil``: names *held out of the index* (a fraction per label), perturbed; gold is NIL. Held-out
  names whose normalised form another concept shares are not held out, and NIL strings that an
  exact/alias/normalised lookup would still link (e.g. ``慢性X`` held out while ``X`` stays, which the
  modifier rules link to ``X`` by design) are dropped.
- ``ccks``: distinct CCKS 2019 *training* mentions (疾病和诊断, 药物, 实验室检验, 影像检查) whose text
  has an exact or normalised match in the index (``exact`` and ``normalized`` steps); gold is the
  best-scoring match(es). These measure normalisation, the type map and the step order.
- ``ccks_nil``: CCKS training anatomy and operation mentions; the type map makes them NIL.

Examples are split into ``dev`` (threshold calibration) and ``test`` by a seeded hash of their group
(gold concept, or mention text for NIL), so one concept never lands in both splits.

Example:
    >>> evalset = build_evalset(records, ccks_records, EvalSetConfig(seed=13))  # doctest: +SKIP
    >>> len(evalset.split("test"))  # doctest: +SKIP
"""

from __future__ import annotations

import random
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from core.config import FrozenConfig
from linker.config import LinkerConfig
from linker.linker import Linker
from linker.normalize import Normalizer
from linker.perturb import KINDS, perturb
from linker.records import ConceptRecord
from linker.sources import CcksRecord

__all__ = ["EvalExample", "EvalSet", "EvalSetConfig", "Source", "Split", "build_evalset"]

Source = Literal["kg_perturbed", "kg_nil", "ccks", "ccks_nil"]
Split = Literal["dev", "test"]

_CCKS_LINKABLE = ("疾病和诊断", "药物", "实验室检验", "影像检查")
_CCKS_NIL = ("解剖部位", "手术")


class EvalSetConfig(FrozenConfig):
    """How many examples of each kind to build, and the seed."""

    seed: int = 13
    """Seed of every random choice; the same seed and inputs give the same set."""

    per_label: dict[str, int] = {
        "Disease": 500, "Symptom": 400, "Check": 300, "Drug": 300, "Producer": 200, "Food": 200,
        "Department": 20,
    }
    """Perturbed in-KG examples per KG label."""

    kind_weights: dict[str, float] = {
        "homophone": 0.22, "near_form": 0.14, "drop": 0.14, "double": 0.1, "abbreviation": 0.1,
        "modifier": 0.1, "traditional": 0.12, "surface": 0.08,
    }
    """Relative frequency of each perturbation kind (a kind that does not apply is redrawn)."""

    heldout_fraction: float = Field(default=0.04, ge=0.0, lt=1.0)
    """Fraction of each label's names removed from the index to make NIL examples."""

    max_kg_nil: int = Field(default=600, ge=0)
    """Most NIL examples from held-out names."""

    max_ccks_nil: int = Field(default=400, ge=0)
    """Most NIL examples from CCKS anatomy and operation mentions."""

    dev_fraction: float = Field(default=0.5, gt=0.0, lt=1.0)
    """Share of groups assigned to the dev split."""


@dataclass(frozen=True, slots=True)
class EvalExample:
    """One mention with its gold concepts (empty for NIL).

    Attributes:
        mention: Text to link.
        type: Type passed to ``Linker.link`` (a KG label or a CCKS label).
        gold_ids: Acceptable concept ids; empty means the right answer is NIL.
        source: Where the example comes from.
        kind: Perturbation kind, or the CCKS label.
        split: ``dev`` or ``test``.
    """

    mention: str
    type: str | None
    gold_ids: tuple[str, ...]
    source: Source
    kind: str
    split: Split

    @property
    def is_nil(self) -> bool:
        """True when the gold answer is NIL."""
        return not self.gold_ids


@dataclass(frozen=True)
class EvalSet:
    """Index records (KG minus held-out names) and the examples to evaluate against them."""

    config: EvalSetConfig
    index_records: tuple[ConceptRecord, ...]
    heldout_ids: tuple[str, ...]
    examples: tuple[EvalExample, ...]

    def split(self, name: Split) -> list[EvalExample]:
        """Examples of one split."""
        return [e for e in self.examples if e.split == name]

    def counts(self) -> dict[str, int]:
        """Number of examples per ``source/split``."""
        return dict(sorted(Counter(f"{e.source}/{e.split}" for e in self.examples).items()))


def _split_of(group: str, config: EvalSetConfig) -> Split:
    bucket = zlib.crc32(f"{config.seed}|{group}".encode()) % 10_000
    return "dev" if bucket < config.dev_fraction * 10_000 else "test"


def _choose_heldout(
    records: Sequence[ConceptRecord], norm: Normalizer, config: EvalSetConfig, rng: random.Random
) -> set[str]:
    key_count = Counter(norm.normalize(r.name) for r in records)
    by_label: dict[str, list[ConceptRecord]] = defaultdict(list)
    for rec in records:
        # A name that shares its normalised form with another concept would still be linkable.
        if rec.type in config.per_label and key_count[norm.normalize(rec.name)] == 1:
            by_label[rec.type].append(rec)
    held: set[str] = set()
    for label in sorted(by_label):
        pool = by_label[label]
        held.update(r.id for r in rng.sample(pool, int(len(pool) * config.heldout_fraction)))
    return held


def _kind_order(rng: random.Random, config: EvalSetConfig) -> list[str]:
    """All kinds in a weighted random order (the first applicable one is used)."""
    kinds = [k for k in config.kind_weights if k in KINDS and config.kind_weights[k] > 0]
    weights = [config.kind_weights[k] for k in kinds]
    order: list[str] = []
    while kinds:
        i = rng.choices(range(len(kinds)), weights=weights)[0]
        order.append(kinds.pop(i))
        weights.pop(i)
    return order


def _perturbed_examples(
    index_records: Sequence[ConceptRecord], probe: Linker, config: EvalSetConfig, rng: random.Random
) -> list[EvalExample]:
    norm = probe.index.normalizer
    by_key: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_label: dict[str, list[ConceptRecord]] = defaultdict(list)
    for rec in index_records:
        by_key[(rec.type, norm.normalize(rec.name))].append(rec.id)
        by_label[rec.type].append(rec)
    out: list[EvalExample] = []
    seen: set[tuple[str, str]] = set()
    for label in sorted(config.per_label):
        pool = list(by_label.get(label, []))
        rng.shuffle(pool)
        made = 0
        for rec in pool:
            if made >= config.per_label[label]:
                break
            gold = tuple(sorted(by_key[(label, norm.normalize(rec.name))]))
            for kind in _kind_order(rng, config):
                text = perturb(rec.name, kind, rng, label)
                if text is None or (text, label) in seen:
                    continue
                hit = probe.link(text, label).best
                # A perturbation that spells another concept's name is not a misspelling of this one.
                if hit is not None and hit.concept_id not in gold:
                    continue
                seen.add((text, label))
                out.append(EvalExample(text, label, gold, "kg_perturbed", kind, _split_of(rec.id, config)))
                made += 1
                break
    return out


def _nil_examples(
    heldout: Sequence[ConceptRecord], probe: Linker, config: EvalSetConfig, rng: random.Random
) -> list[EvalExample]:
    out: list[EvalExample] = []
    for rec in heldout:
        if len(out) >= config.max_kg_nil:
            break
        text, kind = rec.name, "unperturbed"
        for candidate_kind in _kind_order(rng, config):
            perturbed = perturb(rec.name, candidate_kind, rng, rec.type)
            if perturbed is not None:
                text, kind = perturbed, candidate_kind
                break
        if probe.link(text, rec.type).best is not None:
            continue
        out.append(EvalExample(text, rec.type, (), "kg_nil", kind, _split_of(f"nil|{text}", config)))
    return out


def _ccks_examples(
    ccks: Iterable[CcksRecord], probe: Linker, config: EvalSetConfig, rng: random.Random
) -> list[EvalExample]:
    mentions = sorted({(e.text, e.label) for r in ccks for e in r.entities if e.text.strip()})
    out: list[EvalExample] = []
    for text, label in mentions:
        if label not in _CCKS_LINKABLE:
            continue
        result = probe.link(text, label, k=50)
        if result.best is None:
            continue
        top = result.best.score
        gold = tuple(sorted(c.concept_id for c in result.candidates if c.score == top))
        out.append(EvalExample(text, label, gold, "ccks", label, _split_of(f"ccks|{text}", config)))
    nil_pool = [(t, lab) for t, lab in mentions if lab in _CCKS_NIL]
    for text, label in rng.sample(nil_pool, min(config.max_ccks_nil, len(nil_pool))):
        out.append(EvalExample(text, label, (), "ccks_nil", label, _split_of(f"ccks|{text}", config)))
    return out


def build_evalset(
    records: Iterable[ConceptRecord], ccks: Iterable[CcksRecord] = (), config: EvalSetConfig | None = None
) -> EvalSet:
    """Build the evaluation set.

    Args:
        records: The full KG vocabulary.
        ccks: CCKS 2019 *training* records (optional; without them only KG examples are built).
        config: Sizes and seed.

    Returns:
        The index records (KG minus held-out names), held-out ids and dev/test examples.
    """
    config = config or EvalSetConfig()
    rng = random.Random(config.seed)
    recs = sorted(records, key=lambda r: r.id)
    norm = Normalizer()
    held = _choose_heldout(recs, norm, config, rng)
    index_records = tuple(r for r in recs if r.id not in held)
    heldout = [r for r in recs if r.id in held]
    rng.shuffle(heldout)
    # Lookup-only linker: what exact/alias/normalised matching alone would decide.
    probe = Linker(index_records, LinkerConfig(steps=("exact", "alias", "normalized"), nil_threshold=0.0))
    ccks_probe = probe.with_config(steps=("exact", "normalized"))
    examples = _perturbed_examples(index_records, probe, config, rng)
    examples += _nil_examples(heldout, probe, config, rng)
    examples += _ccks_examples(ccks, ccks_probe, config, rng)
    return EvalSet(config, index_records, tuple(sorted(held)), tuple(examples))
