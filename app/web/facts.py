"""The fact page (a concept-level relationship traced to its record spans and KG sources) and the overview.

Both need a logged-in user and read the graph in READ transactions only (:mod:`graph.browse`).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from app.web import charts
from app.web.highlight import Piece, segments
from app.web.i18n import gettext_for, language_of
from app.web.pages import MAX_ID_CHARS
from app.web.security import Session
from app.web.state import LANG_COOKIE, logged_in, state_of
from graph.analyst.library import QueryParamError
from graph.browse.facts import fact_page
from graph.browse.overview import Overview, overview

__all__ = ["context_pieces", "router"]

router = APIRouter()
User = Annotated[Session, Depends(logged_in)]


def context_pieces(row: dict[str, Any]) -> list[Piece]:
    """A relation mention's context cut at its subject and object (each piece's mention ``type`` names the role)."""
    base = row["context_start"]
    marks = [{"start": row[f"{role}_start"] - base, "end": row[f"{role}_end"] - base, "type": role}
             for role in ("subject", "object") if row[f"{role}_start"] is not None]
    return segments(row["context"] or "", marks)


@router.get("/fact")
def fact(request: Request, user: User, head: str = "", type: str = "", tail: str = "") -> Response:
    """One fact: the relationship's sources and the confidence rule step by step, and every record span behind it."""
    web = state_of(request)
    ids_ok = all(0 < len(x) <= MAX_ID_CHARS for x in (head, type, tail))
    page = fact_page(web.client, head, type, tail) if ids_ok else None
    if page is None:
        raise HTTPException(status_code=404)
    return web.render(request, "fact.html", page=page, pieces=context_pieces)


#: Bar colours of the treatments chart: the KG recommends or lists the treatment too, or not.
KG_AGREES, KG_SILENT = "#2f7d4f", "#9aa7b4"
#: Mention certainties in the order the assertion chart stacks them.
CERTAINTIES = ("affirmed", "negated", "possible", "unknown")


def overview_charts(view: Overview, _: Any) -> dict[str, Any]:
    """The overview's charts (``_`` translates their labels); a chart is ``None`` when it has nothing to show."""
    out: dict[str, Any] = {}
    rows = view.treatments
    out["treatments"] = charts.hbar(
        [r["name"] for r in rows], [r["records"] for r in rows],
        colours=[KG_AGREES if r["kg_recommends"] or r["kg_common"] else KG_SILENT for r in rows],
        legend={_("the KG recommends or lists it too"): KG_AGREES, _("records only"): KG_SILENT},
        title=_("Records stating the treatment")) if rows else None
    rows = view.mentions
    out["mentions"] = charts.stacked(
        [_(r["type"]) for r in rows], {_("linked to the KG"): [r["linked_kg"] for r in rows],
                                       _("candidate concept"): [r["linked_candidate"] for r in rows],
                                       _("not linked"): [r["unlinked"] for r in rows]},
        title=_("Mentions by type")) if rows else None
    types = list(view.assertion)
    used = [c for c in CERTAINTIES if any(c in view.assertion[t] for t in types)]
    out["assertion"] = charts.stacked(
        [_(t) for t in types], {_(c): [view.assertion[t].get(c, 0) for t in types] for c in used},
        title=_("Mentions by certainty")) if types else None
    runs = view.runs
    xs = list(range(1, len(runs) + 1))
    mentions, relations, total_m, total_r = [], [], 0, 0
    for r in runs:
        total_m += r["mentions"] or 0
        total_r += r["relations"] or 0
        mentions.append(total_m)
        relations.append(total_r)
    out["growth"] = charts.lines(xs, {_("Mentions"): mentions, _("Relation mentions"): relations},
                                 title=_("Written so far"), x_label=_("watcher run")) if runs else None
    out["throughput"] = charts.lines(xs, {_("records/s"): [r["records_per_s"] or 0 for r in runs]},
                                     title=_("Records per second"), x_label=_("watcher run")) if runs else None
    buckets = [f"{b / 10:.1f}–{(b + 1) / 10:.1f}" for b in range(10)]
    origins = {"kg": _("KG only"), "records": _("records only"), "both": _("KG and records"), "none": _("no source")}
    out["confidence"] = charts.stacked(
        buckets, {origins.get(origin, origin): counts for origin, counts in sorted(view.histogram.items())},
        title=_("Relationships by confidence")) if view.histogram else None
    return out


@router.get("/overview")
def overview_page(request: Request, user: User, disease: str = "") -> Response:
    """The report's sections and charts, read from the live graph (again when older than ``overview_ttl_s``)."""
    web = state_of(request)
    _ = gettext_for(language_of(request.cookies.get(LANG_COOKIE)))
    if len(disease) > MAX_ID_CHARS:
        raise HTTPException(status_code=404)
    try:
        view, read_at = web.overviews.get(disease, lambda: overview(web.client, disease or None))
    except QueryParamError:
        raise HTTPException(status_code=404) from None
    return web.render(request, "overview.html", view=view, charts=overview_charts(view, _),
                      read_at=time.strftime("%H:%M:%S", time.localtime(read_at)))
