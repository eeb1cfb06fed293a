"""What the built-in plugins share: settings held as a closed pydantic model, no artifact by default."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

__all__ = ["ConfiguredPlugin"]

C = TypeVar("C", bound=BaseModel)


class ConfiguredPlugin(Generic[C]):
    """A plugin whose settings are ``self.settings`` (an instance of its ``Config``, the type parameter ``C``).

    Subclasses (``class KGLinker(ConfiguredPlugin[KGLinkerConfig])``) set ``name``, ``version``, ``kind`` and
    ``Config``, and override :meth:`artifact_sha256` when they load a file whose change must change their identity.
    """

    Config: ClassVar[type[BaseModel]]
    settings: C

    @property
    def config(self) -> dict[str, Any]:
        """The resolved settings (stored on the ``(:Extractor)`` node)."""
        return self.settings.model_dump(mode="json")

    @classmethod
    def artifact_sha256(cls, config: C) -> str | None:
        """No artifact: the plugin's behaviour is its code, its config and the live KG."""
        return None
