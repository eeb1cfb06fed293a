"""``medkg report``: a static HTML page with charts, read from the live graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli import common

__all__ = ["report_command"]


def report_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for index.html and its SVG charts.")],
    disease: Annotated[str | None, typer.Option(
        help="Disease concept id for the treatments chart (default: the one with most record-derived treatments).")
    ] = None,
    below: Annotated[float, typer.Option(help="Confidence threshold of the low-confidence queue.")] = 0.5,
    top: Annotated[int, typer.Option(help="Rows per table and bars per chart.")] = 15,
    as_json: common.JsonFlag = False,
) -> None:
    """Write the report (treatments, mentions, KG growth, throughput, low-confidence and NIL queues)."""
    from app.report import write_report
    from graph.analyst.library import QueryError
    from graph.curate.actions import CurationError
    from graph.db.connection import GraphClient

    if top < 1:
        common.fail(f"--top must be at least 1, got {top}", code=2, as_json=as_json)
    try:
        with GraphClient.from_environment() as client:
            result = write_report(client, out_dir, disease=disease, top=top, below=below)
    except (QueryError, CurationError) as exc:
        common.fail(str(exc), code=2, as_json=as_json)
    except OSError as exc:
        common.fail(f"cannot write the report to {out_dir}: {exc}", code=2, as_json=as_json)
    common.emit(result.to_dict(), as_json, lambda p: common.out.print(
        f"report written: {p['path']} ({len(p['charts'])} charts; open it in a browser)", highlight=False))
