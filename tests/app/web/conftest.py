"""One processed sample graph for the web tests of a module (they only read it), and a users file of the module's
own (``MEDKG_WEB_USERS``) with a viewer and a curator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from analyst_helpers import build_processed_graph, watch_once
from graph_helpers import add_records
from neo4j_helpers import wipe
from web_helpers import HOSTILE, PASSWORDS

from app.users import UserStore, add_user
from graph.db.connection import ConnectionInfo, GraphClient


@pytest.fixture(scope="module")
def user_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UserStore]:
    """The module's users file, named by ``MEDKG_WEB_USERS`` while the module runs: ``vera`` (viewer), ``carl``."""
    store = UserStore(tmp_path_factory.mktemp("web-users") / "web" / "users.json")
    add_user(store, "vera", "viewer", PASSWORDS["vera"])
    add_user(store, "carl", "curator", PASSWORDS["carl"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDKG_WEB_USERS", str(store.path))
        yield store


@pytest.fixture(scope="module")
def web_graph(neo4j_info: ConnectionInfo, user_store: UserStore) -> Iterator[GraphClient]:
    """The sample KG and records through one watcher cycle and a hostile record; the users of ``user_store``."""
    with GraphClient.from_info(neo4j_info) as client:
        wipe(client)
        build_processed_graph(client)
        add_records(client, {"hostile-1": HOSTILE})
        assert watch_once(client) == 1
        yield client
