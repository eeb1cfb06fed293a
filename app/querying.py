"""The analysts' queries as ``medkg query`` runs them: the library's listing, a library query or an ad-hoc statement.

Both kinds of query run in a read transaction (:mod:`graph.analyst.library`). Parameters arrive as the command
line gives them, ``NAME=VALUE`` strings: a library query converts each to the type its file declares; an ad-hoc
statement declares none, so a value that is a JSON literal (``42``, ``true``, ``["a"]``) is taken as that
literal and any other as the string.

Example:
    >>> adhoc_value("42"), adhoc_value('["a"]'), adhoc_value("糖尿病")
    (42, ['a'], '糖尿病')
    >>> run_query(client, name="top_treatments", params={"disease": "Disease:糖尿病"})  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from graph.analyst.library import (
    DEFAULT_ROW_LIMIT,
    DEFAULT_TIMEOUT_S,
    QueryResult,
    QuerySpec,
    library,
    run_cypher,
    run_library_query,
)
from graph.db.connection import GraphClient
from graph.db.queries import CypherFileError

__all__ = ["FORMULA_STARTS", "LibraryFileError", "adhoc_value", "cell_text", "query_library", "result_csv",
           "run_query"]

#: A CSV cell starting with one of these is a formula to a spreadsheet; it gets a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class LibraryFileError(RuntimeError):
    """A file of the query library is malformed (the message names the file and what is wrong)."""


def query_library() -> list[QuerySpec]:
    """Every query of the library (``cypher/analyst``), by name.

    Raises:
        LibraryFileError: A file's header is malformed.
    """
    try:
        return list(library().values())
    except CypherFileError as exc:
        raise LibraryFileError(str(exc)) from exc


def adhoc_value(value: str) -> Any:  # any JSON literal, else the string
    """An ad-hoc statement's parameter: the JSON literal ``value`` is, else ``value`` itself."""
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def run_query(client: GraphClient, *, name: str | None = None, cypher: str | None = None,
              params: Mapping[str, str] | None = None, row_limit: int = DEFAULT_ROW_LIMIT,
              timeout: float = DEFAULT_TIMEOUT_S) -> QueryResult:
    """Run the ad-hoc statement ``cypher`` when given, else the library query ``name``, read-only.

    Args:
        client: The graph.
        name: A library query.
        cypher: An ad-hoc statement (it wins over ``name``).
        params: ``NAME`` -> ``VALUE`` as given on the command line.
        row_limit: Most rows returned (the result's note says when it cut).
        timeout: Seconds the whole query may take, retries included.

    Raises:
        QueryError: An unknown query, bad parameters, a statement that is not a read, a syntax error, a timeout.
    """
    given = dict(params or {})
    if cypher is not None:
        return run_cypher(client, cypher, {k: adhoc_value(v) for k, v in given.items()}, row_limit=row_limit,
                          timeout=timeout)
    return run_library_query(client, name or "", given, row_limit=row_limit, timeout=timeout)


def cell_text(value: Any) -> str:  # any JSON-like value of a result row
    """A result cell as text: empty for null, a string as itself, anything else as JSON (full precision)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _csv_cell(value: Any) -> str:  # any JSON-like value of a result row
    """:func:`cell_text`, with a string a spreadsheet would take for a formula quoted (numbers stay numbers)."""
    text = cell_text(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_STARTS) else text


def result_csv(result: QueryResult, *, bom: bool = True, lineterminator: str = "\r\n") -> str:
    """Every row of ``result`` as CSV: a byte-order mark first (Excel then reads UTF-8), the columns, the rows.

    A text cell (or column name) starting with ``= + - @``, a tab or a carriage return gets a leading ``'``, so a
    spreadsheet shows it instead of evaluating it (the web's download and ``medkg query --format csv`` alike).
    """
    buffer = io.StringIO()
    if bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator=lineterminator)
    writer.writerow([_csv_cell(c) for c in result.columns])
    for row in result.rows:
        writer.writerow([_csv_cell(row.get(c)) for c in result.columns])
    return buffer.getvalue()
