"""Curation in the browser: the low-confidence queue, prune with a preview, restore, merge, the audit log.

Every page reads the graph through :mod:`graph.browse.reader` (READ transactions) with the curator's own Cypher
files, so the queue is exactly what ``medkg curate list`` lists. Every write calls the library ``medkg curate``
calls (:mod:`graph.curate.actions`), with the logged-in user as the actor: one implementation of each action.

- Viewers see the queue, the suppressed list, the NIL queue and the log, without buttons; the pages that prepare
  an action (the prune preview, the merge chooser) and every ``POST`` answer 403 for them.
- A prune takes two steps. The preview lists everything the criteria select and carries a fingerprint of that
  selection (:func:`selection_fingerprint`); the apply step reads the selection again and refuses (409, nothing
  pruned) when the fingerprint differs, so a curator never prunes what the preview did not show. Should the
  selection change in the moment between that check and the prune itself, the prune is restored at once and the
  answer is the same 409.
- Bad input (a number that is none, an empty reason, an unknown action or concept) is a page saying so (400 or
  404), and the graph is unchanged.

Example:
    >>> selection_fingerprint([])[:16]
    'e3b0c44298fc1c14'
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from app.web.security import Session
from app.web.state import check_csrf, logged_in, state_of
from graph.browse.reader import read_rows
from graph.browse.search import SearchRefused, search_concepts
from graph.curate.actions import (
    ALLOWED_TYPES,
    CONFIRM_ABOVE,
    MAX_PRUNE,
    ConfirmationRequired,
    CurationError,
    PruneCriteria,
    PrunePlan,
    merge_candidate,
    prune,
    restore,
)
from kgmodel.model import CONCEPT_LABELS

__all__ = ["Refused", "router", "selection_fingerprint"]

router = APIRouter()
User = Annotated[Session, Depends(logged_in)]
CSRF = [Depends(check_csrf)]
#: Rows per page of the queues, the suppressed list and the log; rows per page of a prune preview.
PAGE_SIZE = 50
PREVIEW_PAGE_SIZE = 200
#: The last page a list goes to (a page reads the rows before it too).
MAX_PAGE = 2000
#: The queue's threshold when none is given (as in docs/curators.md).
DEFAULT_BELOW = "0.5"
#: Longest reason, id or search text a form takes.
MAX_REASON_CHARS = 1000
MAX_ID_CHARS = 1000
#: The columns of a triple the preview shows, and so what its fingerprint covers.
SHOWN = ("head", "type", "tail", "confidence", "kg_sources", "record_count")
#: Why a prune was undone at once (the audit log says so).
UNDONE = "the selection changed between the preview and the prune; undone at once"


class Refused(Exception):
    """A request the curation pages answer with a message page instead of doing it.

    ``code`` names the message (``curation_message.html``); ``detail`` is the library's own words, if any.
    """

    def __init__(self, status: int, code: str, detail: str | None = None) -> None:
        super().__init__(detail or code)
        self.status = status
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Selection:
    """What a prune with some criteria would delete now, its plan and its fingerprint."""

    rows: list[dict[str, Any]]
    plan: PrunePlan
    fingerprint: str


def selection_fingerprint(rows: Iterable[dict[str, Any]]) -> str:
    """SHA-256 of the triples as a preview shows them (:data:`SHOWN`), in sorted order.

    Rows from the queue and the ``triples`` of :class:`graph.curate.actions.PruneResult` give the same value for
    the same selection. A triple that comes or goes, or whose confidence, KG sources or record count changed, changes
    it.
    """
    items = sorted(json.dumps([sorted(r[k]) if k == "kg_sources" else r[k] for k in SHOWN], ensure_ascii=False)
                   for r in rows)
    return hashlib.sha256("\n".join(items).encode("utf-8")).hexdigest()


def _read(request: Request, name: str, **params: Any) -> list[dict[str, Any]]:
    """The rows of ``cypher/<name>.cypher`` in a READ transaction, under the page timeout."""
    web = state_of(request)
    return read_rows(web.client, name, timeout=web.config.query_timeout_s, **params)


def _message(request: Request, refused: Refused) -> Response:
    """The page that says why a request was refused."""
    return state_of(request).render(request, "curation_message.html", status_code=refused.status,
                                    status=refused.status, code=refused.code, detail=refused.detail)


def _curator(user: Session) -> None:
    """Refuse (403) anyone but a curator."""
    if user.role != "curator":
        raise Refused(403, "role")


def _criteria(below: str, type_: str, origin: str, head: str = "", tail: str = "") -> PruneCriteria:
    """The criteria of a form: a threshold in 0..1, a relationship type, an origin, a head and a tail (or none)."""
    try:
        threshold = float(below)
    except ValueError:
        raise Refused(400, "below") from None
    if not math.isfinite(threshold) or not 0.0 <= threshold <= 1.0:
        raise Refused(400, "below")
    try:
        return PruneCriteria(below=threshold, type=type_ or None, origin=origin or None,  # type: ignore[arg-type]
                             head=head or None, tail=tail or None)
    except CurationError as exc:  # origin is the form's text: PruneCriteria refuses one that is not an Origin
        raise Refused(400, "criteria", str(exc)) from exc


def _page(text: str) -> int:
    """A page number, 1 .. :data:`MAX_PAGE`."""
    try:
        number = int(text)
    except ValueError:
        raise Refused(400, "page") from None
    if not 1 <= number <= MAX_PAGE:
        raise Refused(400, "page")
    return number


def _reason(text: str) -> str:
    """The reason of a form, trimmed; refused when empty."""
    if not text.strip():
        raise Refused(400, "reason")
    return text.strip()


def _url(path: str, **params: Any) -> str:
    """``path`` with the non-empty ``params`` as its query."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{path}?{query}" if query else path


