"""Connecting to Neo4j: which server, and a small client that runs the project's Cypher files.

Resolution order (DESIGN.md):

1. ``NEO4J_URI`` set (with ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``): that server.
   ``neo4j://`` and ``neo4j+s://`` routing URIs work unchanged (clusters, Aura).
2. Otherwise the embedded default (:class:`graph.db.server.LocalNeo4j`), started on demand.

Example:
    >>> from graph.db.connection import GraphClient
    >>> with GraphClient.from_environment() as client:  # doctest: +SKIP
    ...     client.apply_schema()
    ...     client.read("analyst/count_labels")
"""

from __future__ import annotations

import getpass
import itertools
import logging
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import neo4j
from neo4j import GraphDatabase, ManagedTransaction, unit_of_work

from graph.db.config import MedkgSettings, Neo4jTarget
from graph.db.queries import query, statements

__all__ = ["ConnectionInfo", "GraphClient", "QuietRows", "WriteTotals", "chunks", "resolve_connection"]

log = logging.getLogger(__name__)

SCHEMA_FILES = ("schema/constraints", "schema/indexes")


@dataclass(frozen=True)
class ConnectionInfo:
    """Where to connect; the password is kept out of ``repr``."""

    uri: str
    username: str
    password: str = field(repr=False)
    database: str | None = None
    embedded: bool = False

    def describe(self) -> dict[str, Any]:
        """JSON-friendly description without the secret."""
        return {"uri": self.uri, "username": self.username, "database": self.database,
                "embedded": self.embedded}


def resolve_connection(settings: MedkgSettings | None = None, *, start: bool = True) -> ConnectionInfo:
    """Pick the server as DESIGN.md says: ``NEO4J_URI`` if set, else the embedded default.

    Args:
        settings: medkg settings; read from the environment when omitted.
        start: start the embedded server if it is not running (ignored for ``NEO4J_URI``).

    Raises:
        ValueError: ``NEO4J_URI`` is set but ``NEO4J_PASSWORD`` is not.
    """
    target = Neo4jTarget()
    if target.uri:
        if target.password is None:
            raise ValueError("NEO4J_URI is set but NEO4J_PASSWORD is not; set both (or neither)")
        return ConnectionInfo(target.uri, target.username, target.password.get_secret_value(),
                              target.database, embedded=False)
    from graph.db.server import LocalNeo4j  # the embedded server is only needed on this path

    local = LocalNeo4j.from_settings(settings or MedkgSettings())
    if start:
        local.start()
    user, password = local.auth
    return ConnectionInfo(local.uri, user, password, None, embedded=True)


@dataclass
class WriteTotals:
    """Summed counters of a series of write transactions."""

    batches: int = 0
    rows: int = 0
    nodes_created: int = 0
    nodes_deleted: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    properties_set: int = 0
    labels_added: int = 0

    def add(self, counters: neo4j.SummaryCounters, rows: int) -> None:
        """Add one statement's counters."""
        for name in _COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(counters, name))
        self.rows += rows

    def merge(self, other: WriteTotals, rows: int) -> None:
        """Add one committed batch's totals."""
        for name in _COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.batches += 1
        self.rows += rows


_COUNTERS = ("nodes_created", "nodes_deleted", "relationships_created", "relationships_deleted",
             "properties_set", "labels_added")


class QuietRows(list[Any]):
    """A batch of rows whose ``repr`` is short.

    The driver formats every RUN message's parameters for a debug log line whether or not debug
    logging is on; for large batches that ``repr`` can cost more than the write itself.
    """

    def __repr__(self) -> str:
        return f"<{len(self)} rows>"


def chunks(rows: Iterable[Any], size: int) -> Iterator[QuietRows]:
    """``rows`` in consecutive batches of ``size`` (the last may be shorter)."""
    iterator = iter(rows)
    while batch := QuietRows(itertools.islice(iterator, size)):
        yield batch


