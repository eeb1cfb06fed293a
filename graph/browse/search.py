r"""The web application's search: concepts by name, alias and ICD-10 code; typos through the linker.

Three finders, one list. Text shaped like an ICD-10 code (``E11``, ``i15.1``) finds the concepts whose ``icd10``
codes (CMeKG's ICD10 facts) are that code or under it. The full-text index ``concept_names`` (names and aliases,
CJK analyser) finds every concept sharing a word or a character pair with the text; the project's linker
(:mod:`linker`, the chain the watcher links mentions with) adds what a typo hides from the index, by its fuzzy
step. The order: a concept whose name, an alias or a code is the text itself first; then those found by code (by
code); then by the linker's score (0..1, the same scale for every step); then by the full-text score; then by id.
A type filter keeps one concept label.

Example:
    >>> lucene_text('2型糖尿病(T2DM)')
    '2型糖尿病\\(t2dm\\)'
    >>> icd10_code("e11.9"), icd10_code("E11"), icd10_code("糖尿病")
    ('E11.9', 'E11', None)
    >>> found = search_concepts(client, "糖尿兵", linker=build_linker(client))  # doctest: +SKIP
    >>> found.hits[0].id  # doctest: +SKIP
    'Disease:糖尿病'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from graph.browse.reader import read_rows
from graph.db.connection import GraphClient
from kgmodel.model import CONCEPT_LABELS
from linker import Linker

__all__ = ["MAX_SEARCH_CHARS", "SearchHit", "SearchRefused", "SearchResult", "clean_search_text", "lucene_text",
           "search_concepts"]

#: The longest search text taken (a concept name is far shorter; longer text is refused, not cut).
MAX_SEARCH_CHARS = 100
#: A linker candidate below this score is too far from the text to list.
MIN_LINKER_SCORE = 0.5
_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')
#: A chapter letter, two digits, optionally a dot and up to four more characters (E11, I15.1, M05.3X).
_ICD10 = re.compile(r"^[A-Z][0-9]{2}(?:\.[0-9A-Z]{1,4})?$")


class SearchRefused(ValueError):
    """Search text that is empty, too long or holds control characters, or an unknown type (the message says which).

    ``code`` names the case for a translated message: ``empty``, ``too_long``, ``control`` or ``type``.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SearchHit:
    """One concept found: what the result list shows of it and why it is there."""

    id: str
    name: str
    type: str | None
    status: str
    sources: list[str]
    aliases: list[str]
    #: Records with a current mention linked to it (any assertion).
    records: int
    #: The name or an alias is the search text itself.
    exact: bool
    #: The linker's score (0 when the linker did not propose it) and the step that gave it.
    linker_score: float = 0.0
    linker_method: str | None = None
    #: The full-text index's score (0 when the index did not find it).
    fulltext_score: float = 0.0
    #: The concept's ICD-10 codes, and the one the search text found it by (``None``: not found by code).
    icd10: list[str] = field(default_factory=list)
    icd10_match: str | None = None


@dataclass(frozen=True)
class SearchResult:
    """The hits for one search text, best first."""

    text: str
    type: str | None
    hits: list[SearchHit] = field(default_factory=list)


def lucene_text(text: str) -> str:
    """``text`` as a full-text query of plain terms: Lucene's operators escaped, in lower case.

    The analyser folds case anyway, and upper-case ``AND``/``OR``/``NOT`` would be operators.
    """
    return _LUCENE_SPECIAL.sub(r"\\\1", text.lower())


def icd10_code(text: str) -> str | None:
    """``text`` as an upper-case ICD-10 code when it is shaped like one, else ``None``."""
    code = text.strip().upper()
    return code if _ICD10.match(code) else None


def clean_search_text(text: str) -> str:
    """The search text trimmed, checked.

    Raises:
        SearchRefused: Empty, longer than :data:`MAX_SEARCH_CHARS`, or holding control characters.
    """
    cleaned = " ".join(text.split())
    if not cleaned:
        raise SearchRefused("the search text is empty", "empty")
    if len(cleaned) > MAX_SEARCH_CHARS:
        raise SearchRefused(f"the search text has {len(cleaned)} characters; at most {MAX_SEARCH_CHARS}",
                            "too_long")
    if any(ord(c) < 32 or ord(c) == 127 for c in cleaned):
        raise SearchRefused("the search text holds control characters", "control")
    return cleaned


def search_concepts(client: GraphClient, text: str, *, type: str | None = None, linker: Linker | None = None,
                    limit: int = 20) -> SearchResult:
    """Concepts for ``text``, best first (the order in the module docstring).

    Args:
        client: The graph.
        text: What the user typed.
        type: A concept label (:data:`kgmodel.model.CONCEPT_LABELS`) to keep, or ``None`` for all.
        linker: The linker over the graph's concepts; ``None`` searches the full-text index only.
        limit: Most hits.

    Raises:
        SearchRefused: Bad text (:func:`clean_search_text`) or an unknown type.
        graph.browse.reader.GraphUnavailable: The database cannot be reached.
    """
    cleaned = clean_search_text(text)
    if type is not None and type not in CONCEPT_LABELS:
        raise SearchRefused(f"unknown type {type!r}; one of {', '.join(sorted(CONCEPT_LABELS))}", "type")
    fulltext = {row["id"]: float(row["score"]) for row in read_rows(
        client, "internal/web_search_concepts", query=lucene_text(cleaned), type=type, limit=limit)}
    code = icd10_code(cleaned)
    coded: dict[str, tuple[str, bool]] = {}
    if code is not None:
        coded = {row["id"]: (row["code"], bool(row["exact"])) for row in read_rows(
            client, "internal/web_search_icd10", code=code, type=type, limit=limit)}
    linked: dict[str, tuple[float, str]] = {}
    if linker is not None:
        for candidate in linker.link(cleaned, k=10).candidates:
            if candidate.score >= MIN_LINKER_SCORE and (type is None or candidate.type == type):
                linked[candidate.concept_id] = (candidate.score, candidate.method)
    ids = list(dict.fromkeys([*coded, *linked, *fulltext]))
    rows = read_rows(client, "internal/web_describe_concepts", ids=ids) if ids else []
    hits = [_hit(row, cleaned, linked, fulltext, coded) for row in rows]
    hits.sort(key=lambda h: (not h.exact, h.icd10_match is None, -h.linker_score, -h.fulltext_score,
                             h.icd10_match or "", h.id))
    return SearchResult(cleaned, type, hits[:limit])


def _hit(row: dict[str, Any], text: str, linked: dict[str, tuple[float, str]], fulltext: dict[str, float],
         coded: dict[str, tuple[str, bool]]) -> SearchHit:
    folded = text.casefold()
    code, code_exact = coded.get(row["id"], (None, False))
    exact = code_exact or (row["name"] is not None and (row["name"].casefold() == folded
                                                        or any(a.casefold() == folded for a in row["aliases"])))
    score, method = linked.get(row["id"], (0.0, None))
    return SearchHit(row["id"], row["name"], row["type"], row["status"], list(row["sources"]), list(row["aliases"]),
                     int(row["records"]), exact, score, method, fulltext.get(row["id"], 0.0), list(row["icd10"]),
                     code)
