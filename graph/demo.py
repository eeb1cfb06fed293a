"""``medkg demo``: the main job end to end on the sample data the project ships.

1. resolve the database (the embedded Neo4j unless ``NEO4J_URI`` is set) and apply the schema;
2. load the sample KG (``data/sample/kg.tsv``);
3. train a small TransE run on it and write the vectors back (``kge_transe``);
4. ingest the sample EMRs (``data/sample/emr.jsonl``, CCKS layout) as ``(:EMR)`` nodes;
5. store the built-in plugins that need no trained model (``gazetteer-ner``, ``kg-linker``,
   ``cooccurrence-relations``) and enable them; a tagger registered earlier
   (``medkg plugins register cbt-kg-tagger --model DIR --enable``) runs too;
6. one watcher cycle;
7. a summary read back from the graph: mentions per type, linked vs candidate concepts, one
   fact traced to its record, span, extractor version and run, and one query of the analysts'
   library (``top_treatments`` of the disease with the most record-derived treatments), as
   ``medkg query`` runs it.

Every step is idempotent: a second demo finds the records DONE and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from graph.db.connection import GraphClient, resolve_connection
from graph.kg.loader import LoadConfig, load_kg
from graph.kg.stats import graph_stats

__all__ = ["DEMO_PLUGINS", "run_demo", "sample_dir"]

#: The built-in plugins the demo stores and enables (no trained model needed).
DEMO_PLUGINS = ("gazetteer-ner", "kg-linker", "cooccurrence-relations")


def sample_dir() -> Path:
    """The folder of sample data written by the project (``data/sample`` in the repository)."""
    folder = Path(__file__).resolve().parent.parent / "data" / "sample"
    if not (folder / "kg.tsv").is_file():
        raise FileNotFoundError(f"{folder}: sample data missing; run medkg from a clone of the repository")
    return folder


def _embed(client: GraphClient, progress: Any) -> dict[str, Any]:  # noqa: ANN401
    from embeddings.config import KGEConfig
    from graph.kge.store import PropertyNames, live_run
    from graph.kge.workflow import train_graph_embeddings

    existing = live_run(client, PropertyNames("kge_transe"))
    if existing is not None:
        return {"run_id": existing.id, "trained": False}
    result = train_graph_embeddings(client, KGEConfig(model="TransE", dim=16, epochs=60, seed=7), progress=progress)
    return {"run_id": result.run_id, "trained": True, "seconds": result.seconds["total"]}


def _library_query(client: GraphClient) -> dict[str, Any] | None:
    from graph.analyst.library import run_library_query

    ranked = run_library_query(client, "diseases_by_records", {"limit": 1}).rows
    if not ranked or not ranked[0]["treatments"]:
        return None
    disease = ranked[0]["disease"]
    result = run_library_query(client, "top_treatments", {"disease": disease, "limit": 5})
    return {"command": f"medkg query top_treatments --param disease={disease}", **result.to_dict()}


def run_demo(progress: Callable[[str, int], Callable[[int], None]] | None = None,
             log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the demo and return a JSON-friendly summary."""
    from graph.watch.config import IngestConfig, WatchConfig
    from graph.watch.ingest import ingest_path
    from graph.watch.plugins import list_extractors, register_plugin
    from graph.watch.worker import run_watcher_once

    say = log or (lambda message: None)
    say("resolving the database (embedded Neo4j unless NEO4J_URI is set) ...")
    info = resolve_connection()
    with GraphClient.from_info(info) as client:
        say(f"connected to {info.uri}; applying the schema ...")
        client.apply_schema()
        say("loading the sample KG ...")
        load = load_kg(client, sample_dir() / "kg.tsv", LoadConfig(format="triples", source="medkg-sample"),
                       progress=progress)
        say("training a small TransE run and writing the vectors back ...")
        embedding = _embed(client, progress)
        say("ingesting the sample EMRs ...")
        ingest = ingest_path(client, sample_dir() / "emr.jsonl", IngestConfig(format="ccks", source="medkg-sample"),
                             progress=progress)
        stored = {x.id: x for x in list_extractors(client)}
        for name in DEMO_PLUGINS:
            if not any(x.name == name for x in stored.values()):
                register_plugin(client, name, enable=True)
        say("one watcher cycle over the new records ...")
        cycle = run_watcher_once(client, WatchConfig(batch_size=4, device="auto"))
        stats = graph_stats(client)
        mentions = client.read("analyst/mentions_by_type")
        traced = client.read("analyst/trace_record_fact", fact_key=None, limit=1)
        library_query = _library_query(client)
    for row in traced:
        row["run_started_at"] = str(row["run_started_at"]) if row["run_started_at"] is not None else None
    return {"database": info.describe(), "load": load.to_dict(), "embedding": embedding, "ingest": ingest.to_dict(),
            "watch": cycle.to_dict(), "mentions": mentions, "trace": traced[0] if traced else None,
            "stats": stats.to_dict(), "query": library_query}
