"""The one way the browsing pages read the graph: a statement in a READ access-mode transaction.

Every page of the web application reads through :func:`read_rows`, so the server refuses a write even if a page's
statement were replaced by one (a read transaction on a Neo4j server cannot write). Unlike
:meth:`graph.db.connection.GraphClient.read` it does not retry a lost connection for half a minute: a page answers
at once, and a lost database is reported as :class:`GraphUnavailable` for the page to say so.

Example:
    >>> read_rows(client, "internal/web_record", id="emr-0001")  # doctest: +SKIP
    [{'id': 'emr-0001', 'text': '患者男，62岁，...', ...}]
"""

from __future__ import annotations

from typing import Any

import neo4j
from neo4j.exceptions import ServiceUnavailable, SessionExpired

from graph.db.connection import GraphClient
from graph.db.queries import query

__all__ = ["DEFAULT_TIMEOUT_S", "GraphUnavailable", "read_rows", "run_read"]

#: Seconds one page's statement may take on the server.
DEFAULT_TIMEOUT_S = 15.0


class GraphUnavailable(RuntimeError):
    """The database cannot be reached (stopped, restarting, the network down); the message says what the driver saw."""


def run_read(client: GraphClient, text: str, params: dict[str, Any], *, operation: str,
             timeout: float = DEFAULT_TIMEOUT_S) -> list[dict[str, Any]]:
    """The rows of ``text`` run in a READ access-mode transaction, which is then rolled back.

    Args:
        client: The graph.
        text: One Cypher statement (from a file in ``cypher/``; tests pass a write to see it refused).
        params: Its parameters: every value from a request reaches the server here, never in ``text``.
        operation: What runs it, for the transaction's metadata (the server's query log).
        timeout: Seconds the statement may run on the server.

    Raises:
        GraphUnavailable: The server cannot be reached.
        neo4j.exceptions.Neo4jError: The server refused the statement (a write in a read transaction gives
            ``Neo.ClientError.Statement.AccessMode``) or it failed.
    """
    try:
        with client.session(default_access_mode=neo4j.READ_ACCESS) as session, \
                session.begin_transaction(metadata=client.metadata(operation), timeout=timeout) as tx:
            rows = [record.data() for record in tx.run(text, params)]
            tx.rollback()  # a read: nothing to commit
    except (ServiceUnavailable, SessionExpired) as exc:
        raise GraphUnavailable(f"the database at {client.uri} cannot be reached: {exc}") from exc
    return rows


def read_rows(client: GraphClient, name: str, *, timeout: float = DEFAULT_TIMEOUT_S,
              **params: Any) -> list[dict[str, Any]]:
    """The rows of the Cypher file ``cypher/<name>.cypher``, read as :func:`run_read` reads.

    Raises:
        GraphUnavailable: The server cannot be reached.
        neo4j.exceptions.Neo4jError: The server refused the statement or it failed.
    """
    return run_read(client, query(name), params, operation=f"web:{name}", timeout=timeout)
