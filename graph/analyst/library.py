r"""The analysts' query library (``cypher/analyst/*.cypher``) and ad-hoc Cypher, always read-only.

Each library file starts with a header that :func:`parse_header` reads::

    // Top treatments of one disease as found in records, with the KG's own recommendation beside them.
    // @param disease: string  concept id, e.g. 'Disease:糖尿病'
    // @param limit: int = 20  most rows
    // @param type: string? = null  a concept label, or null for all
    // @returns treatment, name, type, records, kg_recommends

The free lines are the description; ``@param NAME: TYPE[?] [= DEFAULT] HELP`` declares one
parameter (types ``string``, ``concept``, ``int``, ``float``, ``bool``, ``list[string]``,
``list[concept]``, ``list[int]``, and the assertion filters ``list[certainty]``, ``list[temporality]``,
``list[experiencer]``; ``concept`` is a string that must be the id of an existing concept, and a wrong one
is refused with the ids it may have meant; ``?`` admits null; the default is a JSON literal without
spaces); ``@returns`` lists the columns. The parameters of a header are exactly the ``$names`` of its
statement (a test checks every file).

Record-based queries filter mentions by their assertion (:mod:`extractor.assertion.schema`) with three
parameters, ``certainty`` (default ``["affirmed"]``), ``experiencer`` (default ``["patient"]``) and
``temporality`` (default ``["current","historical"]``): by default they count what the records assert
about the patient. Each takes the dimension's values, ``unknown``, or ``any`` (all of them). A mention
written before the assertion step has no assertion: it is ``unknown`` and matches only when ``certainty``
includes ``unknown``, never as affirmed; :attr:`QueryResult.unasserted` says how many current mentions
are in that state, and the note says how to re-process them.

Every statement, from the library or ad hoc, is checked before it runs and then runs in a *read*
transaction (access mode READ). The check (:mod:`graph.analyst.guard`: a parse of the text, then the
server's ``EXPLAIN`` plan) refuses what a read transaction lets through but is not a read of the graph:
``LOAD CSV`` (files and URLs on the server), ``SHOW``/``TERMINATE`` and other administration commands,
and procedures or plugin functions outside an allow-list; the server itself refuses writes. The
``timeout`` bounds the whole call on the wall clock, retries of lost connections included; a memory
limit or any other client error is never retried. A row limit bounds the rows returned
(:attr:`QueryResult.truncated` says when it cut).

Example:
    >>> text = "\n".join(["// Counts.", "// @param limit: int = 5  rows", "// @returns n", "RETURN $limit AS n"])
    >>> spec = parse_header("analyst/x", text)
    >>> spec.params[0].name, spec.params[0].default, spec.columns
    ('limit', 5, ('n',))
    >>> coerce_params(spec, {"limit": "7"})
    {'limit': 7}
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import neo4j
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired, TransientError

from extractor.assertion.schema import DIMENSIONS
from graph.analyst.guard import StatementRefused, check_plan, scan_statement
from graph.db.connection import GraphClient
from graph.db.queries import CypherFileError, list_queries, query

__all__ = ["DEFAULT_ROW_LIMIT", "DEFAULT_TIMEOUT_S", "Param", "QueryError", "QueryParamError", "QueryRefusedError",
           "QueryResult", "QuerySpec", "coerce_params", "get_spec", "library", "parse_header", "parse_value",
           "run_cypher", "run_library_query"]

DEFAULT_ROW_LIMIT = 1000
DEFAULT_TIMEOUT_S = 30.0
#: Values of the assertion filter types: a dimension's values, then ``unknown`` (no assertion yet).
ASSERTION_FILTERS: dict[str, tuple[str, ...]] = {dim: (*values, "unknown") for dim, values in DIMENSIONS.items()}
TYPES = ("string", "concept", "int", "float", "bool", "list[string]", "list[concept]", "list[int]",
         *(f"list[{dim}]" for dim in ASSERTION_FILTERS))
_MISSING: Any = object()
_PARAM = re.compile(r"^@param\s+([A-Za-z_]\w*)\s*:\s*([a-z\[\]]+)(\?)?(?:\s*=\s*(\S+))?\s*(.*)$")
_DOLLAR = re.compile(r"\$([A-Za-z_]\w*)")
_EXPLAIN = re.compile(r"^\s*(?:EXPLAIN|PROFILE)\b", re.IGNORECASE)


class QueryError(ValueError):
    """A query that cannot run: unknown name, bad header, syntax error, timeout (message says which)."""


class QueryParamError(QueryError):
    """A parameter that is missing, unknown, or of the wrong type."""


class QueryRefusedError(QueryError):
    """A statement that is not a read of the graph (the message names why).

    It writes, loads CSV, administers the server, or calls a procedure or function outside the allow-list.
    """


@dataclass(frozen=True)
class Param:
    """One declared parameter of a library query."""

    name: str
    type: str
    nullable: bool = False
    default: Any = _MISSING
    help: str = ""

    @property
    def required(self) -> bool:
        """No default: the caller must give it."""
        return self.default is _MISSING

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (``default`` absent when required)."""
        out = {"name": self.name, "type": self.type + ("?" if self.nullable else ""), "help": self.help,
               "required": self.required}
        return out if self.required else {**out, "default": self.default}


