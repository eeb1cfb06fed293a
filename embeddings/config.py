"""Closed, typed configuration of KGE training (:class:`KGEConfig`).

Every field has a docstring; unknown keys are rejected. The model name is checked for shape here
(an identifier) and resolved against the model registry when training starts
(:func:`embeddings.registry.resolve_model`), so building a config never imports torch.

Example:
    >>> config = KGEConfig(model="TransE", dim=100, epochs=50, seed=7)
    >>> config.model_key
    'transe'
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from core.config import FrozenConfig

__all__ = ["EarlyStoppingConfig", "EvaluationConfig", "KGEConfig", "SplitConfig"]

_MODEL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")


class SplitConfig(FrozenConfig):
    """How the triples are split into training, validation and test sets.

    The split is pykeen's coverage splitter: every entity and relation of the graph occurs in the
    training set, so held-out triples never name an entity the model has not seen.
    """

    validation: float = Field(default=0.1, ge=0.0, lt=0.5)
    """Share of triples held out for early stopping."""

    test: float = Field(default=0.1, ge=0.0, lt=0.5)
    """Share of triples held out for the final evaluation (0 turns the evaluation off)."""

    min_triples: int = Field(default=20, ge=2)
    """Below this many triples nothing is held out: all triples train, no evaluation, no early stop."""

    @model_validator(mode="after")
    def _leaves_training(self) -> SplitConfig:
        if self.validation + self.test >= 0.9:
            raise ValueError("validation + test must leave at least 10% of the triples for training")
        return self


class EarlyStoppingConfig(FrozenConfig):
    """Early stopping on the validation split (filtered MRR, both sides)."""

    enabled: bool = True
    """Stop when the validation MRR stops improving; off: train for ``epochs``."""

    frequency: int = Field(default=10, ge=1)
    """Evaluate on the validation triples every this many epochs."""

    patience: int = Field(default=2, ge=1)
    """Stop after this many evaluations without improvement; the best weights are restored."""

    relative_delta: float = Field(default=0.002, ge=0.0, lt=1.0)
    """Smallest relative MRR gain that counts as an improvement."""

    max_triples: int = Field(default=2000, ge=1)
    """At most this many validation triples per check (a seeded sample), to keep checks cheap."""


class EvaluationConfig(FrozenConfig):
    """The final ranking evaluation on the test split."""

    enabled: bool = True
    """Evaluate on the test triples (filtered MRR, Hits@1/3/10) against the popularity baseline."""

    max_triples: int | None = Field(default=None, ge=1)
    """Evaluate at most this many test triples (a seeded sample); ``None``: all of them."""

    memory_mb: int = Field(default=256, ge=16)
    """Working memory per scoring batch of the generic (non-translation) scorer."""


class KGEConfig(FrozenConfig):
    """Everything that decides a KGE training run.

    With the same triples, the same config gives the same vectors and metrics on the same machine.
    """

    model: str = "TransE"
    """KGE model: ``TransE`` (default), ``TransH``, ``TransR``, or any other pykeen model name."""

    dim: int = Field(default=100, ge=1, le=4096)
    """Entity embedding dimension (TransR's relation space has the same dimension)."""

    epochs: int = Field(default=100, ge=1, le=100_000)
    """Most epochs to train (early stopping may end sooner)."""

    learning_rate: float = Field(default=0.002, gt=0.0, le=10.0)
    """Adam learning rate."""

    negatives_per_positive: int = Field(default=4, ge=1, le=1000)
    """Corrupted triples drawn per training triple (sLCWA)."""

    negative_sampler: Literal["basic", "bernoulli"] = "bernoulli"
    """``basic``: corrupt head or tail uniformly; ``bernoulli``: per relation, corrupt the side with
    more candidates less often (the TransH paper's sampler, fewer false negatives on 1-N relations)."""

    batch_size: int = Field(default=1024, ge=1)
    """Training triples per optimiser step."""

    sparse: bool = False
    """Sparse entity-embedding gradients and lazy Adam (:mod:`embeddings.optim`): each step moves only
    the entities its batch used. Off: pykeen's dense gradients and Adam, whose every step covers the
    whole entity table; fine on xywy (25k entities), 10x slower per epoch on the merged KG (109k)."""

    loss: Literal["margin", "nssa"] = "nssa"
    """``nssa``: self-adversarial negative sampling loss (RotatE paper), whose margin is the score
    threshold ``gamma``; ``margin``: pairwise margin ranking loss (the TransE paper's). On the xywy KG
    (TransE, dim 100, 20-30 epochs) ``margin`` stayed below the popularity baseline (test MRR 0.036-0.045
    against 0.079) where ``nssa`` with margin 9, the Bernoulli sampler and lr 0.002 reached 0.109."""

    margin: float | None = Field(default=None, gt=0.0)
    """Margin of the loss (``margin``: between positive and negative scores; ``nssa``: gamma);
    ``None``: ``0.9 * sqrt(dim)``, the scale of the built-ins' L1 distances (9 at dim 100)."""

    model_kwargs: dict[str, int | float | bool | str] = {}
    """Further constructor arguments of the pykeen model (e.g. ``{"scoring_fct_norm": 2}``);
    ``embedding_dim`` (and TransR's ``relation_dim``) come from ``dim``."""

    seed: int = Field(default=42, ge=0, lt=2**32)
    """Seed of the split, the initialisation, the negative sampler and the batch order."""

    threads: int = Field(default=1, ge=1, le=256)
    """Torch intra-op threads. 1 by default: on the shared 2-core machines two OpenMP threads made a
    TransE epoch on the xywy KG 19x slower (38.6 s against 2.0 s) while other jobs ran. Results do not
    depend on it in the runs measured, but only the same thread count is promised to reproduce them."""

    split: SplitConfig = SplitConfig()
    """Training/validation/test split."""

    early_stopping: EarlyStoppingConfig = EarlyStoppingConfig()
    """Early stopping on the validation split."""

    evaluation: EvaluationConfig = EvaluationConfig()
    """Final evaluation on the test split."""

    @field_validator("model")
    @classmethod
    def _model_name(cls, value: str) -> str:
        if not _MODEL_NAME.match(value):
            raise ValueError(f"model name must be an identifier such as TransE, got {value!r}")
        return value

    @field_validator("model_kwargs")
    @classmethod
    def _no_dimension(cls, value: dict[str, int | float | bool | str]) -> dict[str, int | float | bool | str]:
        taken = {"embedding_dim", "relation_dim", "triples_factory", "loss", "loss_kwargs", "random_seed"} & set(value)
        if taken:
            raise ValueError(f"model_kwargs cannot set {sorted(taken)}: they come from other config fields")
        return value

    @property
    def model_key(self) -> str:
        """Lower-case model name, used in property names (``kge_<model_key>``)."""
        return self.model.lower()
