"""``medkg demo``: the main job end to end on the sample data the project ships, and its removal.

1. resolve the database (the embedded Neo4j unless ``NEO4J_URI`` is set); when it already holds other
   data (:func:`other_data`), stop with :class:`OtherDataError` unless ``allow_other_data``, so that
   the caller can ask first; then apply the schema;
2. load the sample KG (``data/sample/kg.tsv``) as the KG source :data:`DEMO_SOURCE`;
3. train a small TransE run on it and write the vectors back (``kge_transe``), only when the graph
   holds nothing but the demo's data (a run writes a vector into every concept of the graph);
4. ingest the sample EMRs (``data/sample/emr.jsonl``, CCKS layout) as ``(:EMR)`` nodes with the source
   :data:`DEMO_SOURCE` and ids prefixed :data:`DEMO_RECORD_PREFIX` (so they never meet a user's ids);
5. store the built-in plugins that need no trained model (``gazetteer-ner``, ``context-assertion``,
   ``kg-linker``, ``cooccurrence-relations``) and enable them; a tagger registered earlier
   (``medkg plugins register cbt-kg-tagger --model DIR --enable``) runs too;
6. one watcher cycle;
7. a summary read back from the graph: mentions per type, linked vs candidate concepts, one
   fact traced to its record, span, extractor version and run, one negated mention (无头晕) with the
   pertinent negative it became and the unchanged record evidence of its relationship, and one query
   of the analysts' library (``top_treatments`` of the disease with the most record-derived
   treatments), as ``medkg query`` runs it.

Every step is idempotent: a second demo finds the records DONE and changes nothing. Extractors the demo
registers and the embedding run it trains are marked ``written_by: DEMO_SOURCE``.

:func:`clean_demo` (``medkg demo --clean``) takes all of it back in one transaction: the sample records
with their mentions and relation mentions, the record evidence they added to concept relationships
(recomputed without them), the runs that processed only them, the marked extractors no other run used,
the marked embedding run with its vectors, and the sample KG's source on concepts and relationships
(those that no other source asserts and nothing else refers to go).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from neo4j import ManagedTransaction, unit_of_work

from graph.db.connection import GraphClient, QuietRows, resolve_connection
from graph.db.queries import query
from graph.kg.loader import LoadConfig, load_kg
from graph.kg.relations import static_relationship_statement
from graph.kg.stats import graph_stats

__all__ = ["CLEAN_COMMAND", "DEMO_PLUGINS", "DEMO_RECORD_PREFIX", "DEMO_SOURCE", "OtherDataError", "clean_demo",
           "other_data", "run_demo", "sample_dir"]

#: The built-in plugins the demo stores and enables (no trained model needed).
DEMO_PLUGINS = ("gazetteer-ner", "context-assertion", "kg-linker", "cooccurrence-relations")
#: The demo's KG source name and its records' ``EMR.source``: what ``--clean`` selects by.
DEMO_SOURCE = "medkg-sample"
#: Prefix of the demo's record ids (``medkg-sample/emr-0001``).
DEMO_RECORD_PREFIX = f"{DEMO_SOURCE}/"
#: How a user takes the demo's data back out.
CLEAN_COMMAND = "medkg demo --clean"
#: The KGE model of the demo's vectors; they go to its default property (``kge_transe``).
_KGE_MODEL = "TransE"

Log = Callable[[str], None]


class OtherDataError(RuntimeError):
    """The database holds data besides the demo's, and writing next to it was not allowed; nothing written."""

    def __init__(self, uri: str, found: dict[str, int]) -> None:
        held = ", ".join(f"{what.replace('_', ' ')}: {count}" for what, count in found.items()
                         if count and what != "waiting")
        waiting = (f", and its watcher cycle would also process the {found['waiting']} record(s) waiting there"
                   if found.get("waiting") else "")
        super().__init__(f"{uri} already holds other data ({held}); the demo would add its sample KG and "
                         f"sample records to it{waiting} ({CLEAN_COMMAND} takes them back out)")
        self.found = found


def sample_dir() -> Path:
    """The folder of sample data written by the project (``data/sample`` in the repository)."""
    folder = Path(__file__).resolve().parent.parent / "data" / "sample"
    if not (folder / "kg.tsv").is_file():
        raise FileNotFoundError(f"{folder}: sample data missing; run medkg from a clone of the repository")
    return folder