class GraphClient:
    """A driver plus the database name, running statements from ``cypher/`` files.

    Constructing a client does not touch the server; the first query does.

    Example:
        >>> client = GraphClient("bolt://127.0.0.1:7687", ("neo4j", "secret"))  # doctest: +SKIP
        >>> client.read("analyst/count_labels")  # doctest: +SKIP
    """

    def __init__(self, uri: str, auth: tuple[str, str], database: str | None = None,
                 *, application: str = "medkg") -> None:
        self.uri = uri
        self.database = database
        self.application = application
        self._driver = GraphDatabase.driver(uri, auth=auth, user_agent=f"{application}/0.1")

    @classmethod
    def from_info(cls, info: ConnectionInfo) -> GraphClient:
        """A client for a resolved connection."""
        return cls(info.uri, (info.username, info.password), info.database)

    @classmethod
    def from_environment(cls, settings: MedkgSettings | None = None, *, start: bool = True) -> GraphClient:
        """A client for the server :func:`resolve_connection` picks."""
        return cls.from_info(resolve_connection(settings, start=start))

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the driver and its connections."""
        self._driver.close()

    @property
    def driver(self) -> neo4j.Driver:
        """The underlying driver, for callers that need sessions of their own."""
        return self._driver

    def session(self, **kwargs: Any) -> neo4j.Session:
        """A session on this client's database."""
        return self._driver.session(database=self.database, **kwargs)

    def verify(self) -> None:
        """Raise if the server cannot be reached or refuses the credentials."""
        self._driver.verify_connectivity()

    def metadata(self, operation: str, **extra: Any) -> dict[str, Any]:
        """Transaction metadata so the server's query log says who wrote what."""
        return {"app": self.application, "operation": operation, "user": _os_user(),
                "host": socket.gethostname(), **extra}

    def read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run one read-only Cypher file in a read transaction and return its rows."""
        text = query(name)

        @unit_of_work(metadata=self.metadata(name))
        def work(tx: ManagedTransaction) -> list[dict[str, Any]]:
            return [record.data() for record in tx.run(text, params)]

        with self.session(default_access_mode=neo4j.READ_ACCESS) as session:
            return session.execute_read(work)

    def write(self, name: str, **params: Any) -> tuple[list[dict[str, Any]], neo4j.SummaryCounters]:
        """Run one Cypher file in a managed write transaction; returns rows and counters."""
        text = query(name)

        @unit_of_work(metadata=self.metadata(name))
        def work(tx: ManagedTransaction) -> tuple[list[dict[str, Any]], neo4j.SummaryCounters]:
            result = tx.run(text, params)
            rows = [record.data() for record in result]
            return rows, result.consume().counters

        with self.session() as session:
            return session.execute_write(work)

    def write_batches(self, name: str, rows: Iterable[dict[str, Any]], *, batch_size: int,
                      params: dict[str, Any] | None = None,
                      on_batch: Callable[[int], None] | None = None,
                      specialise: Callable[[str, dict[str, Any]], str] | None = None) -> WriteTotals:
        """Send ``rows`` as ``$rows`` in fixed-size batches, one managed write transaction each.

        The driver may retry a transaction function, so every statement used here must be a MERGE
        on a uniquely constrained key. A batch that fails leaves the graph as before that batch;
        earlier batches stay committed.

        Args:
            name: the Cypher file.
            rows: the rows; with ``specialise``, keep rows that share a statement together.
            batch_size: rows per transaction.
            params: further parameters of the statement.
            on_batch: called with the number of rows after each committed batch.
            specialise: ``specialise(text, row)`` gives the statement for one row (e.g. the file's
                text with a dynamic type replaced by an allow-listed static one); consecutive rows
                with the same statement go in one ``run`` inside the batch's transaction.
        """
        text = query(name)
        totals = WriteTotals()
        extra = params or {}

        def groups(batch: list[dict[str, Any]]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
            if specialise is None:
                yield text, batch
                return
            for statement, group in itertools.groupby(batch, key=lambda row: specialise(text, row)):
                yield statement, QuietRows(group)

        with self.session() as session:
            for number, batch in enumerate(chunks(rows, batch_size)):
                @unit_of_work(metadata=self.metadata(name, batch=number))
                def work(tx: ManagedTransaction, batch: list[dict[str, Any]] = batch) -> WriteTotals:
                    counted = WriteTotals()
                    for statement, group in groups(batch):
                        counted.add(tx.run(statement, {**extra, "rows": group}).consume().counters, 0)
                    return counted

                totals.merge(session.execute_write(work), len(batch))
                if on_batch is not None:
                    on_batch(len(batch))
        return totals

    def run(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run every statement of a Cypher file, each in its own auto-commit transaction.

        Only for statements that cannot run inside a managed transaction: schema commands and
        ``CALL { ... } IN TRANSACTIONS``. Everything else goes through :meth:`read`/:meth:`write`.

        Returns:
            The rows of the last statement.
        """
        rows: list[dict[str, Any]] = []
        with self.session() as session:
            for text in statements(name):
                result = session.run(neo4j.Query(text, metadata=self.metadata(name)), params)
                rows = [record.data() for record in result]
        return rows

    def apply_schema(self) -> list[str]:
        """Create every constraint and index in ``cypher/schema`` (idempotent) and wait for them.

        Returns:
            The statements that were run.
        """
        for name in SCHEMA_FILES:
            self.run(name)
        self.run("internal/await_indexes", seconds=300)
        return [text for name in SCHEMA_FILES for text in statements(name)]


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")
