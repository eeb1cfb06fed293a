"""``medkg ingest``: EMR records into ``(:EMR)`` nodes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli.common import JsonFlag, emit, err, fail, kv_table, out

__all__ = ["ingest"]


def ingest(
    path: Annotated[Path, typer.Argument(help="A JSONL/CCKS file, a folder of them, or a folder of .txt files.")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl ({id, text, meta}), ccks or text.")] = "jsonl",
    source: Annotated[str | None, typer.Option(help="Recorded as EMR.source (default: the file name).")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Same id, new text: replace and re-extract.")] = False,
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Skip and list bad lines.")] = False,
    batch_size: Annotated[int, typer.Option(help="Records per write transaction.")] = 1000,
    as_json: JsonFlag = False,
) -> None:
    """Create EMR nodes (status NEW) for the watcher; the same id and text again changes nothing."""
    from pydantic import ValidationError

    from app.progress import progress_bars
    from graph.db.connection import GraphClient
    from graph.watch.config import IngestConfig
    from graph.watch.ingest import IngestError, ingest_path

    try:
        config = IngestConfig(format=fmt, source=source, replace=replace, skip_invalid=skip_invalid,
                              batch_size=batch_size)
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"invalid option --{str(first['loc'][0]).replace('_', '-')}: {first['msg']}", code=2, as_json=as_json)
    try:
        with GraphClient.from_environment() as client, progress_bars(not as_json) as bars:
            result = ingest_path(client, path, config, progress=bars)
    except (IngestError, FileNotFoundError) as exc:
        fail(str(exc), code=2, as_json=as_json)
    emit(result.to_dict(), as_json, _render)


def _render(payload: dict[str, Any]) -> None:
    out.print(kv_table(f"ingested {payload['source']}", {k: payload[k] for k in (
        "format", "read", "created", "unchanged", "replaced", "seconds")}))
    for line in payload["skipped"][:10]:
        err.print(f"skipped: {line}", highlight=False, markup=False)
