"""Registry of linking steps, by name, imported lazily.

Built-in steps: ``exact``, ``alias``, ``normalized``, ``fuzzy``, ``vector``. A step factory takes the
``ConceptIndex`` and the ``LinkerConfig`` and returns a :class:`~linker.steps.base.LinkStep`.

Example:
    >>> "fuzzy" in step_names()
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from core.registry import LazyRegistry

if TYPE_CHECKING:
    from linker.config import LinkerConfig
    from linker.index import ConceptIndex
    from linker.steps.base import LinkStep

__all__ = ["REGISTRY", "StepFactory", "get_step", "register_step", "step_names"]

StepFactory = Callable[["ConceptIndex", "LinkerConfig"], "LinkStep"]

# "module:class" references: listing a step here imports nothing until a config asks for it.
REGISTRY: LazyRegistry[StepFactory] = LazyRegistry("linker step", {
    "exact": "linker.steps.exact:ExactStep",
    "alias": "linker.steps.alias:AliasStep",
    "normalized": "linker.steps.normalized:NormalizedStep",
    "fuzzy": "linker.steps.fuzzy:FuzzyStep",
    "vector": "linker.steps.vector:VectorStep",
})
register_step = REGISTRY.register
step_names = REGISTRY.names
get_step = REGISTRY.get