def _paged(path: str, rows: list[dict[str, Any]], number: int, size: int, **params: Any) -> dict[str, Any]:
    """One page of ``rows`` (read up to one past the page) and the links to its neighbours at ``path``."""
    start = (number - 1) * size
    return {"rows": rows[start:start + size], "page": number, "first": start + 1,
            "prev_url": _url(path, **params, page=number - 1) if number > 1 else None,
            "next_url": _url(path, **params, page=number + 1) if len(rows) > start + size else None}


def _when(value: Any) -> str:
    """A stored datetime to the second (``2025-06-01 12:00:00``)."""
    return str(value)[:19].replace("T", " ") if value is not None else ""


@router.get("/curation")
def queue(request: Request, user: User, below: str = DEFAULT_BELOW, type: str = "", origin: str = "",
          page: str = "1") -> Response:
    """The low-confidence queue: relationships below ``below`` (of one type, of one origin), lowest first."""
    web = state_of(request)
    form = {"below": below, "type": type, "origin": origin}
    context: dict[str, Any] = {"form": form, "types": sorted(ALLOWED_TYPES), "rows": [], "error": None,
                               "detail": None}
    try:
        criteria, number = _criteria(below, type, origin), _page(page)
    except Refused as exc:
        return web.render(request, "curation.html", status_code=exc.status,
                          **{**context, "error": exc.code, "detail": exc.detail})
    rows = _read(request, "curator/list_low_confidence", **criteria.params(), limit=number * PAGE_SIZE + 1)
    listing = _paged("/curation", rows, number, PAGE_SIZE, **form)
    for row in listing["rows"]:  # exactly this triple: its head, type and tail, up to its confidence
        row["prune_url"] = _url("/curation/prune/preview", below=repr(math.nextafter(row["confidence"] or 0.0, 1.0)),
                                type=row["type"], head=row["head"], tail=row["tail"],
                                focus=f"{row['head']}|{row['type']}|{row['tail']}")
    return web.render(request, "curation.html", **{**context, **listing,
                                                   "prune_all_url": _url("/curation/prune/preview", **form)})


def _selection(request: Request, criteria: PruneCriteria) -> Selection:
    """What ``criteria`` select now, read as :func:`graph.curate.actions.prune` reads it."""
    rows = _read(request, "curator/list_low_confidence", **criteria.params(), limit=MAX_PRUNE + 1)
    if len(rows) > MAX_PRUNE:
        raise Refused(400, "too_many")
    shown = [{k: r[k] for k in (*SHOWN, "record_sources")} for r in rows]
    return Selection(shown, PrunePlan.of(rows), selection_fingerprint(rows))


def _preview(request: Request, criteria: PruneCriteria, selection: Selection, number: int, focus: str = "",
             status_code: int = 200, **context: Any) -> Response:
    """The preview page: the plan, one page of the triples, the apply form (criteria, fingerprint, reason)."""
    form = {"below": repr(criteria.below), "type": criteria.type or "", "origin": criteria.origin or "",
            "head": criteria.head or "", "tail": criteria.tail or ""}
    listing = _paged("/curation/prune/preview", selection.rows, number, PREVIEW_PAGE_SIZE, **form, focus=focus)
    keys = {f"{r['head']}|{r['type']}|{r['tail']}" for r in selection.rows}
    return state_of(request).render(
        request, "curation_preview.html", status_code=status_code, **{
            "form": form, "plan": selection.plan, "fingerprint": selection.fingerprint, "focus": focus,
            "focus_found": focus in keys, "confirm_above": CONFIRM_ABOVE, "error": None, "reason": "", **listing,
            **context})


