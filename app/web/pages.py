"""The reading pages: search, a concept, a record.

Each needs a logged-in user (viewer or curator) and reads the graph in READ transactions only (:mod:`graph.browse`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app.web.highlight import segments
from app.web.security import Session
from app.web.state import HOME, logged_in, state_of
from graph.browse.pages import concept_extras, concept_page, record_page
from graph.browse.search import MAX_SEARCH_CHARS, SearchRefused, search_concepts
from graph.db.connection import GraphClient
from kgmodel.model import CONCEPT_LABELS

__all__ = ["router"]

router = APIRouter()
User = Annotated[Session, Depends(logged_in)]
#: Longest id a concept or record page takes (ids are far shorter; a longer one is no id).
MAX_ID_CHARS = 1000
#: Concept types a mention may be coloured by (a CSS class each); others are coloured as ``other``.
COLOURED = frozenset(CONCEPT_LABELS)
T = TypeVar("T")


@router.get("/")
def home(user: User) -> Response:
    """The search page."""
    return RedirectResponse(HOME, status_code=303)


@router.get("/search")
def search(request: Request, user: User, q: str | None = None, type: str = "") -> Response:
    """The search box, and the concepts found for ``q`` (of type ``type`` when given)."""
    web = state_of(request)
    context: dict[str, Any] = {"q": q or "", "type": type, "types": sorted(CONCEPT_LABELS), "result": None,
                               "error": None, "max_chars": MAX_SEARCH_CHARS}
    if q is None:
        return web.render(request, "search.html", **context)
    try:
        result = search_concepts(web.client, q, type=type or None, linker=web.linker.get())
    except SearchRefused as exc:
        return web.render(request, "search.html", status_code=400, **{**context, "error": exc.code})
    return web.render(request, "search.html", **{**context, "result": result})


def _found(read: Callable[[GraphClient, str], T | None], client: GraphClient, key: str) -> T:
    """``read(client, key)``; a 404 when ``key`` is no id or names nothing."""
    page = read(client, key) if key and len(key) <= MAX_ID_CHARS else None
    if page is None:
        raise HTTPException(status_code=404)
    return page


@router.get("/concept")
def concept(request: Request, user: User, id: str = "") -> Response:
    """A concept: its KG facts by relationship type, how the records assert it, the records mentioning it."""
    web = state_of(request)
    page = _found(concept_page, web.client, id)
    return web.render(request, "concept.html", page=page, extras=concept_extras(web.client, page.concept))


@router.get("/record")
def record(request: Request, user: User, id: str = "") -> Response:
    """A record: its text with every current mention marked, its relation mentions."""
    web = state_of(request)
    page = _found(record_page, web.client, id)
    pieces = segments(page.record["text"] or "", page.mentions)
    return web.render(request, "record.html", page=page, pieces=pieces, coloured=COLOURED)