def other_data(client: GraphClient) -> dict[str, int] | None:
    """Counts of what the graph holds besides the demo's own data, or ``None`` when it holds nothing else."""
    found = client.read("internal/count_other_data", source=DEMO_SOURCE)[0]
    held = {key: int(value) for key, value in found.items()}
    return held if any(count for what, count in held.items() if what != "waiting") else None


def _embed(client: GraphClient, progress: Any, alone: bool) -> dict[str, Any]:
    from embeddings.config import KGEConfig
    from graph.kge.store import PropertyNames, live_run
    from graph.kge.workflow import train_graph_embeddings

    existing = live_run(client, PropertyNames.for_model(_KGE_MODEL))
    if existing is not None:
        return {"run_id": existing.id, "trained": False}
    if not alone:
        return {"run_id": None, "trained": False,
                "skipped": "the graph holds other data, and a run would write a vector into each of its concepts "
                           "(medkg embed train trains one on the whole graph)"}
    result = train_graph_embeddings(client, KGEConfig(model=_KGE_MODEL, dim=16, epochs=60, seed=7), progress=progress)
    return {"run_id": result.run_id, "trained": True, "seconds": result.seconds["total"]}


def _ingest(client: GraphClient, progress: Any) -> dict[str, Any]:
    from graph.watch.config import IngestConfig
    from graph.watch.ingest import IngestRow, ingest_rows, read_records

    config = IngestConfig(format="ccks", source=DEMO_SOURCE)
    rows, _ = read_records(sample_dir() / "emr.jsonl", config)  # the project's own file: no bad lines
    rows = [IngestRow(f"{DEMO_RECORD_PREFIX}{row.id}", row.text, row.meta, row.location) for row in rows]
    return ingest_rows(client, rows, config, DEMO_SOURCE, progress).to_dict()


def _library_query(client: GraphClient) -> dict[str, Any] | None:
    from graph.analyst.library import run_library_query

    ranked = run_library_query(client, "diseases_by_records", {"limit": 1}).rows
    if not ranked or not ranked[0]["treatments"]:
        return None
    disease = ranked[0]["disease"]
    result = run_library_query(client, "top_treatments", {"disease": disease, "limit": 5})
    return {"command": f"medkg query top_treatments --param disease={disease}", **result.to_dict()}


def run_demo(progress: Callable[[str, int], Callable[[int], None]] | None = None, log: Log | None = None,
             allow_other_data: bool = False) -> dict[str, Any]:
    """Run the demo and return a JSON-friendly summary.

    Args:
        progress: progress-bar factory (``progress(description, total)`` gives an ``advance`` callback).
        log: called with a line before each step.
        allow_other_data: write next to data that is not the demo's; otherwise such a database is refused.

    Raises:
        OtherDataError: the database holds other data and ``allow_other_data`` is off; nothing was written.
    """
    from extractor.plugins.registry import find_spec
    from graph.analyst.library import ASSERTION_FILTERS
    from graph.watch.config import WatchConfig
    from graph.watch.plugins import list_extractors, register_plugin
    from graph.watch.worker import run_watcher_once

    say = log or (lambda message: None)
    say("resolving the database (embedded Neo4j unless NEO4J_URI is set) ...")
    info = resolve_connection()
    with GraphClient.from_info(info) as client:
        others = other_data(client)
        if others is not None and not allow_other_data:
            raise OtherDataError(info.uri, others)
        say(f"connected to {info.uri}; applying the schema ...")
        client.apply_schema()
        say("loading the sample KG ...")
        load = load_kg(client, sample_dir() / "kg.tsv", LoadConfig(format="triples", source=DEMO_SOURCE),
                       progress=progress)
        say("training a small TransE run and writing the vectors back ...")
        embedding = _embed(client, progress, alone=others is None)
        say("ingesting the sample EMRs ...")
        ingest = _ingest(client, progress)
        extractors = list_extractors(client)
        stored = {x.name for x in extractors}
        # one assertion plugin runs at a time: a graph that already has one (the learned model, say) keeps it
        asserting = any(x.kind == "assertion" for x in extractors)
        registered = [register_plugin(client, name, enable=True).id for name in DEMO_PLUGINS
                      if name not in stored and not (asserting and find_spec(name).kind == "assertion")]
        client.write("internal/mark_demo_writes", source=DEMO_SOURCE, extractors=registered,
                     embedding_run=embedding["run_id"] if embedding["trained"] else None)
        say("one watcher cycle over the new records ...")
        cycle = run_watcher_once(client, WatchConfig(batch_size=4, device="auto"))
        stats = graph_stats(client)
        mentions = client.read("analyst/mentions_by_type", **{f"{dim}": list(values)
                                                              for dim, values in ASSERTION_FILTERS.items()})
        negated = client.read("internal/demo_negated_mention", prefix=DEMO_RECORD_PREFIX)
        traced = client.read("analyst/trace_record_fact", fact_key=None, polarity="positive", limit=1)
        library_query = _library_query(client)
    for row in traced:
        row["run_started_at"] = str(row["run_started_at"]) if row["run_started_at"] is not None else None
    return {"database": info.describe(), "other_data": others, "load": load.to_dict(), "embedding": embedding,
            "ingest": ingest, "watch": cycle.to_dict(), "mentions": mentions, "trace": traced[0] if traced else None,
            "stats": stats.to_dict(), "query": library_query, "negated": negated[0] if negated else None,
            "clean_command": CLEAN_COMMAND}