@router.get("/curation/prune/preview")
def prune_preview(request: Request, user: User, below: str = "", type: str = "", origin: str = "", head: str = "",
                  tail: str = "", page: str = "1", focus: str = "") -> Response:
    """What a prune with these criteria would delete (a dry run: nothing is written), and the form to apply it.

    ``focus`` (``head|TYPE|tail``) marks the triple the curator started from.
    """
    try:
        _curator(user)
        criteria, number = _criteria(below, type, origin, head[:MAX_ID_CHARS], tail[:MAX_ID_CHARS]), _page(page)
        return _preview(request, criteria, _selection(request, criteria), number, focus[:MAX_ID_CHARS])
    except Refused as exc:
        return _message(request, exc)


Text = Annotated[str, Form(max_length=MAX_ID_CHARS)]
Reason = Annotated[str, Form(max_length=MAX_REASON_CHARS)]


@router.post("/curation/prune", dependencies=CSRF)
def apply_prune(request: Request, user: User, below: Text = "", type: Text = "", origin: Text = "", head: Text = "",
                tail: Text = "", fingerprint: Text = "", reason: Reason = "", confirm: Text = "") -> Response:
    """Prune what the preview showed, with the reason; refuse (409) when the selection changed since."""
    try:
        _curator(user)
        criteria = _criteria(below, type, origin, head, tail)
        selection = _selection(request, criteria)
        if selection.fingerprint != fingerprint:
            raise Refused(409, "changed")
    except Refused as exc:
        return _message(request, exc)
    confirmed = confirm == "yes"
    problem = ("reason" if not reason.strip() else
               "confirm" if selection.plan.needs_confirmation and not confirmed else None)
    if problem is not None:
        return _preview(request, criteria, selection, 1, status_code=400, error=problem, reason=reason)
    web = state_of(request)
    try:
        result = prune(web.client, criteria, actor=user.name, reason=reason.strip(), apply=True, confirm=confirmed)
    except ConfirmationRequired:  # the selection grew past the limit meanwhile
        return _message(request, Refused(409, "changed"))
    except CurationError as exc:
        return _message(request, Refused(400, "refused", str(exc)))
    if result.action_id is not None and selection_fingerprint(result.triples) != fingerprint:
        return _undo_changed(request, user, result.action_id)
    return web.render(request, "curation_done.html", kind="prune", result=result.to_dict())


def _undo_changed(request: Request, user: Session, action_id: str) -> Response:
    """Restore a prune whose selection changed between the check and the prune itself; a 409 page either way."""
    try:
        restore(state_of(request).client, action_id, actor=user.name, reason=UNDONE)
    except CurationError as exc:
        return _message(request, Refused(409, "changed_kept", f"{action_id}: {exc}"))
    return _message(request, Refused(409, "changed_undone", action_id))


@router.post("/curation/restore", dependencies=CSRF)
def apply_restore(request: Request, user: User, action: Text = "", reason: Reason = "") -> Response:
    """Undo a prune or a merge (its action id), with the reason."""
    try:
        _curator(user)
        why = _reason(reason)
        found = _read(request, "curator/get_action", id=action) if action else []
        if not found:
            raise Refused(404, "action")
        if found[0]["kind"] not in ("prune", "merge"):
            raise Refused(400, "not_undoable")
        try:
            result = restore(state_of(request).client, action, actor=user.name, reason=why)
        except CurationError as exc:
            raise Refused(409, "conflict", str(exc)) from exc
    except Refused as exc:
        return _message(request, exc)
    return state_of(request).render(request, "curation_done.html", kind="restore", result=result)


@router.get("/curation/suppressed")
def suppressed(request: Request, user: User, type: str = "", page: str = "1") -> Response:
    """Relationships a prune removed and the watcher keeps from coming back, newest prune first, by prune."""
    try:
        if type and type not in ALLOWED_TYPES:
            raise Refused(400, "criteria", f"unknown relationship type {type!r}")
        number = _page(page)
    except Refused as exc:
        return _message(request, exc)
    rows = _read(request, "curator/list_suppressed", type=type or None, limit=number * PAGE_SIZE + 1)
    listing = _paged("/curation/suppressed", rows, number, PAGE_SIZE, type=type)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in listing["rows"]:
        groups.setdefault(row["action_id"], []).append({**row, "pruned_at": _when(row["pruned_at"])})
    return state_of(request).render(request, "curation_suppressed.html", groups=groups, type=type,
                                    types=sorted(ALLOWED_TYPES), **listing)


