"""The KGE model registry: built-ins listed lazily, any other pykeen model resolved by name.

The built-ins are a :class:`core.registry.LazyRegistry` of ``"module:class"`` references (:data:`MODELS`),
so importing this module (or the CLI) never imports torch or pykeen; the class is imported when a
model is made. A name that is not a built-in is looked up with pykeen's own model resolver (case- and
suffix-insensitive: ``distmult``, ``DistMult``). A model's ``key`` names its vectors in the graph
(``graph.kge.store.property_name``).

Example:
    >>> spec = resolve_model("transh")
    >>> spec.name, spec.key, spec.family
    ('TransH', 'transh', 'transh')
    >>> MODELS.builtin["transe"]
    'pykeen.models:TransE'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from core.registry import LazyRegistry, load_reference

__all__ = [
    "BUILTIN_MODELS",
    "MODELS",
    "Family",
    "ModelSpec",
    "UnknownModelError",
    "resolve_model",
]

#: Translation families whose scores have the linear form ``-||c(h A_r) + r - c(t A_r)||_p``; the
#: fast evaluator and the fold-in of new nodes are defined for them (see ``embeddings.scoring``).
Family = Literal["transe", "transh", "transr"]

#: key -> (name, module, class, family). Listed, not imported. TransH and TransR are pykeen's, with
#: the fixes of ``embeddings.models`` (TransH: normal and translation in the interaction's order;
#: TransR: batch scoring grouped by relation, same scores, ~10x faster).
BUILTIN_MODELS: dict[str, tuple[str, str, str, Family]] = {
    "transe": ("TransE", "pykeen.models", "TransE", "transe"),
    "transh": ("TransH", "embeddings.models", "PaperTransH", "transh"),
    "transr": ("TransR", "embeddings.models", "GroupedTransR", "transr"),
}

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class UnknownModelError(ValueError):
    """A model name that is neither a built-in nor a pykeen model."""


#: The built-in model classes by key, imported on first use.
MODELS: LazyRegistry[type] = LazyRegistry(
    "KGE model", {key: f"{module}:{cls}" for key, (_, module, cls, _) in BUILTIN_MODELS.items()},
    error=UnknownModelError)


@dataclass(frozen=True)
class ModelSpec:
    """A resolved KGE model: its canonical name, key, class location and family."""

    name: str
    """pykeen's class name, e.g. ``TransE``."""
    key: str
    """Lower-case identifier, e.g. ``transe`` (the graph names the model's vectors ``kge_<key>``)."""
    module: str
    """Module that holds the class."""
    cls_name: str
    """Class name inside ``module``."""
    family: Family | None
    """Translation family (fast scoring, fold-in), or ``None`` for other models."""

    @property
    def builtin(self) -> bool:
        """Whether the model is one of :data:`BUILTIN_MODELS`."""
        return self.key in MODELS.builtin

    def load(self) -> type:
        """Import and return the model class."""
        return MODELS.get(self.key) if self.builtin else load_reference(f"{self.module}:{self.cls_name}")

    def model_kwargs(self, dim: int) -> dict[str, Any]:
        """Constructor arguments: the dimension, and the built-ins' scale defaults.

        All three built-ins score with the L1 distance of vectors of about unit L2 size, TransE's
        regime (pykeen's TransH scores with L2 of tiny Xavier-normal vectors, and TransR clamps
        L1 norms to 1): on the xywy KG those defaults stayed at test MRR 0.02-0.04, under the
        popularity baseline (0.079), where these reached 0.081 (TransH) and 0.088 (TransR) in 20
        epochs. TransR's L1 bound ``sqrt(dim)`` is the L1 ball around the unit L2 ball.
        """
        if self.family == "transr":
            return {"embedding_dim": dim, "relation_dim": dim, "max_projection_norm": float(dim) ** 0.5}
        if self.family == "transh":
            return {"embedding_dim": dim, "scoring_fct_norm": 1, "entity_initializer": "xavier_uniform_norm"}
        return {"embedding_dim": dim}


def resolve_model(name: str) -> ModelSpec:
    """Resolve a model name to a :class:`ModelSpec`.

    Built-ins resolve without importing anything; other names import pykeen's model resolver.

    Raises:
        UnknownModelError: the name is not a built-in and pykeen knows no such model.
    """
    key = name.strip().lower()
    if key in MODELS.builtin:
        canonical, module, cls_name, family = BUILTIN_MODELS[key]
        return ModelSpec(canonical, key, module, cls_name, family)
    if not _IDENTIFIER.match(key):
        raise UnknownModelError(f"not a model name: {name!r}")
    from pykeen.models import model_resolver  # the heavy import, only for non-built-ins

    try:
        cls = model_resolver.lookup(key)
    except (KeyError, ValueError) as exc:
        raise UnknownModelError(
            f"unknown KGE model {name!r}; built-ins: {', '.join(v[0] for v in BUILTIN_MODELS.values())}, "
            "or any pykeen model name (pykeen.models.model_resolver)") from exc
    canonical = cls.__name__.lower()
    if not _IDENTIFIER.match(canonical):
        raise UnknownModelError(f"model {cls.__name__!r} has no name usable as a property suffix")
    if canonical in MODELS.builtin:
        return resolve_model(canonical)
    return ModelSpec(cls.__name__, canonical, cls.__module__, cls.__name__, None)

