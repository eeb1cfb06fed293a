"""The several-schema tagger in the watcher: mentions per type and record-derived HAS_SYMPTOM, before and after.

    MEDKG_DATA_DIR=../shared/data .venv/bin/python benchmarks/bench_watch_types.py \
        --before $MEDKG_HOME/models/multi/single-ccks2019-s1 --after $MEDKG_HOME/models/multi/multi-mixed-s1 \
        [--relations-model DIR] [--records 1000] [--out FILE]

On a fresh embedded Neo4j holding the full xywy KG, the 1,000 CCKS 2019 *training* texts (labels ignored):

- ``before``: the deployment before issue 22: ``gazetteer-ner`` + ``cbt-kg-tagger@1`` with the one-schema
  CCKS 2019 model (``--before``) + ``context-assertion`` + ``kg-linker`` + ``cooccurrence-relations``;
  watcher cycles until every record is DONE;
- ``after``: ``cbt-kg-tagger@1`` disabled and ``cbt-kg-tagger@2`` with the several-schema model (``--after``)
  enabled, the DONE records requeued (the re-processing path of docs/analysts.md), cycles until DONE
  again; with ``--relations-model`` a third pass, ``after_learned_relations``, swaps the rule for
  ``entity-marker-relations``;
- for each: current mentions per type, record-derived relationships and their evidence per type
  (HAS_SYMPTOM among them), relation mentions per polarity, and the watcher's records/s;
- ``tagger_alone``: both models' ``Tagger.predict`` over the same texts, all cores and one thread, no
  database, records/s side by side.

The KG vectors come from each checkpoint (``kg_source: checkpoint``): the comparison is about the output
side, and both models were trained with the same TransH run. The load average is printed with every figure.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_assertion_watch import (  # noqa: E402
    finish,
    ingest,
    load,
    mention_figures,
    process,
    progress,
    relation_figures,
    texts,
    xywy_graph,
)

from graph.db.connection import GraphClient  # noqa: E402
from graph.watch.claims import requeue_records  # noqa: E402
from graph.watch.config import WatchConfig  # noqa: E402
from graph.watch.plugins import register_plugin, relation_config, set_enabled, tagger_config  # noqa: E402
from graph.watch.worker import Watcher  # noqa: E402


def tagger_alone(model: Path, corpus: list[str], threads: int) -> dict[str, Any]:
    """Records/s of ``Tagger.predict`` over ``corpus`` (after a warm-up), no database."""
    from extractor.checkpoint import load_tagger

    tagger = load_tagger(model, threads=threads)
    tagger.predict(corpus[:16])
    started = time.perf_counter()
    spans = tagger.predict(corpus, batch_size=32)
    seconds = time.perf_counter() - started
    return {"threads": tagger.threads, "seconds": round(seconds, 2), "records_per_s": round(len(corpus) / seconds, 1),
            "spans": sum(map(len, spans)), "load": load()}


def figures(client: GraphClient, run: dict[str, Any]) -> dict[str, Any]:
    mentions, relations = mention_figures(client), relation_figures(client)
    return {"run": {k: run[k] for k in ("done", "failed", "seconds", "records_per_s", "cycles")},
            "mentions_per_type": mentions["per_type"], "mentions": mentions["current"],
            "per_type_x_certainty": mentions["per_type_x_certainty"],
            "record_relationships_per_type": relations["per_type"],
            "has_symptom": relations["per_type"].get("HAS_SYMPTOM", {}),
            "relation_mentions_per_polarity": relations["relation_mentions_per_polarity"], "load": load()}


def run(client: GraphClient, corpus: list[str], args: argparse.Namespace, report: dict[str, Any]) -> None:
    for name in ("gazetteer-ner", "context-assertion", "kg-linker", "cooccurrence-relations"):
        register_plugin(client, name, enable=True)
    before = register_plugin(client, "cbt-kg-tagger", "1", tagger_config(args.before, client), enable=True)
    watcher = Watcher(client, WatchConfig(batch_size=32, device="cpu", backoff_seconds=0.0))
    watcher.load_extractors()
    report["ingest_s"] = ingest(client, corpus)
    progress(f"before: {before.id} on {len(corpus)} records")
    report["before"] = figures(client, process(client, watcher))
    set_enabled(client, before.id, False)
    after = register_plugin(client, "cbt-kg-tagger", "2", tagger_config(args.after, client), enable=True)
    report["requeued"] = requeue_records(client, "DONE", None)
    progress(f"after: {after.id}, the DONE records requeued")
    report["after"] = figures(client, process(client, watcher))
    if args.relations_model is not None:
        set_enabled(client, "cooccurrence-relations@1", False)
        register_plugin(client, "entity-marker-relations", config=relation_config(args.relations_model),
                        enable=True)
        requeue_records(client, "DONE", None)
        progress("after, learned relations: entity-marker-relations in place of the rule, requeued")
        report["after_learned_relations"] = figures(client, process(client, watcher))


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)
    logging.getLogger("medkg.watch").setLevel(logging.INFO)
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", type=Path, required=True, help="one-schema CCKS 2019 checkpoint")
    parser.add_argument("--after", type=Path, required=True, help="several-schema checkpoint")
    parser.add_argument("--relations-model", type=Path, default=None)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--heap", default="1g")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    corpus = texts(args.records)
    report: dict[str, Any] = {"records": len(corpus), "characters": sum(map(len, corpus)), "cpus": os.cpu_count(),
                              "before_model": str(args.before), "after_model": str(args.after), "load_start": load()}
    report["tagger_alone"] = {name: {"all_cores": tagger_alone(model, corpus, 0), "one_thread":
                                     tagger_alone(model, corpus, 1)}
                              for name, model in (("before", args.before), ("after", args.after))}
    with xywy_graph("medkg-bench-types-", args.heap, report) as client:
        run(client, corpus, args, report)
    finish(report, args.out)

if __name__ == "__main__":
    main()
