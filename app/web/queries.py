r"""The query library without Cypher: a form per analyst query, results with paging and CSV, the ad-hoc Cypher box.

Every query runs through the runner of ``medkg query`` (:func:`app.querying.run_query`) with its row limit and
timeout: a READ transaction, a statement that is not a read of the graph refused before it runs. A library form
is a GET (its parameters in the query string, so a result is a link); ``/queries/<name>.csv`` with the same
parameters downloads the whole result. The ad-hoc box posts its statement (CSRF-checked) and is for curators,
or for viewers too when :attr:`app.web.config.WebConfig.adhoc_cypher_for_viewers` is set.

Example:
    >>> default_text(Param("certainty", "list[certainty]", default=["affirmed", "possible"]))
    'affirmed,possible'
    >>> result_csv(QueryResult("x", ["a", "b"], [{"a": "=1+2", "b": -3}], False, 10, 0.0)).splitlines()
    ['\ufeffa,b', "'=1+2,-3"]
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import Response

from app.querying import cell_text, query_library, result_csv, run_query
from app.web.auth import CSRF
from app.web.security import Session
from app.web.state import WebState, logged_in, state_of
from graph.analyst.library import Param, QueryError, QueryParamError, QueryResult, QuerySpec, get_spec

__all__ = ["MAX_CYPHER_CHARS", "PAGE_SIZE", "RESERVED", "cell_text", "default_text", "result_csv", "router"]

router = APIRouter()
User = Annotated[Session, Depends(logged_in)]
#: Rows on one page of a result.
PAGE_SIZE = 50
#: Longest ad-hoc statement the box takes.
MAX_CYPHER_CHARS = 20_000
#: Names of a form's query string that are not parameters of the query: the page, and that the form was sent.
RESERVED = frozenset({"page", "run"})
_NAMED = re.compile(r"parameter '([A-Za-z_]\w*)")


@dataclass(frozen=True)
class Field:
    """One input of a library query's form: the parameter, the text in the box, the error next to it."""

    param: Param
    value: str
    error: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What running a form gave: the result, or the runner's message (and the parameter it names, if any)."""

    result: QueryResult | None = None
    error: str | None = None
    field: str | None = None


def default_text(param: Param) -> str:
    """The text a form's box starts with: the parameter's default, written as ``parse_value`` reads it back.

    Empty for no default or a null one: an empty box takes the default.
    """
    value = None if param.required else param.default
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) and "," not in v and v.strip() == v for v in value) \
            and not (value and value[0].startswith("[")):
        return ",".join(value)
    return json.dumps(value, ensure_ascii=False)


