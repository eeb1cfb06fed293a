"""Ad-hoc reads and writes of the test graph, importable from any test folder (``tests/`` is on the path).

Tests only: the application itself runs the files under ``cypher/``. A module of its own rather than
``conftest`` (several folders have a ``conftest.py``, and ``from conftest import ...`` finds whichever was
imported first).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph.db.connection import GraphClient

__all__ = ["add_records", "one", "rows"]


def one(client: GraphClient, cypher: str, **params: object) -> object:
    """The single value of an ad-hoc read (exactly one row expected)."""
    with client.session() as session:
        return session.run(cypher, params).single(strict=True)[0]


def rows(client: GraphClient, cypher: str, **params: object) -> list[dict]:
    """All rows of an ad-hoc read, as dicts."""
    with client.session() as session:
        return [r.data() for r in session.run(cypher, params)]


def add_records(client: GraphClient, records: Mapping[str, Any]) -> None:
    """Create records the way an outside writer would: only id and text, by Cypher (any text, even a bad one)."""
    with client.session() as session:
        for rid, text in records.items():
            session.run("CREATE (:EMR {id: $id, text: $text})", id=rid, text=text).consume()