@dataclass(frozen=True)
class QuerySpec:
    """A library file: name, description, parameters, columns and the statement."""

    name: str
    file: str
    description: str
    params: tuple[Param, ...]
    columns: tuple[str, ...]
    text: str = field(repr=False, default="")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, without the statement."""
        return {"name": self.name, "file": f"cypher/{self.file}.cypher", "description": self.description,
                "params": [p.to_dict() for p in self.params], "columns": list(self.columns)}


def parse_header(file: str, raw: str) -> QuerySpec:
    """The :class:`QuerySpec` of one file's text (header as in the module docstring).

    Raises:
        CypherFileError: An ill-formed ``@param``, an unknown type, a bad default, no ``@returns``, or
            declared parameters that differ from the statement's ``$names``.
    """
    description, params, columns = [], [], []
    body = []
    for number, line in enumerate(raw.splitlines(), start=1):
        stripped = line.strip()
        if not stripped.startswith("//"):
            body.append(line)
            continue
        content = stripped[2:].strip()
        where = f"cypher/{file}.cypher:{number}"
        if content.startswith("@param"):
            m = _PARAM.match(content)
            if m is None:
                raise CypherFileError(f"{where}: expected '@param NAME: TYPE[?] [= DEFAULT] HELP', got {content!r}")
            name, kind, nullable, default_text, help_text = m.groups()
            if kind not in TYPES:
                raise CypherFileError(f"{where}: parameter {name!r} has unknown type {kind!r}; one of {TYPES}")
            default = _MISSING
            if default_text is not None:
                try:
                    default = json.loads(default_text)
                except json.JSONDecodeError as exc:
                    raise CypherFileError(f"{where}: default of {name!r} is not a JSON literal: {default_text}") \
                        from exc
                if default is None and not nullable:
                    raise CypherFileError(f"{where}: parameter {name!r} defaults to null but its type has no '?'")
            params.append(Param(name, kind, bool(nullable), default, help_text.strip()))
        elif content.startswith("@returns"):
            columns += [c.strip() for c in content.removeprefix("@returns").split(",") if c.strip()]
        elif content.startswith("@"):
            raise CypherFileError(f"{where}: unknown header tag {content.split()[0]!r}")
        elif not body:
            description.append(content)
    text = "\n".join(body).strip()
    if not columns:
        raise CypherFileError(f"cypher/{file}.cypher: no '// @returns' line")
    used = set(_DOLLAR.findall(text))
    declared = {p.name for p in params}
    if used != declared:
        raise CypherFileError(f"cypher/{file}.cypher: header declares {sorted(declared)} but the statement uses "
                              f"{sorted(used)}")
    return QuerySpec(file.split("/", 1)[1], file, " ".join(description).strip(), tuple(params), tuple(columns),
                     text)


def library() -> dict[str, QuerySpec]:
    """Every analyst query by name (``cypher/analyst/<name>.cypher``)."""
    out = {}
    for file in list_queries("analyst"):
        audience, stem = file.split("/")
        raw = resources.files("cypher").joinpath(audience, f"{stem}.cypher").read_text(encoding="utf-8")
        spec = parse_header(file, raw)
        out[spec.name] = spec
    return out


def get_spec(name: str) -> QuerySpec:
    """One library query by name.

    Raises:
        QueryError: No such query (the message lists the names).
    """
    specs = library()
    if name not in specs:
        raise QueryError(f"no query {name!r} in the library; one of: {', '.join(sorted(specs))}")
    return specs[name]


def parse_value(raw: Any, kind: str, *, name: str = "value", nullable: bool = False) -> Any:
    """``raw`` (a command-line string, or an already typed value) as a value of ``kind``.

    Lists are JSON arrays or comma-separated; ``null`` is accepted when ``nullable``.

    Raises:
        QueryParamError: ``raw`` is not a ``kind``.
    """
    if raw is None or (isinstance(raw, str) and raw == "null"):
        if nullable:
            return None
        raise QueryParamError(f"parameter {name!r} ({kind}) cannot be null")
    bad = QueryParamError(f"parameter {name!r} must be {kind}, got {raw!r}")
    if kind in ("string", "concept"):
        if not isinstance(raw, str):
            raise bad
        return raw
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise bad
    if kind in ("int", "float"):
        if isinstance(raw, bool):
            raise bad
        if isinstance(raw, str):
            try:
                return int(raw) if kind == "int" else float(raw)
            except ValueError:
                raise bad from None
        if kind == "int" and isinstance(raw, int):
            return raw
        if kind == "float" and isinstance(raw, int | float):
            return float(raw)
        raise bad
    item = kind[5:-1]
    if item in ASSERTION_FILTERS:
        return _assertion_filter(raw, item, name)
    if isinstance(raw, str):
        try:
            items = json.loads(raw) if raw.lstrip().startswith("[") else [x.strip() for x in raw.split(",")]
        except json.JSONDecodeError:
            raise bad from None
    else:
        items = raw
    if not isinstance(items, list):
        raise bad
    return [parse_value(x, item, name=f"{name}[{i}]") for i, x in enumerate(items)]


def _assertion_filter(raw: Any, dimension: str, name: str) -> list[str]:
    """A ``list[<dimension>]`` value: its values (comma-separated or a JSON array), or ``any`` for all."""
    allowed = ASSERTION_FILTERS[dimension]
    values = parse_value(raw, "list[string]", name=name)
    if values == ["any"]:
        return list(allowed)
    wrong = [v for v in values if v not in allowed]
    if wrong or not values:
        raise QueryParamError(f"parameter {name!r}: {wrong[0] if wrong else 'an empty list'!r} is not a {dimension}; "
                              f"give one or more of {', '.join(allowed)}, or 'any'")
    return list(dict.fromkeys(values))


def coerce_params(spec: QuerySpec, given: Mapping[str, Any]) -> dict[str, Any]:
    """Validated, typed parameters: defaults filled in, unknown and missing ones refused.

    Raises:
        QueryParamError: An unknown name, a missing required parameter, or a value of the wrong type.
    """
    known = {p.name: p for p in spec.params}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise QueryParamError(f"query {spec.name!r} has no parameter {unknown[0]!r}; its parameters: "
                              f"{', '.join(known) or 'none'}")
    out = {}
    for p in spec.params:
        if p.name in given:
            out[p.name] = parse_value(given[p.name], p.type, name=p.name, nullable=p.nullable)
        elif p.required:
            raise QueryParamError(f"query {spec.name!r} needs parameter {p.name!r} ({p.type}): {p.help}")
        else:
            out[p.name] = p.default
    return out


@dataclass
class QueryResult:
    """Rows of one read-only statement."""

    query: str
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    row_limit: int
    seconds: float
    params: dict[str, Any] = field(default_factory=dict)
    #: Current mentions of the graph without an assertion (``unknown``), for a query that filters by
    #: assertion; ``None`` for other statements.
    unasserted: int | None = None

    @property
    def note(self) -> str | None:
        """A note when the row limit cut the result, and one when mentions without an assertion were left out."""
        notes = []
        if self.truncated:
            notes.append(f"showing the first {self.row_limit} rows; the statement returned more (raise --limit)")
        if self.unasserted and "unknown" not in self.params.get("certainty", []):
            see = "pass certainty=unknown or any to see them; " if "certainty" in self.params else ""
            notes.append(f"{self.unasserted:,} current mentions have no assertion (written before the assertion "
                         f"step); they count as certainty 'unknown' and are left out here ({see}'Re-processing a "
                         "graph' in docs/analysts.md says how to assert them)")
        return "; ".join(notes) or None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {"query": self.query, "params": self.params, "columns": self.columns, "rows": self.rows,
                "row_count": len(self.rows), "truncated": self.truncated, "row_limit": self.row_limit,
                "unasserted": self.unasserted, "note": self.note, "seconds": self.seconds}


def _plain(value: Any) -> Any:
    """Driver values (nodes, relationships, paths, temporals, points) as JSON-friendly values."""
    if isinstance(value, neo4j.graph.Node):
        return {"labels": sorted(value.labels), "properties": _plain(dict(value))}
    if isinstance(value, neo4j.graph.Relationship):
        return {"type": value.type, "start": value.start_node.element_id if value.start_node else None,
                "end": value.end_node.element_id if value.end_node else None, "properties": _plain(dict(value))}
    if isinstance(value, neo4j.graph.Path):
        return {"nodes": [_plain(n) for n in value.nodes], "relationships": [_plain(r) for r in value.relationships]}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _error(exc: Neo4jError, what: str) -> QueryError:
    code = exc.code or ""
    message = (exc.message or str(exc)).strip()
    if code == "Neo.ClientError.Statement.AccessMode" or "in read access mode" in message:
        return QueryRefusedError(f"{what} tried to write; medkg query runs read transactions only and the server "
                                 f"refused it ({code}): {message}")
    if code == "Neo.ClientError.Statement.SyntaxError":
        return QueryError(f"{what}: Cypher syntax error: {message}")
    if "Timeout" in code or "TimedOut" in code:
        return QueryError(f"{what} ran past its transaction timeout ({code}): {message}")
    if _is_memory_error(exc):
        return QueryError(f"{what} needed more memory than one analyst transaction may use and was stopped "
                          f"({code}); narrow it (a LIMIT, fewer collected rows): {message}")
    if "lucene" in message.lower() or "parseexception" in message.lower():
        return QueryParamError(f"{what}: the search text is not valid full-text (Lucene) syntax; put a backslash "
                               "before ( ) \" : ~ * ? [ ] { } ^ ! + - / or drop them")
    return QueryError(f"{what} failed ({code}): {message}")


def _is_memory_error(exc: Neo4jError) -> bool:
    return "Memory" in (exc.code or "") or "MemoryLimit" in (exc.code or "")


def _retriable(exc: Exception) -> bool:
    """Connection losses and transient server states, but never a memory limit (it would hit it again)."""
    if isinstance(exc, ServiceUnavailable | SessionExpired):
        return True
    return isinstance(exc, TransientError) and not _is_memory_error(exc)


def _check(tx: neo4j.Transaction, text: str, params: dict[str, Any], what: str) -> None:
    """Refuse ``text`` unless the server plans it as a read of the graph (see :mod:`graph.analyst.guard`)."""
    explained = _EXPLAIN.sub("", text, count=1)
    summary = tx.run("EXPLAIN " + explained, params).consume()
    reason = check_plan(summary.plan, summary.query_type)
    if reason:
        raise QueryRefusedError(f"{what} refused: {reason}; medkg query runs reads of the graph only")


def _run_read(client: GraphClient, name: str, text: str, params: dict[str, Any], row_limit: int,
              timeout: float) -> QueryResult:
    """Check, then run ``text`` in a read transaction; ``timeout`` bounds the whole call, retries included."""
    if row_limit < 1:
        raise QueryParamError(f"row limit must be at least 1, got {row_limit}")
    if timeout <= 0:
        raise QueryParamError(f"timeout must be positive, got {timeout}")
    what = f"query {name!r}"
    try:
        reason = scan_statement(text)
    except StatementRefused as exc:
        raise QueryError(f"{what} cannot be read: {exc}") from None
    if reason:
        raise QueryRefusedError(f"{what} refused: {reason}; medkg query runs reads of the graph only")
    started = time.monotonic()
    deadline, tries, last = started + timeout, 0, None
    while (remaining := deadline - time.monotonic()) > 0.001:
        tries += 1
        try:
            with client.session(default_access_mode=neo4j.READ_ACCESS,
                                connection_acquisition_timeout=remaining) as session, \
                    session.begin_transaction(metadata=client.metadata(f"query:{name}"),
                                              timeout=max(deadline - time.monotonic(), 0.001)) as tx:
                _check(tx, text, params, what)
                keys, rows, cut = _fetch(tx.run(text, params), row_limit)
                tx.rollback()  # a read: nothing to commit
            return QueryResult(name, keys, rows, cut, row_limit, round(time.monotonic() - started, 4), params)
        except (ServiceUnavailable, SessionExpired, TransientError) as exc:
            if isinstance(exc, Neo4jError) and not _retriable(exc):  # a transient memory error: not retried
                raise _error(exc, what) from exc
            last = exc
            time.sleep(min(0.2 * tries, max(deadline - time.monotonic(), 0)))
        except Neo4jError as exc:  # client errors (syntax, access mode, timeout) and server errors alike
            raise _error(exc, what) from exc
    raise QueryError(f"{what} did not finish within its {timeout:g} s timeout ({tries} tries"
                     + (f"; last error: {last}" if last else "") + ")")


def _fetch(result: neo4j.Result, row_limit: int) -> tuple[list[str], list[dict[str, Any]], bool]:
    keys = list(result.keys())
    rows: list[dict[str, Any]] = []
    cut = False
    for record in result:
        if len(rows) == row_limit:
            cut = True
            break
        rows.append({k: _plain(v) for k, v in record.items()})
    return keys, rows, cut


def _check_concepts(client: GraphClient, spec: QuerySpec, values: dict[str, Any]) -> None:
    """Refuse a ``concept`` parameter that names no concept, with the ids it may have meant."""
    wanted: dict[str, str] = {}
    for p in spec.params:
        value = values.get(p.name)
        if p.type == "concept" and value is not None:
            wanted.setdefault(value, p.name)
        elif p.type == "list[concept]" and value:
            for item in value:
                wanted.setdefault(item, p.name)
    if not wanted:
        return
    for row in client.read("internal/check_concept_ids", ids=list(wanted)):
        if row["found"]:
            continue
        hint = (f"; did you mean {' or '.join(repr(s) for s in row['suggestions'])}?" if row["suggestions"]
                else "; concept ids are '<Type>:<name>', e.g. 'Disease:糖尿病' (find_concepts searches by name)")
        raise QueryParamError(f"parameter {wanted[row['id']]!r}: no concept has the id {row['id']!r}{hint}")


def run_library_query(client: GraphClient, name: str, params: Mapping[str, Any] | None = None, *,
                      row_limit: int = DEFAULT_ROW_LIMIT, timeout: float = DEFAULT_TIMEOUT_S) -> QueryResult:
    """Run a library query by name with validated parameters, in a read transaction.

    Raises:
        QueryError: Unknown name; :class:`QueryParamError` for parameters (a ``concept`` one that names
            no concept included); :class:`QueryRefusedError` if the statement is not a read of the graph;
            timeouts and server errors with the server's code.
    """
    spec = get_spec(name)
    values = coerce_params(spec, params or {})
    _check_concepts(client, spec, values)
    result = _run_read(client, name, query(spec.file), values, row_limit, timeout)
    if any(p.type[5:-1] in ASSERTION_FILTERS for p in spec.params if p.type.startswith("list[")):
        result.unasserted = client.read("internal/count_unasserted_mentions")[0]["mentions"]
    return result


def run_cypher(client: GraphClient, text: str, params: Mapping[str, Any] | None = None, *,
               row_limit: int = DEFAULT_ROW_LIMIT, timeout: float = DEFAULT_TIMEOUT_S) -> QueryResult:
    """Run an ad-hoc statement in a read transaction (the server refuses writes).

    Raises:
        QueryError: Empty text, a syntax error, a write (:class:`QueryRefusedError`), a timeout.
    """
    if not text or not text.strip():
        raise QueryError("--cypher is empty")
    return _run_read(client, "ad hoc", text, dict(params or {}), row_limit, timeout)