def _csv_response(result: QueryResult, filename: str) -> Response:
    return Response(result_csv(result).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _spec(name: str) -> QuerySpec:
    """The library query ``name``.

    Raises:
        HTTPException: 404 when the library has no such query.
    """
    try:
        return get_spec(name)
    except QueryError:
        raise HTTPException(status_code=404) from None


def _run_form(web: WebState, spec: QuerySpec, fields: Mapping[str, str]) -> Outcome:
    """Run ``spec`` with the form's values as ``medkg query --param`` passes them (an empty box: the default).

    The query string's other names reach the runner too, which refuses them as unknown parameters.
    """
    given = {k: v for k, v in fields.items() if k not in RESERVED and v.strip()}
    try:
        return Outcome(result=run_query(web.client, name=spec.name, params=given))
    except QueryParamError as exc:
        named = _NAMED.search(str(exc))
        field = named.group(1) if named and named.group(1) in {p.name for p in spec.params} else None
        return Outcome(error=str(exc), field=field)
    except QueryError as exc:
        return Outcome(error=str(exc))


def _table(result: QueryResult, page: int, size: int, pager: str | None = None) -> dict[str, Any]:
    """The template's view of one page of ``result``: its cells (text, numeric?), the page and the page count.

    ``pager`` is the query string of the other pages' links (``None``: no links, the first page only).
    """
    pages = max(1, math.ceil(len(result.rows) / size))
    page = min(page, pages)
    rows = [[(cell_text(row.get(c)), isinstance(row.get(c), int | float) and not isinstance(row.get(c), bool))
             for c in result.columns] for row in result.rows[(page - 1) * size:page * size]]
    certainty = result.params.get("certainty") or []
    unasserted = result.unasserted if result.unasserted and "unknown" not in certainty else 0
    return {"result": result, "rows": rows, "page": page, "pages": pages, "unasserted": unasserted, "pager": pager}


def _form_page(request: Request, spec: QuerySpec, outcome: Outcome | None, page: int) -> Response:
    """The form of ``spec`` filled from the query string, with the outcome of running it when it ran."""
    web = state_of(request)
    sent = request.query_params
    fields = [Field(p, sent[p.name] if p.name in sent else default_text(p),
                    outcome.error if outcome and outcome.field == p.name else None) for p in spec.params]
    query = urlencode([(k, v) for k, v in sent.multi_items() if k != "page"])
    context: dict[str, Any] = {"spec": spec, "fields": fields, "error": None, "table": None, "query": query}
    if outcome is None:
        return web.render(request, "query.html", **context)
    if outcome.result is None:
        error = None if outcome.field else outcome.error
        return web.render(request, "query.html", status_code=400, **{**context, "error": error})
    return web.render(request, "query.html", **{**context, "table": _table(outcome.result, page, PAGE_SIZE, query)})


def _may_use_cypher(web: WebState, user: Session) -> bool:
    """Whether ``user`` gets the ad-hoc Cypher box: a curator, or anyone when the settings offer it to viewers."""
    return user.role == "curator" or web.config.adhoc_cypher_for_viewers


@router.get("/queries")
def query_list(request: Request, user: User) -> Response:
    """Every library query: its name (a link to its form), parameters and description."""
    web = state_of(request)
    return web.render(request, "queries.html", specs=query_library(), adhoc=_may_use_cypher(web, user))


def _cypher_page(request: Request, user: Session, text: str | None = None, *, csv_file: bool = False) -> Response:
    """The ad-hoc box (a 403 page for a user without it).

    Given ``text``, its first page of rows or why it was refused; with ``csv_file`` too, every row as CSV.
    """
    web = state_of(request)
    context: dict[str, Any] = {"allowed": True, "text": text or "", "max_chars": MAX_CYPHER_CHARS, "error": None,
                               "refused": None, "table": None}
    if not _may_use_cypher(web, user):
        return web.render(request, "cypher.html", status_code=403, **{**context, "allowed": False, "text": ""})
    if text is None:
        return web.render(request, "cypher.html", **context)
    if not text.strip() or len(text) > MAX_CYPHER_CHARS:
        error = "empty" if not text.strip() else "too_long"
        return web.render(request, "cypher.html", status_code=400,
                          **{**context, "error": error, "text": text[:MAX_CYPHER_CHARS]})
    try:
        result = run_query(web.client, cypher=text)
    except QueryError as exc:
        return web.render(request, "cypher.html", status_code=400, **{**context, "refused": str(exc)})
    if csv_file:
        return _csv_response(result, "cypher.csv")
    return web.render(request, "cypher.html", **{**context, "table": _table(result, 1, PAGE_SIZE)})


@router.get("/queries/cypher")
def cypher_box(request: Request, user: User) -> Response:
    """The ad-hoc Cypher box (curators; viewers too when the settings say so, else 403)."""
    return _cypher_page(request, user)


@router.post("/queries/cypher", dependencies=CSRF)
def cypher_run(request: Request, user: User, cypher: Annotated[str, Form()] = "") -> Response:
    """Run the box's statement read-only and show the first page of its rows, or why it was refused."""
    return _cypher_page(request, user, cypher)


@router.post("/queries/cypher.csv", dependencies=CSRF)
def cypher_csv(request: Request, user: User, cypher: Annotated[str, Form()] = "") -> Response:
    """Run the box's statement read-only and download every row as CSV (the box's page again if it fails)."""
    return _cypher_page(request, user, cypher, csv_file=True)


@router.get("/queries/{name}.csv")
def query_csv(request: Request, user: User, name: str) -> Response:
    """Run the library query ``name`` with the query string's parameters; every row as CSV (the form if it fails)."""
    spec = _spec(name)
    outcome = _run_form(state_of(request), spec, request.query_params)
    if outcome.result is None:
        return _form_page(request, spec, outcome, 1)
    return _csv_response(outcome.result, f"{spec.name}.csv")


@router.get("/queries/{name}")
def query_form(request: Request, user: User, name: str, page: Annotated[int, Query(ge=1)] = 1) -> Response:
    """The form of the library query ``name``; once sent (``run`` in the query string), one page of its rows."""
    spec = _spec(name)
    if "run" not in request.query_params:
        return _form_page(request, spec, None, page)
    return _form_page(request, spec, _run_form(state_of(request), spec, request.query_params), page)
