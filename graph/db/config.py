"""Settings read from the environment.

The Neo4j address and credentials use Neo4j's own variable names (``NEO4J_URI``, ``NEO4J_USERNAME``,
``NEO4J_PASSWORD``, ``NEO4J_DATABASE``); everything medkg-specific starts with ``MEDKG_``.

Example:
    >>> from graph.db.config import MedkgSettings
    >>> settings = MedkgSettings()
    >>> settings.neo4j_data_dir.name
    'data'
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.paths import checkout_data_dir

__all__ = ["MedkgSettings", "Neo4jTarget", "default_home"]


def default_home() -> Path:
    """Where medkg keeps local state when ``MEDKG_HOME`` is not set."""
    return Path(platformdirs.user_data_dir("medkg", appauthor=False))


class MedkgSettings(BaseSettings):
    """Local medkg settings (``MEDKG_*`` variables)."""

    model_config = SettingsConfigDict(env_prefix="MEDKG_", extra="forbid")

    home: Path = Field(default_factory=default_home)
    """Local state: embedded Neo4j data, password file, trained models, caches."""

    data_dir: Path = Field(default_factory=checkout_data_dir)
    """Third-party research data (CCKS 2019, the xywy KG); read by path, never copied.

    ``MEDKG_DATA_DIR``, else ``../shared/data`` beside the checkout: the rule of
    :func:`core.paths.default_data_dir`, which the readers use."""

    neo4j_dir: Path | None = None
    """Folder of the embedded Neo4j (data, logs, password file); default ``<home>/neo4j``."""

    neo4j_port: int = Field(default=7687, ge=1, le=65535)
    """Bolt port of the embedded Neo4j (it always listens on 127.0.0.1)."""

    neo4j_http_port: int = Field(default=7474, ge=1, le=65535)
    """HTTP port of Neo4j Browser when the embedded Neo4j starts with ``--browser`` (127.0.0.1 only)."""

    neo4j_heap: str = "1g"
    """Java heap of the embedded Neo4j (``-Xmx``); keep it at 1g or below on small machines."""

    neo4j_pagecache: str = "512m"
    """Page cache of the embedded Neo4j (``server.memory.pagecache.size``)."""

    neo4j_tx_memory: str = "256m"
    """Most heap one transaction of the embedded Neo4j may use (``db.memory.transaction.max``): a heavy
    analyst query fails fast instead of taking the memory the watcher's writes need."""

    launcher_dir: Path | None = None
    """Where the Java launcher is built; default ``<home>/launcher``."""

    web_users: Path | None = None
    """The web application's users file (``medkg users``, ``medkg serve``); default ``<home>/web/users.json``.
    Never in the graph: whoever may read the graph must not read the password hashes."""

    @field_validator("neo4j_heap", "neo4j_pagecache", "neo4j_tx_memory")
    @classmethod
    def _memory_size(cls, value: str) -> str:
        text = value.strip().lower()
        if not text[:-1].isdigit() or text[-1] not in "kmg":
            raise ValueError(f"memory size must look like 512m or 1g, got {value!r}")
        return text

    @property
    def neo4j_home(self) -> Path:
        """Folder of the embedded Neo4j server."""
        return self.neo4j_dir or self.home / "neo4j"

    @property
    def neo4j_data_dir(self) -> Path:
        """The embedded server's database files."""
        return self.neo4j_home / "data"

    @property
    def launcher_build_dir(self) -> Path:
        """Where the Java launcher is built."""
        return self.launcher_dir or self.home / "launcher"

    @property
    def web_users_file(self) -> Path:
        """The web application's users file."""
        return self.web_users or self.home / "web" / "users.json"


class Neo4jTarget(BaseSettings):
    """An external Neo4j named by ``NEO4J_URI`` and friends (Neo4j's own variable names)."""

    model_config = SettingsConfigDict(env_prefix="NEO4J_", extra="ignore")

    uri: str | None = None
    """``bolt://``, ``bolt+s://``, ``neo4j://`` (routing: clusters, Aura) or ``neo4j+s://``."""

    username: str = "neo4j"
    """User name."""

    password: SecretStr | None = None
    """Password; never logged."""

    database: str | None = None
    """Database name; the server's default database when unset."""
