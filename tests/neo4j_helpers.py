"""The test database's safety net, importable from any test folder (``tests/`` is on the path).

A module of its own rather than ``conftest`` (several folders have a ``conftest.py``, and ``from
conftest import ...`` finds whichever was imported first).
"""

from __future__ import annotations

import socket

import psutil
import pytest

from graph.db.connection import GraphClient

LOOPBACK = {"127.0.0.1", "::ffff:127.0.0.1"}


def wipe(client: GraphClient) -> None:
    """Empty the test database; refuses, deleting nothing, unless the medkg test sentinel is there."""
    if not client.read("internal/check_test_sentinel")[0]["sentinel"]:
        raise RuntimeError(f"{client.uri} is not a medkg test server (no sentinel); not wiping it")
    client.run("internal/wipe_test_database")


def assert_listens_on_loopback_only(pid: int, ports: set[int], *, exact: bool = True) -> None:
    """``pid`` listens on ``ports`` (exactly, or at least) on loopback only; other interfaces cannot reach them."""
    listening = [c for c in psutil.Process(pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    found = {c.laddr.port for c in listening}
    assert (found == ports) if exact else (ports <= found), listening
    assert {c.laddr.ip for c in listening} <= LOOPBACK, listening
    others = [a.address for addrs in psutil.net_if_addrs().values() for a in addrs
              if a.family == socket.AF_INET and not a.address.startswith("127.")]
    for address in others:
        for port in ports:
            with socket.socket() as sock, pytest.raises(OSError):
                sock.settimeout(2)
                sock.connect((address, port))
