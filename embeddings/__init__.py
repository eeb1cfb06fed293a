"""medkg embeddings: KGE training on labelled triples (a pure library; never imports graph or neo4j).

TransE (default), TransH and TransR are built in; any other pykeen model can be named. The entry
function is :func:`train_embeddings`; it returns an :class:`EmbeddingResult`. Names that need torch
are imported on first use, so ``import embeddings`` (and the CLI's help) stays fast.

Example:
    >>> from embeddings import KGEConfig
    >>> KGEConfig(model="TransR", dim=50).model_key
    'transr'
"""

from __future__ import annotations

import importlib
from typing import Any

from embeddings.config import EarlyStoppingConfig, EvaluationConfig, KGEConfig, SplitConfig
from embeddings.registry import BUILTIN_MODELS, ModelSpec, UnknownModelError, resolve_model

__all__ = [
    "BUILTIN_MODELS",
    "EarlyStoppingConfig",
    "EmbeddingResult",
    "EmptyTriplesError",
    "EntityConstraint",
    "EvaluationConfig",
    "EvaluationReport",
    "Evidence",
    "KGEConfig",
    "ModelSpec",
    "SplitConfig",
    "UnknownModelError",
    "fold_in",
    "resolve_model",
    "train_embeddings",
]

_LAZY = {
    "EmbeddingResult": "embeddings.result",
    "EmptyTriplesError": "embeddings.triples",
    "EntityConstraint": "embeddings.foldin",
    "EvaluationReport": "embeddings.evaluation",
    "Evidence": "embeddings.foldin",
    "fold_in": "embeddings.foldin",
    "train_embeddings": "embeddings.train",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'embeddings' has no attribute {name!r}")
