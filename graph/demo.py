"""``medkg demo``: the main job end to end on the sample data the project ships.

For now: resolve the database (starting the embedded Neo4j when ``NEO4J_URI`` is not set), apply
the schema, load the sample KG, and report counts. Later stages (embeddings, tagging, linking,
provenance) extend it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from graph.connection import GraphClient, resolve_connection
from graph.kg_loader import LoadConfig, load_kg
from graph.stats import graph_stats

__all__ = ["run_demo", "sample_dir"]


def sample_dir() -> Path:
    """The folder of sample data written by the project (``data/sample`` in the repository)."""
    folder = Path(__file__).resolve().parent.parent / "data" / "sample"
    if not (folder / "kg.tsv").is_file():
        raise FileNotFoundError(f"{folder}: sample data missing; run medkg from a clone of the repository")
    return folder


def run_demo(progress: Callable[[str, int], Callable[[int], None]] | None = None,
             log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the demo and return a JSON-friendly summary."""
    say = log or (lambda message: None)
    say("resolving the database (embedded Neo4j unless NEO4J_URI is set) ...")
    info = resolve_connection()
    with GraphClient.from_info(info) as client:
        say(f"connected to {info.uri}; applying the schema ...")
        client.apply_schema()
        say("loading the sample KG ...")
        load = load_kg(client, sample_dir() / "kg.tsv", LoadConfig(format="triples", source="medkg-sample"),
                       progress=progress)
        stats = graph_stats(client)
    return {"database": info.describe(), "load": load.to_dict(), "stats": stats.to_dict()}