@router.get("/curation/nil")
def nil_queue(request: Request, user: User, type: str = "", page: str = "1") -> Response:
    """The candidate concepts (NIL): mention texts the linker found no KG concept for, most mentioned first."""
    try:
        if type and type not in CONCEPT_LABELS:
            raise Refused(400, "concept_type")
        number = _page(page)
    except Refused as exc:
        return _message(request, exc)
    rows = _read(request, "analyst/nil_queue", type=type or None, limit=number * PAGE_SIZE + 1)
    return state_of(request).render(request, "curation_nil.html", type=type, types=sorted(CONCEPT_LABELS),
                                    **_paged("/curation/nil", rows, number, PAGE_SIZE, type=type))


def _concepts(request: Request, *ids: str) -> dict[str, dict[str, Any]]:
    """The concepts of ``ids`` (id, name, status, type labels) that exist."""
    wanted = [i for i in ids if i and len(i) <= MAX_ID_CHARS]
    return {r["id"]: r for r in _read(request, "curator/get_concepts", ids=wanted)} if wanted else {}


@router.get("/curation/merge")
def merge_chooser(request: Request, user: User, candidate: str = "", q: str | None = None) -> Response:
    """One candidate, a search box, and the curated concepts of its type found for ``q`` to merge it into.

    The search starts with the candidate's own name.
    """
    try:
        _curator(user)
        found = _concepts(request, candidate).get(candidate)
        if found is None:
            raise Refused(404, "candidate")
    except Refused as exc:
        return _message(request, exc)
    kind = next((label for label in found["labels"] if label in CONCEPT_LABELS), None)
    text = (found["name"] or "") if q is None else q
    context: dict[str, Any] = {"candidate": found, "kind": kind, "q": text, "hits": [], "error": None}
    if found["status"] != "candidate":
        return state_of(request).render(request, "curation_merge.html", **context)
    web = state_of(request)
    try:
        result = search_concepts(web.client, text, type=kind, linker=web.linker.get())
    except SearchRefused as exc:
        return web.render(request, "curation_merge.html", status_code=400, **{**context, "error": exc.code})
    hits = [h for h in result.hits if h.status == "curated" and h.id != candidate]
    return web.render(request, "curation_merge.html", **{**context, "hits": hits})


@router.post("/curation/merge", dependencies=CSRF)
def apply_merge(request: Request, user: User, candidate: Text = "", into: Text = "",
                reason: Reason = "") -> Response:
    """Merge a candidate concept into a curated concept of its type, with the reason."""
    try:
        _curator(user)
        why = _reason(reason)
        found = _concepts(request, candidate, into)
        if candidate not in found:
            raise Refused(404, "candidate")
        if into not in found:
            raise Refused(404, "concept")
        try:
            result = merge_candidate(state_of(request).client, candidate, into, actor=user.name, reason=why)
        except CurationError as exc:
            raise Refused(400, "refused", str(exc)) from exc
    except Refused as exc:
        return _message(request, exc)
    return state_of(request).render(request, "curation_done.html", kind="merge", result=result)


def _criteria_items(text: str | None) -> list[tuple[str, str]]:
    """An action's stored criteria (JSON) as (key, value) pairs."""
    try:
        criteria = json.loads(text or "{}")
    except ValueError:
        return [("", text or "")]
    return [(str(k), str(v)) for k, v in criteria.items()] if isinstance(criteria, dict) else [("", str(criteria))]


@router.get("/curation/log")
def log(request: Request, user: User, page: str = "1") -> Response:
    """Every curation action, newest first: who, what, why, how many, when; prunes and merges can be undone."""
    try:
        number = _page(page)
    except Refused as exc:
        return _message(request, exc)
    rows = _read(request, "curator/list_actions", limit=number * PAGE_SIZE + 1)
    listing = _paged("/curation/log", rows, number, PAGE_SIZE)
    listing["rows"] = [{**a, "at": _when(a["at"]), "restored_at": _when(a["restored_at"]),
                        "criteria": _criteria_items(a["criteria"]),
                        "undoable": a["kind"] in ("prune", "merge") and a["status"] in ("done", "partial")}
                       for a in listing["rows"]]
    return state_of(request).render(request, "curation_log.html", **listing)
