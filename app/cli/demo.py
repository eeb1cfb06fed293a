"""``medkg demo``: the main job end to end on the sample data medkg ships."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli.common import JsonFlag, emit, err, fail, kv_table, out

__all__ = ["demo"]


def _render(p: dict[str, Any]) -> None:
    watch = p["watch"]
    out.print(kv_table("demo", {
        "database": p["database"]["uri"], "sample KG": p["load"]["source"],
        "concepts / relationships": f"{p['stats']['labels'].get('Concept', 0)} / {p['stats']['relationships_total']}",
        "TransE run": p["embedding"]["run_id"] or f"none: {p['embedding'].get('skipped')}",
        "records ingested (new)": p["ingest"]["created"],
        "extractors run": ", ".join(watch["extractors"]) or "none",
        "records DONE / FAILED this cycle": f"{watch['done']} / {watch['failed']}",
        "mentions written this cycle": watch["mentions_created"]}))
    table = Table(title="current mentions per type")
    for column in ("type", "mentions", "linked to KG", "candidate concept", "unlinked"):
        table.add_column(column)
    for row in p["mentions"]:
        table.add_row(row["type"], str(row["mentions"]), str(row["linked_kg"]), str(row["linked_candidate"]),
                      str(row["unlinked"]))
    out.print(table)
    t = p["trace"]
    if t:
        out.print(f"one fact traced: ({t['head']})-[:{t['type']} confidence {t['confidence']:.2f}, "
                  f"{t['record_count']} record(s)]->({t['tail']})", highlight=False, markup=False)
        out.print(f"  from record {t['record']}: {t['subject']!r} at {t['subject_span']} and {t['object']!r} at "
                  f"{t['object_span']} ({t['predicate']}), found by {t['ner_extractor']} and "
                  f"{t['relation_extractor']} in run {t['run']}", highlight=False, markup=False)
    n = p.get("negated")
    if n:
        out.print(f"one negated mention: {n['text']!r} ({n['concept']}) in {n['record']} at {n['start']}-{n['end']}, "
                  f"cue {n['cue']!r}: certainty {n['certainty']}, so it is no evidence of anything "
                  f"({n['positive_relation_mentions']} positive relation mentions, {n['pertinent_negatives']} "
                  "pertinent negatives)", highlight=False, markup=False)
        for f in n["facts"]:
            out.print(f"  ({f['head']})-[:{f['type']}]->({f['tail']}): {f['record_count']} record(s) of evidence, "
                      f"{f['from_this_record']} from this record; sources {', '.join(f['sources']) or 'none'}",
                      highlight=False, markup=False)
    q = p.get("query")
    if q:
        out.print(f"an analyst query: {q['command']}", highlight=False, markup=False)
        table = Table()
        for column in q["columns"]:
            table.add_column(column)
        for row in q["rows"]:
            table.add_row(*("" if row[c] is None else str(row[c]) for c in q["columns"]))
        out.print(table)
        out.print("more: medkg query --list; medkg report --out DIR; medkg db start --browser", highlight=False,
                  markup=False)
    out.print(f"to take the demo's data back out of this database: {p['clean_command']}", highlight=False,
              markup=False)


def _render_clean(p: dict[str, Any]) -> None:
    out.print(kv_table("demo data removed", {k.replace("_", " "): v for k, v in p.items()}))


def _interactive() -> bool:
    """Whether a person can answer a question (stdin is a terminal)."""
    return sys.stdin.isatty()


def _run(allow_other_data: bool, as_json: bool) -> dict[str, Any]:
    from app.demo import run_demo
    from app.progress import progress_bars
    from graph.watch.plugins import PluginError

    try:
        with progress_bars(not as_json) as bars:
            return run_demo(progress=bars, log=None if as_json else err.print, allow_other_data=allow_other_data)
    except PluginError as exc:  # e.g. a tagger registered earlier whose checkpoint moved or changed
        fail(f"{exc} (medkg plugins disable NAME, or register the checkpoint again as a new version)", code=1,
             as_json=as_json)


def demo(
    clean: Annotated[bool, typer.Option(
        "--clean", help="Remove what the demo wrote (its sample records, their facts, its runs and its sample "
                        "KG where no other source asserts it), and nothing else.")] = False,
    yes: Annotated[bool, typer.Option(
        "--yes", help="Write next to other data in the database without asking (needed off a terminal).")] = False,
    as_json: JsonFlag = False,
) -> None:
    """The main job end to end on the sample data medkg ships (embedded Neo4j unless NEO4J_URI)."""
    from app.demo import OtherDataError, clean_demo

    if clean:
        from graph.db.connection import GraphClient

        with GraphClient.from_environment() as client:
            emit(clean_demo(client), as_json, _render_clean)
        return
    try:
        result = _run(yes, as_json)
    except OtherDataError as exc:
        if not _interactive():
            fail(f"{exc}. Nothing was written; pass --yes to write there anyway, or point NEO4J_URI at an "
                 "empty database", code=2, as_json=as_json)
        if not typer.confirm(f"{exc}. Write the demo's data there?", default=False, err=True):
            fail("nothing was written", code=1, as_json=as_json)
        result = _run(True, as_json)
    emit(result, as_json, _render)
