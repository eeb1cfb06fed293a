"""The test database's safety net, importable from any test folder (``tests/`` is on the path).

A module of its own rather than ``conftest`` (several folders have a ``conftest.py``, and ``from
conftest import ...`` finds whichever was imported first).
"""

from __future__ import annotations

from graph.db.connection import GraphClient


def wipe(client: GraphClient) -> None:
    """Empty the test database; refuses, deleting nothing, unless the medkg test sentinel is there."""
    if not client.read("internal/check_test_sentinel")[0]["sentinel"]:
        raise RuntimeError(f"{client.uri} is not a medkg test server (no sentinel); not wiping it")
    client.run("internal/wipe_test_database")