def _facts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``update_record_relationships`` rows for ``{key, extractor}`` pairs (key ``head|TYPE|tail``)."""
    facts = []
    for row in rows:
        head, rel_type, tail = row["key"].split("|", 2)
        facts.append({"key": row["key"], "head": head, "tail": tail, "type": rel_type, "extractor": row["extractor"]})
    return sorted(facts, key=lambda fact: (fact["type"], fact["key"], fact["extractor"]))


def _clean(tx: ManagedTransaction) -> dict[str, Any]:
    from graph.kge.store import PropertyNames

    def one(name: str, **params: Any) -> dict[str, Any]:
        return tx.run(query(f"internal/{name}"), params).single(strict=True).data()

    runs = one("remove_demo_runs", source=DEMO_SOURCE, prefix=DEMO_RECORD_PREFIX)
    records = one("remove_demo_records", source=DEMO_SOURCE)
    facts = _facts(records.pop("facts"))
    update = query("internal/update_record_relationships")
    for rel_type in sorted({fact["type"] for fact in facts}):
        rows = QuietRows(fact for fact in facts if fact["type"] == rel_type)
        tx.run(static_relationship_statement(update, rel_type), rows=rows).consume()
    relationships = one("remove_demo_relationships", source=DEMO_SOURCE,
                        facts=[{k: fact[k] for k in ("head", "type", "tail")} for fact in facts])
    concepts = one("remove_demo_concepts", source=DEMO_SOURCE, candidates=records.pop("candidates"))
    names = PropertyNames.for_model(_KGE_MODEL)
    embedding = one("remove_demo_embedding_runs", source=DEMO_SOURCE, property=names.value,
                    run_property=names.run, folded=names.folded)
    return {"records": records["records"], "mentions": records["mentions"],
            "relation_mentions": records["relation_mentions"], "runs": runs["runs"],
            "extractors": runs["extractors"], "facts_recomputed": len(facts),
            "relationships_removed": relationships["removed"], "relationships_updated": relationships["updated"],
            "concepts_removed": concepts["removed"], "concepts_kept": concepts["kept"],
            "kg_sources": concepts["kg_sources"], "embedding_runs": embedding["runs"],
            "vectors_removed": embedding["vectors"]}


def clean_demo(client: GraphClient) -> dict[str, Any]:
    """Remove what :func:`run_demo` wrote, and nothing else, in one write transaction; return the counts.

    What other data refers to stays: a concept that another source asserts or another record's mention
    refers to keeps everything but the demo's source, a run that also processed other records stays,
    and so does an extractor another run used. Running it again changes nothing.
    """
    work = unit_of_work(metadata=client.metadata("internal/remove_demo_records", source=DEMO_SOURCE))(_clean)
    with client.session() as session:
        return session.execute_write(work)
