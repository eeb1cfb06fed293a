"""One processed sample graph for the web tests of a module (they only read it), with a viewer and a curator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from analyst_helpers import build_processed_graph, watch_once
from graph_helpers import add_records
from neo4j_helpers import wipe
from web_helpers import HOSTILE, PASSWORDS

from app.users import add_user
from graph.db.connection import ConnectionInfo, GraphClient


@pytest.fixture(scope="module")
def web_graph(neo4j_info: ConnectionInfo) -> Iterator[GraphClient]:
    """The sample KG and records through one watcher cycle, a hostile record, users ``vera`` (viewer) and ``carl``."""
    with GraphClient.from_info(neo4j_info) as client:
        wipe(client)
        build_processed_graph(client)
        add_records(client, {"hostile-1": HOSTILE})
        assert watch_once(client) == 1
        add_user(client, "vera", "viewer", PASSWORDS["vera"])
        add_user(client, "carl", "curator", PASSWORDS["carl"])
        yield client
