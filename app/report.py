"""``medkg report``: one static HTML page with SVG charts, read from the live graph.

Sections (each from a library query, so the page shows what ``medkg query`` would): the graph in
numbers; top treatments of one disease as found in records, beside the KG's own recommendation
(``top_treatments``; the disease with the most record-derived treatments unless one is given);
mentions by type and how they link (``mentions_by_type``); what the records assert: mentions per
certainty and experiencer (``mentions_by_assertion``); KG growth over watcher runs and the
watcher's throughput per run (``run_coverage``); the low-confidence queue (``curator/list_low_confidence``)
with the confidence histogram by origin (``confidence_histogram``); the candidate-concept queue
(``nil_queue``). Charts are matplotlib SVGs with text kept as text, so the viewer's fonts render the
Chinese names; every value written into the page is HTML-escaped.

Example:
    >>> _esc("<b>胃癌</b>")
    '&lt;b&gt;胃癌&lt;/b&gt;'
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph.analyst.library import QueryParamError, run_library_query
from graph.db.connection import GraphClient

__all__ = ["ReportResult", "write_report"]

_CSS = """
body { font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 2rem auto; max-width: 1100px; color: #1d2733; }
h1 { margin-bottom: 0.2rem; } .sub { color: #5b6b7c; margin-top: 0; }
section { margin: 2rem 0; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: 0.3rem; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.6rem 0; }
th, td { border: 1px solid #d0d7de; padding: 0.25rem 0.6rem; text-align: left; }
th { background: #f3f5f7; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.grid { display: flex; flex-wrap: wrap; gap: 1rem; } .card { border: 1px solid #d0d7de; border-radius: 6px;
        padding: 0.6rem 1rem; min-width: 9rem; } .card b { display: block; font-size: 1.4rem; }
img { max-width: 100%; } .empty { color: #5b6b7c; font-style: italic; }
"""


@dataclass
class ReportResult:
    """What :func:`write_report` wrote."""

    path: str
    charts: list[str]
    disease: str | None
    sections: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


def _esc(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list | dict):
        return html.escape(json.dumps(value, ensure_ascii=False))
    return html.escape(str(value))


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str], empty: str) -> str:
    if not rows:
        return f'<p class="empty">{_esc(empty)}</p>'
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(
        f'<td class="num">{_esc(r.get(c))}</td>' if isinstance(r.get(c), int | float) and not isinstance(r.get(c), bool)
        else f"<td>{_esc(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class _Charts:
    """matplotlib on the Agg backend, SVG with text as text."""

    def __init__(self, out: Path) -> None:
        import logging

        import matplotlib

        matplotlib.use("Agg", force=True)
        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # "findfont: ..." on fallbacks
        import matplotlib.pyplot as plt

        self.plt, self.out = plt, out
        self.written: list[str] = []
        plt.rcParams.update({"svg.fonttype": "none", "font.size": 10, "axes.spines.top": False,
                             "axes.spines.right": False,
                             "font.sans-serif": ["Noto Sans CJK SC", "WenQuanYi Zen Hei", "DejaVu Sans"]})

    def save(self, fig: Any, name: str) -> str:
        fig.tight_layout()
        fig.savefig(self.out / name, format="svg")
        self.plt.close(fig)
        self.written.append(name)
        return f'<img src="{_esc(name)}" alt="{_esc(name)}">'

    def hbar(self, name: str, labels: list[str], values: list[float], colours: list[str], xlabel: str) -> str:
        fig, ax = self.plt.subplots(figsize=(8, 0.4 * len(labels) + 1.2))
        ax.barh(range(len(labels)), values, color=colours)
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        return self.save(fig, name)

    def stacked(self, name: str, labels: list[str], parts: dict[str, list[float]], ylabel: str) -> str:
        fig, ax = self.plt.subplots(figsize=(8, 3.6))
        bottom = [0.0] * len(labels)
        for part, values in parts.items():
            ax.bar(labels, values, bottom=bottom, label=part)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_ylabel(ylabel)
        ax.legend(frameon=False)
        return self.save(fig, name)

    def lines(self, name: str, xs: list[int], series: dict[str, Sequence[float]], xlabel: str, ylabel: str) -> str:
        fig, ax = self.plt.subplots(figsize=(8, 3.4))
        from matplotlib.ticker import MaxNLocator

        for label, values in series.items():
            ax.plot(xs, values, marker="o", label=label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(frameon=False)
        return self.save(fig, name)


def _rows(client: GraphClient, name: str, **params: Any) -> list[dict[str, Any]]:
    return run_library_query(client, name, params, row_limit=10_000).rows


def _assertion_section(client: GraphClient, charts: _Charts) -> tuple[str, int]:
    """Mentions per certainty and experiencer (``mentions_by_assertion``), with a chart per type by certainty.

    Returns the section's HTML and the number of rows the query gave.
    """
    rows = _rows(client, "mentions_by_assertion")
    by_type: dict[str, dict[str, int]] = {}
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        counts = by_type.setdefault(r["type"], {})
        counts[r["certainty"]] = counts.get(r["certainty"], 0) + r["mentions"]
        cell = table.setdefault((r["certainty"], r["experiencer"]), {
            "certainty": r["certainty"], "experiencer": r["experiencer"], "mentions": 0})
        cell["mentions"] += r["mentions"]
    chart = ""
    if rows:
        types = sorted(by_type, key=lambda t: -sum(by_type[t].values()))
        order = ["affirmed", "negated", "possible", "unknown"]
        chart = charts.stacked("assertion.svg", types, {c: [by_type[t].get(c, 0) for t in types] for c in order
                                                        if any(c in by_type[t] for t in types)}, "current mentions")
    cells = sorted(table.values(), key=lambda c: -c["mentions"])
    unknown = sum(c["mentions"] for c in cells if c["certainty"] == "unknown")
    note = (f"<p>{unknown:,} mentions have no assertion (processed before the assertion step): the record "
            "queries leave them out until the records are re-processed (docs/analysts.md: Re-processing a graph).</p>"
            if unknown else "")
    return ('<section id="assertion"><h2>What the records assert</h2><p>Mentions by certainty and experiencer: '
            "only affirmed findings of the patient count as record evidence; negated ones are pertinent "
            f"negatives.</p>{chart}" + _table(cells, ("certainty", "experiencer", "mentions"), "no mentions yet")
            + note + "</section>"), len(rows)


def write_report(client: GraphClient, out_dir: str | Path, *, disease: str | None = None, top: int = 15,
                 below: float = 0.5) -> ReportResult:
    """Write ``index.html`` and its SVG charts into ``out_dir`` (created; existing files replaced).

    Raises:
        QueryParamError: ``disease`` is not a concept of the graph.

    Args:
        client: The live graph (read transactions only).
        out_dir: Output folder.
        disease: Concept id for the treatments chart (default: the disease with most record-derived treatments).
        top: Rows per table and bars per chart.
        below: Confidence threshold of the low-confidence queue.
    """
    from graph.curate.actions import PruneCriteria, list_low_confidence
    from graph.kg.stats import graph_stats

    started = time.perf_counter()
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    charts = _Charts(out)
    stats = graph_stats(client)
    if disease is None:
        ranked = _rows(client, "diseases_by_records", limit=1)
        disease = ranked[0]["disease"] if ranked else None
    else:
        try:
            _rows(client, "get_concept", id=disease)
        except QueryParamError as exc:
            raise QueryParamError(f"--disease {disease!r}: {str(exc).split(': ', 1)[-1]}") from None
    sections: dict[str, int] = {}
    parts: list[str] = []

    cards = {"concepts": stats.labels.get("Concept", 0), "relationships": stats.relationships_total,
             "records": stats.labels.get("EMR", 0), "mentions": stats.labels.get("Mention", 0),
             "relation mentions": stats.labels.get("RelationMention", 0), "runs": stats.labels.get("Run", 0)}
    parts.append('<section id="numbers"><h2>The graph in numbers</h2><div class="grid">' + "".join(
        f'<div class="card"><b>{v:,}</b>{_esc(k)}</div>' for k, v in cards.items()) + "</div></section>")

    treatments = _rows(client, "top_treatments", disease=disease, limit=top) if disease else []
    sections["treatments"] = len(treatments)
    chart = ""
    if treatments:
        colours = ["#2f7d4f" if r["kg_recommends"] or r["kg_common"] else "#9aa7b4" for r in treatments]
        chart = charts.hbar("treatments.svg", [r["name"] for r in treatments], [r["records"] for r in treatments],
                            colours, "records stating the treatment (green: the KG recommends or lists it too)")
    title = disease.split(":", 1)[-1] if disease else "-"
    parts.append(f'<section id="treatments"><h2>Top treatments of {_esc(title)} in records</h2>{chart}'
                 + _table(treatments, ("name", "type", "records", "confidence", "kg_recommends", "kg_common"),
                          "no record-derived treatment facts yet") + "</section>")

    mentions = _rows(client, "mentions_by_type", certainty="any", experiencer="any", temporality="any")
    sections["mentions"] = len(mentions)
    chart = charts.stacked("mentions.svg", [r["type"] for r in mentions], {
        "linked to the KG": [r["linked_kg"] for r in mentions],
        "candidate concept": [r["linked_candidate"] for r in mentions],
        "unlinked": [r["unlinked"] for r in mentions]}, "current mentions") if mentions else ""
    parts.append(f'<section id="mentions"><h2>Mentions by type</h2>{chart}'
                 + _table(mentions, ("type", "mentions", "linked_kg", "linked_candidate", "unlinked"),
                          "no mentions yet: run medkg watch") + "</section>")

    assertion_html, sections["assertion"] = _assertion_section(client, charts)
    parts.append(assertion_html)

    runs = list(reversed(_rows(client, "run_coverage", limit=200)))
    sections["runs"] = len(runs)
    growth = throughput = ""
    if runs:
        xs = list(range(1, len(runs) + 1))
        total_m = total_r = 0
        cum_m, cum_r = [], []
        for r in runs:
            total_m += r["mentions"] or 0
            total_r += r["relations"] or 0
            cum_m.append(total_m)
            cum_r.append(total_r)
        growth = charts.lines("growth.svg", xs, {"mentions": cum_m, "relation mentions": cum_r}, "watcher run",
                              "written so far")
        throughput = charts.lines("throughput.svg", xs, {"records/s": [r["records_per_s"] or 0 for r in runs]},
                                  "watcher run", "records per second")
    parts.append(f'<section id="growth"><h2>KG growth over watcher runs</h2>{growth}</section>')
    parts.append(f'<section id="throughput"><h2>Watcher throughput per run</h2>{throughput}'
                 + _table(list(reversed(runs))[:top], ("run", "status", "done", "failed", "mentions", "relations",
                                                       "seconds", "records_per_s"), "no watcher runs yet")
                 + "</section>")

    low = list_low_confidence(client, PruneCriteria(below=below), limit=top)
    hist = _rows(client, "confidence_histogram")
    sections["low_confidence"] = len(low)
    chart = ""
    if hist:
        origins = sorted({r["origin"] for r in hist})
        labels = [f"{b / 10:.1f}-{(b + 1) / 10:.1f}" for b in range(10)]
        counts = {o: [0.0] * 10 for o in origins}
        for r in hist:
            counts[r["origin"]][int(r["bucket"])] = r["relationships"]
        chart = charts.stacked("confidence.svg", labels, counts, "relationships")
    parts.append(f'<section id="low-confidence"><h2>Low-confidence queue (confidence &lt; {below})</h2>{chart}'
                 + _table(low, ("head", "type", "tail", "confidence", "kg_sources", "record_count"),
                          "nothing below the threshold")
                 + "<p>Prune with <code>medkg curate prune --below X --actor NAME --reason TEXT --apply</code>; "
                   "undo with <code>medkg curate restore ACTION_ID</code>.</p></section>")

    nil = _rows(client, "nil_queue", limit=top)
    sections["nil"] = len(nil)
    parts.append('<section id="nil"><h2>Candidate concepts (NIL queue)</h2>'
                 + _table(nil, ("name", "type", "mentions", "records", "examples"), "no candidate concepts")
                 + "<p>Merge with <code>medkg curate merge CANDIDATE_ID --into CONCEPT_ID</code>.</p></section>")

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>medkg report</title>'
            f"<style>{_CSS}</style></head><body><h1>medkg report</h1>"
            f'<p class="sub">Read from {_esc(client.uri)} at {stamp}.</p>' + "".join(parts) + "</body></html>\n")
    path = out / "index.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return ReportResult(str(path), charts.written, disease, sections, round(time.perf_counter() - started, 3))
