r"""What the read-only runner lets through: reads of the graph, and nothing else.

A read transaction (access mode READ) stops writes, but not everything that is not a write:
``LOAD CSV`` reads local files and fetches URLs from the server, ``SHOW``/``TERMINATE`` commands and
built-in procedures such as ``dbms.listConfig`` or ``db.clearQueryCaches`` run inside a read
transaction, and a plugin's function (APOC's ``apoc.cypher.runFirstColumn``) can run any Cypher. On
servers medkg does not configure nothing else stops them, so every statement the runner is given passes
two checks before it runs, each of which refuses on its own:

1. :func:`scan_statement`, a parse of the text: comments and string literals removed, quoted
   identifiers kept as names, then the clauses and calls it names. It refuses ``LOAD CSV``, ``USE``,
   administration and system commands (``SHOW``, ``TERMINATE``, ``GRANT``, ``DENY``, ``REVOKE``,
   ``ALTER``, ``RENAME``, ``DROP``, ``START``/``STOP``, ``CREATE``/``DROP`` of users, roles, databases,
   aliases, servers, indexes and constraints), a ``CALL`` of a procedure outside
   :data:`ALLOWED_PROCEDURES`, and a namespaced function outside :data:`ALLOWED_FUNCTION_NAMESPACES`.
2. :func:`check_plan`, the server's own reading: the statement's ``EXPLAIN`` plan (nothing runs) must
   be of query type ``r`` (read only), and no operator of it may load CSV, call a procedure outside
   the allow-list, or be a ``SHOW``, ``TERMINATE`` or administration operator.

A refusal is a :class:`StatementRefused` whose message names the reason.

Example:
    >>> scan_statement("MATCH (d:Disease) RETURN d.name LIMIT 5") is None
    True
    >>> scan_statement("LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l")
    'LOAD CSV reads files and URLs on the database server'
    >>> scan_statement("CALL dbms.listConfig()")
    "procedure dbms.listConfig is not on the runner's allow-list (db.index.fulltext.queryNodes, ...)"
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ALLOWED_FUNCTION_NAMESPACES", "ALLOWED_PROCEDURES", "StatementRefused", "Token", "check_plan",
           "scan_statement", "tokens"]

#: Procedures a read-only statement may call: index look-ups and schema listings, nothing that reads
#: the configuration, the users, the server's files or other sessions' transactions.
ALLOWED_PROCEDURES: tuple[str, ...] = (
    "db.index.fulltext.queryNodes", "db.index.fulltext.queryRelationships",
    "db.index.vector.queryNodes", "db.index.vector.queryRelationships",
    "db.labels", "db.relationshipTypes", "db.propertyKeys",
    "db.schema.visualization", "db.schema.nodeTypeProperties", "db.schema.relTypeProperties",
)
#: Namespaces of the built-in functions (temporal, spatial, vector); plugins' functions are refused.
ALLOWED_FUNCTION_NAMESPACES: tuple[str, ...] = (
    "date", "datetime", "localdatetime", "localtime", "time", "duration", "point", "vector", "vector.similarity",
)
#: Fully named built-in functions outside those namespaces.
ALLOWED_FUNCTIONS: frozenset[str] = frozenset({"db.nameFromElementId"})

#: A clause that starts an administration or system command; refused wherever it stands as a keyword.
_COMMAND_WORDS = frozenset({"SHOW", "TERMINATE", "GRANT", "DENY", "REVOKE", "ALTER", "RENAME", "USE", "START",
                            "STOP", "ENABLE", "DEALLOCATE", "REALLOCATE", "DRYRUN"})
#: What CREATE or DROP may not be followed by (CREATE of nodes is a write, which access mode refuses).
_ADMIN_OBJECTS = frozenset({"USER", "USERS", "ROLE", "ROLES", "DATABASE", "DATABASES", "ALIAS", "COMPOSITE",
                            "SERVER", "INDEX", "CONSTRAINT", "OR", "TEXT", "RANGE", "POINT", "LOOKUP", "FULLTEXT",
                            "VECTOR", "BTREE"})
#: Plan operators (without the ``@neo4j`` suffix) that are never part of a read of the graph.
_ADMIN_OPERATOR = re.compile(r"^(Show|Terminate|Create|Drop|Alter|Rename|Grant|Deny|Revoke|Start|Stop|Enable|"
                             r"Assert|System|Administration|Ensure|Wait|Log|Copy|Deallocate|Reallocate|"
                             r"DoNothing|Check)")
_PROCEDURE_IN_DETAILS = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*\(")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class StatementRefused(ValueError):
    """A statement the read-only runner will not run; the message says why."""


@dataclass(frozen=True)
class Token:
    """One token of a statement.

    ``kind`` is ``word`` (a keyword or a name), ``name`` (a backtick-quoted name, never a keyword),
    ``param`` (``$name``) or ``punct`` (one character).
    """

    kind: str
    text: str


def tokens(text: str) -> Iterator[Token]:
    """The tokens of ``text`` with comments, string literals and numbers left out.

    Raises:
        StatementRefused: An unterminated string, quoted name or block comment.
    """
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise StatementRefused("a /* comment is not closed")
            i = end + 2
        elif c in "'\"":
            i = _skip_string(text, i)
        elif c == "`":
            end = text.find("`", i + 1)
            while end >= 0 and text.startswith("``", end):  # a doubled backtick stands for one
                end = text.find("`", end + 2)
            if end < 0:
                raise StatementRefused("a `quoted name` is not closed")
            yield Token("name", text[i + 1:end].replace("``", "`"))
            i = end + 1
        elif c == "$":
            m = _WORD.match(text, i + 1)
            i = m.end() if m else i + 1
            yield Token("param", m.group() if m else "")
        elif m := _WORD.match(text, i):
            yield Token("word", m.group())
            i = m.end()
        elif c.isdigit():
            while i < n and (text[i].isalnum() or text[i] in "._"):
                i += 1
        else:
            yield Token("punct", c)
            i += 1


def _skip_string(text: str, start: int) -> int:
    quote, i = text[start], start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == quote:
            return i + 1
        else:
            i += 1
    raise StatementRefused(f"a string opened with {quote} at character {start + 1} is not closed")


def _allowed_function(name: str) -> bool:
    namespace = name.rsplit(".", 1)[0]
    return name in ALLOWED_FUNCTIONS or namespace in ALLOWED_FUNCTION_NAMESPACES


def _qualified(toks: list[Token], i: int) -> tuple[str, int]:
    """The dotted name starting at ``toks[i]`` and the index after it."""
    parts = [toks[i].text]
    i += 1
    while i + 1 < len(toks) and toks[i].text == "." and toks[i].kind == "punct" and toks[i + 1].kind in (
            "word", "name"):
        parts.append(toks[i + 1].text)
        i += 2
    return ".".join(parts), i


def _procedures_note() -> str:
    return f"{ALLOWED_PROCEDURES[0]}, ..."


def scan_statement(text: str) -> str | None:
    """Why the runner refuses ``text`` by its wording, or None when nothing in it is refused.

    A word counts as a keyword where a clause could stand: not after ``.``, ``:`` or ``AS``, not
    before ``:`` (a map key or a variable with a label), and never when backtick-quoted.

    Raises:
        StatementRefused: The text cannot be read (an unterminated string, name or comment).
    """
    toks = list(tokens(text))
    for i, tok in enumerate(toks):
        prev = toks[i - 1] if i else None
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        after_dot = _is(prev, ".")
        if tok.kind in ("word", "name") and not after_dot and _is(nxt, ".") \
                and not (prev is not None and prev.kind == "word" and prev.text.upper() == "CALL"):
            reason = _function_reason(toks, i)
            if reason:
                return reason
        keyword = tok.kind == "word" and not after_dot and not _is(prev, ":") and not _is(nxt, ":") \
            and not (prev is not None and prev.kind == "word" and prev.text.upper() == "AS")
        if not keyword:
            continue
        word = tok.text.upper()
        following = nxt.text.upper() if nxt is not None and nxt.kind == "word" else ""
        if word == "LOAD" and following == "CSV":
            return "LOAD CSV reads files and URLs on the database server"
        if word in _COMMAND_WORDS:
            return f"{word} is an administration or system command, not a read of the graph"
        if word in ("CREATE", "DROP") and following in _ADMIN_OBJECTS:
            return f"{word} {following} is an administration command, not a read of the graph"
        if word == "CALL" and nxt is not None and nxt.kind in ("word", "name"):
            name, _ = _qualified(toks, i + 1)
            if name not in ALLOWED_PROCEDURES:
                return f"procedure {name} is not on the runner's allow-list ({_procedures_note()})"
    return None


def _is(tok: Token | None, punct: str) -> bool:
    return tok is not None and tok.kind == "punct" and tok.text == punct


def _function_reason(toks: list[Token], i: int) -> str | None:
    """A refusal when ``toks[i]`` starts a namespaced function call outside the allow-list."""
    name, after = _qualified(toks, i)
    if after < len(toks) and _is(toks[after], "(") and "." in name and not _allowed_function(name):
        return f"function {name} is not a built-in function the runner allows (plugins' functions are refused)"
    return None


def _operators(plan: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield plan
    for child in plan.get("children") or ():
        yield from _operators(child)


def check_plan(plan: Mapping[str, Any] | None, query_type: str | None) -> str | None:
    """Why the runner refuses a statement by its ``EXPLAIN`` plan, or None.

    Args:
        plan: the summary's plan (``operatorType``, ``args`` with ``Details``, ``children``).
        query_type: the summary's query type (``r``, ``rw``, ``w``, ``s``).
    """
    if query_type != "r":
        kinds = {"rw": "reads and writes", "w": "writes", "s": "changes the schema"}
        return f"the server plans it as a statement that {kinds.get(query_type or '', f'is of type {query_type}')}"
    if plan is None:
        return "the server returned no plan for it"
    for op in _operators(plan):
        kind = str(op.get("operatorType", "")).split("@", 1)[0]
        details = str((op.get("args") or {}).get("Details", ""))
        if kind == "LoadCSV":
            return "its plan loads CSV (reads files and URLs on the database server)"
        if kind == "ProcedureCall" or "Procedure" in kind:
            m = _PROCEDURE_IN_DETAILS.match(details)
            name = m.group(1) if m else details or kind
            if name not in ALLOWED_PROCEDURES:
                return f"its plan calls procedure {name}, which is not on the runner's allow-list"
        elif _ADMIN_OPERATOR.match(kind):
            return f"its plan holds the administration operator {kind}"
    return None
