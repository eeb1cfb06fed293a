"""``medkg link``: link one mention to KG concepts with the linker built from the graph."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli.common import JsonFlag, emit, fail, out

__all__ = ["link"]


def link(
    text: Annotated[str, typer.Argument(help="The mention to link, e.g. 爱若华.")],
    mention_type: Annotated[str | None, typer.Option("--type", help="NER type (Disease, Drug, LabTest, "
                                                     "...), CCKS label or KG label.")] = None,
    k: Annotated[int, typer.Option(help="How many candidates.", min=1, max=50)] = 5,
    as_json: JsonFlag = False,
) -> None:
    """Link one mention to KG concepts: top-k candidates with score and the step that decided."""
    from dataclasses import asdict

    from app.linking import link_mention
    from graph.db.connection import GraphClient

    try:
        with GraphClient.from_environment() as client:
            result = link_mention(client, text, mention_type, k)
    except (ValueError, TypeError, LookupError) as exc:
        fail(str(exc), code=2, as_json=as_json)
    payload = asdict(result) | {"method": result.method}
    emit(payload, as_json, _link_render)


def _link_render(payload: dict[str, Any]) -> None:
    table = Table(title=f"{payload['mention']} -> {'NIL' if payload['is_nil'] else payload['best']['name']}")
    for column in ("concept", "name", "type", "score", "method"):
        table.add_column(column)
    for cand in payload["candidates"]:
        table.add_row(cand["concept_id"], cand["name"], cand["type"], f"{cand['score']:.3f}", cand["method"])
    out.print(table)
    if payload["is_nil"]:
        out.print(f"NIL: candidate concept {payload['nil_candidate_id']}")
