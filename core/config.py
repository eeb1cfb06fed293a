"""The closed pydantic base of every config class: unknown fields are errors, never ignored.

A config that is written once and only read afterwards (a linker or KGE config) derives from
:class:`FrozenConfig`, which also refuses assignment; one that training code fills in step by step
derives from :class:`ClosedConfig`.

Example:
    >>> class Demo(ClosedConfig):
    ...     size: int = 1
    >>> Demo(size=2).size
    2
    >>> Demo(sise=2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Demo
    ...
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["ClosedConfig", "FrozenConfig"]


class ClosedConfig(BaseModel):
    """A pydantic model that rejects unknown fields (a misspelt option fails instead of being dropped)."""

    model_config = ConfigDict(extra="forbid")


class FrozenConfig(ClosedConfig):
    """A :class:`ClosedConfig` whose instances are immutable (and hashable)."""

    model_config = ConfigDict(frozen=True)
