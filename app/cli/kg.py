"""``medkg kg``: load a KG source into the graph, count what is there."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli.common import JsonFlag, emit, err, fail, kv_table, out, stats_render

__all__ = ["kg_app"]

kg_app = typer.Typer(help="Load and inspect the medical knowledge graph.", no_args_is_help=True)


@kg_app.command("load")
def kg_load(
    path: Annotated[Path | None, typer.Argument(
        help="A KG file, or a folder of files of the format; for cmekg, omit it to read the installed "
             "PyCMeKG package's pickle.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="qasystem, xywy, triples or cmekg.")] = "triples",
    source: Annotated[str | None, typer.Option(help="Source name recorded on nodes and edges.")] = None,
    confidence: Annotated[float | None, typer.Option(
        help="Confidence of this source's triples (default 0.8; cmekg 0.7).")] = None,
    encoding: Annotated[str | None, typer.Option(help="Force an encoding (default: UTF-8 or GBK).")] = None,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Skip and count invalid records (a JSON line, a CSV record, an xywy record), "
                               "each one whole.")] = False,
    batch_size: Annotated[int, typer.Option(help="Rows per write transaction.")] = 10_000,
    allow_unpinned: Annotated[bool, typer.Option(
        "--allow-unpinned", help="cmekg: read a pickle whose sha256 is not the pinned PyCMeKG 0.2.5 file's "
                                 "(still with the restricted unpickler).")] = False,
    bulk: Annotated[bool, typer.Option(
        "--bulk", help="First load of an empty embedded database with Neo4j's offline importer (neo4j-admin "
                       "database import; the server is stopped meanwhile); same graph as the MERGE path.")] = False,
    also: Annotated[list[str] | None, typer.Option(
        "--also", help="--bulk: load this source after PATH, as FORMAT or FORMAT=PATH (cmekg alone reads the "
                       "installed PyCMeKG); repeat for more.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Load a KG idempotently: a second load of a source changes nothing, a new source merges."""
    from pydantic import ValidationError

    from app.progress import progress_bars
    from graph.db.connection import GraphClient
    from graph.kg.loader import KGLoadError, LoadConfig, load_kg
    from kgmodel.cmekg import CMeKGRefused
    from kgmodel.formats import FORMATS

    if fmt not in FORMATS:
        fail(f"unknown --format {fmt!r}; choose one of: {', '.join(FORMATS)}", code=2, as_json=as_json)
    if path is None and fmt != "cmekg":
        fail(f"PATH is required for --format {fmt}; only --format cmekg finds its file itself (in the "
             "installed PyCMeKG package)", code=2, as_json=as_json)
    try:
        config = LoadConfig(format=fmt, source=source, confidence=confidence, encoding=encoding,
                            skip_invalid=skip_invalid, batch_size=batch_size, allow_unpinned=allow_unpinned)
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"invalid option: {first['loc'][0] if first['loc'] else 'config'}: {first['msg']}", code=2,
             as_json=as_json)
    if also and not bulk:
        fail("--also goes with --bulk; without it, run one `medkg kg load` per source", code=2, as_json=as_json)
    if bulk:
        _bulk(path, config, also or [], as_json)
        return
    try:
        with GraphClient.from_environment() as client, progress_bars(not as_json) as bars:
            result = load_kg(client, path, config, progress=bars)
    except (KGLoadError, CMeKGRefused, FileNotFoundError, LookupError) as exc:
        fail(str(exc), code=2, as_json=as_json)
    emit(result.to_dict(), as_json, _load_render)


def _bulk(path: Path | None, config: Any, also: list[str], as_json: bool) -> None:
    from app.kg_loading import bulk_load_embedded
    from app.progress import progress_bars
    from graph.kg.bulk import BulkLoadError
    from graph.kg.loader import KGLoadError
    from kgmodel.cmekg import CMeKGRefused

    try:
        with progress_bars(not as_json) as bars:
            result = bulk_load_embedded(path, config, also, progress=bars)
    except (KGLoadError, CMeKGRefused, FileNotFoundError, LookupError, BulkLoadError) as exc:
        fail(str(exc), code=2, as_json=as_json)
    emit(result.to_dict(), as_json, _bulk_render)


def _bulk_render(payload: dict[str, Any]) -> None:
    summary = {"sources": ", ".join(s["source"] for s in payload["sources"]),
               "nodes imported": payload["nodes_imported"], "relationships imported": payload["relationships_imported"],
               **{f"seconds {k}": v for k, v in payload["seconds"].items()}, **payload["rates"],
               **{f"MB {k}": v for k, v in payload["memory_mb"].items()}, "importer log": payload["import_log"]}
    out.print(kv_table("bulk load", summary))
    for source in payload["sources"]:
        for line in source["errors"][:10]:
            err.print(f"skipped ({source['source']}): {line}", highlight=False, markup=False)


def _load_render(payload: dict[str, Any]) -> None:
    summary = {"source": payload["source"], "units read": payload["units_read"],
               "units skipped": payload["units_skipped"], "names cleaned": payload["names_cleaned"],
               **payload["written"],
               "seconds": payload["seconds"]["total"], **payload["rates"]}
    out.print(kv_table(f"loaded {payload['format']}", summary))
    details = payload.get("format_summary") or {}
    if details.get("skipped_predicates"):
        typed = {f"subjects: {label}": count for label, count in details["subject_types"].items()}
        typed |= {"mixed signals": details["mixed_subjects"], "untyped (skipped)": details["untyped_subjects"],
                  "aliases": details["aliases"], "ICD-10 codes": details["codes"],
                  "placeholders skipped": details["placeholders"],
                  "predicates skipped": len(details["skipped_predicates"])}
        out.print(kv_table("subject types", typed))
        out.print(kv_table("skipped facts", dict(list(details["skipped_predicates"].items())[:15])))
    for line in payload["errors"][:10]:
        err.print(f"skipped: {line}", highlight=False, markup=False)


@kg_app.command("stats")
def kg_stats(as_json: JsonFlag = False) -> None:
    """Node counts per label, relationship counts per type."""
    from graph.db.connection import GraphClient
    from graph.kg.stats import graph_stats

    with GraphClient.from_environment() as client:
        stats = graph_stats(client)
    emit(stats.to_dict(), as_json, stats_render)
