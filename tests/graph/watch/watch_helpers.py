"""Ad-hoc reads for the watcher tests (the application itself only runs cypher/ files).

A module of its own rather than ``conftest``: several test folders have a ``conftest.py``, and
``from conftest import ...`` finds whichever was imported first.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from graph.db.connection import GraphClient


class NoConfig(BaseModel):
    """The config of a test plugin without settings."""

    model_config = ConfigDict(extra="forbid")

#: The model-free built-in plugins the watcher tests store and enable.
DEFAULT_PLUGINS = ("gazetteer-ner", "kg-linker", "cooccurrence-relations")


def one(client: GraphClient, cypher: str, **params: object) -> object:
    """The single value of an ad-hoc read (tests only; the application reads cypher/ files)."""
    with client.session() as session:
        return session.run(cypher, params).single(strict=True)[0]


def rows(client: GraphClient, cypher: str, **params: object) -> list[dict]:
    """All rows of an ad-hoc read (tests only)."""
    with client.session() as session:
        return [r.data() for r in session.run(cypher, params)]
