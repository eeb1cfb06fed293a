"""Access to the Cypher statements kept as files under ``cypher/``.

Every statement medkg runs lives in ``cypher/<audience>/<verb_noun>.cypher`` with a header comment
naming its ``$parameters`` and returned columns. A file may hold several statements separated by
``;`` at the end of a line (schema files do); all other files hold exactly one.

Example:
    >>> from graph.db.queries import query
    >>> "MERGE" in query("internal/merge_concepts")
    True
"""

from __future__ import annotations

import functools
import re
from importlib import resources

__all__ = ["CypherFileError", "list_queries", "query", "statements", "used_queries"]

_NAME = re.compile(r"^[a-z_]+/[a-z0-9_]+$")


class CypherFileError(LookupError):
    """A Cypher file that does not exist or is malformed."""


def _strip_comments(text: str) -> str:
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("//")]
    return "\n".join(lines).strip()


_USED: set[str] = set()


def used_queries() -> frozenset[str]:
    """Names of the Cypher files loaded so far in this process.

    The test suite uses it to check that every file runs at least once.
    """
    return frozenset(_USED)


def statements(name: str) -> tuple[str, ...]:
    """All statements of ``cypher/<name>.cypher``, comments removed.

    Args:
        name: ``audience/verb_noun``, e.g. ``schema/constraints``.

    Returns:
        The statements in file order.

    Raises:
        CypherFileError: ``name`` is not of that form or the file does not exist.
    """
    found = _load(name)
    _USED.add(name)
    return found


@functools.cache
def _load(name: str) -> tuple[str, ...]:
    if not _NAME.match(name):
        raise CypherFileError(f"not a Cypher file name: {name!r} (expected 'audience/verb_noun')")
    audience, stem = name.split("/")
    resource = resources.files("cypher").joinpath(audience, f"{stem}.cypher")
    if not resource.is_file():
        raise CypherFileError(f"no Cypher file cypher/{name}.cypher")
    body = _strip_comments(resource.read_text(encoding="utf-8"))
    parts = [part.strip() for part in re.split(r";\s*(?:\n|$)", body)]
    return tuple(part for part in parts if part)


def query(name: str) -> str:
    """The single statement of ``cypher/<name>.cypher``.

    Raises:
        CypherFileError: the file is missing or holds more than one statement.
    """
    found = statements(name)
    if len(found) != 1:
        raise CypherFileError(f"cypher/{name}.cypher holds {len(found)} statements, expected one")
    return found[0]


def list_queries(audience: str) -> list[str]:
    """Names (``audience/stem``) of every Cypher file of one audience, sorted."""
    folder = resources.files("cypher").joinpath(audience)
    if not folder.is_dir():
        return []
    return sorted(
        f"{audience}/{entry.name.removesuffix('.cypher')}"
        for entry in folder.iterdir()
        if entry.name.endswith(".cypher")
    )
