"""KG embedding benchmark on the full xywy KG in a fresh embedded Neo4j. Prints one JSON object.

    .venv/bin/python benchmarks/bench_embeddings.py [--data-dir ../shared/data] [--epochs 100]
        [--epochs-transh N] [--epochs-transr N] [--models TransE,TransH,TransR] [--dim 100]
        [--threads 1] [--queries 100] [--no-early-stopping]

Figures, per model (``medkg embed train`` end to end: export, train, write back, index):
- seconds per epoch (validation checks excluded) and total training seconds, epochs run;
- filtered MRR and Hits@10 (both sides, and tail only) of the model and of the popularity
  baseline, under the same protocol (``embeddings.evaluation``);
- write-back: nodes/s of the first write of the property and of a rewrite of the same vectors;
- the load average before and after (the machine is shared).
Then, on the first model's property: median latency over ``--queries`` concepts of a top-10
neighbour query by the vector index (``analyst/concept_neighbours``) and by a brute-force cosine
scan over all nodes (``analyst/concept_neighbours_scan``), their ratio, and the mean overlap of the
two top-10 lists (the index is approximate).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("PYKEEN_HOME", str(Path(tempfile.gettempdir()) / "medkg-bench-pykeen"))

from core.paths import default_data_dir  # noqa: E402
from embeddings import KGEConfig  # noqa: E402
from graph.db.connection import GraphClient  # noqa: E402
from graph.db.server import LocalNeo4j, free_port  # noqa: E402
from graph.kg.loader import LoadConfig, load_kg  # noqa: E402
from graph.kge.store import PropertyNames, StoreConfig, store_embeddings  # noqa: E402
from graph.kge.workflow import GraphEmbeddingResult, train_graph_embeddings  # noqa: E402


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def metrics(result: GraphEmbeddingResult) -> dict[str, Any]:
    evaluation = result.training["evaluation"]
    model, base = evaluation["model"], evaluation["baseline"]
    return {
        "mrr": round(model["both"]["mrr"], 4), "hits_at_10": round(model["both"]["hits_at_10"], 4),
        "baseline_mrr": round(base["both"]["mrr"], 4), "baseline_hits_at_10": round(base["both"]["hits_at_10"], 4),
        "tail_mrr": round(model["tail"]["mrr"], 4), "tail_hits_at_10": round(model["tail"]["hits_at_10"], 4),
        "baseline_tail_mrr": round(base["tail"]["mrr"], 4),
        "baseline_tail_hits_at_10": round(base["tail"]["hits_at_10"], 4),
        "beats_baseline_mrr": evaluation["beats_baseline"], "test_triples": evaluation["triples"],
        "per_relation_mrr": {name: {"model": round(rel["model"]["both"]["mrr"], 4),
                                    "baseline": round(rel["baseline"]["both"]["mrr"], 4)}
                             for name, rel in evaluation["per_relation"].items()},
    }


def run_model(client: GraphClient, name: str, epochs: int,
              args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    before = load_avg()
    config = KGEConfig(model=name, dim=args.dim, epochs=epochs, threads=args.threads,
                       early_stopping={"enabled": args.early_stopping})
    result = train_graph_embeddings(client, config)
    training, embedding = result.training, result.embedding
    if embedding is None:
        raise SystemExit(f"{name}: training returned no embedding to store")
    _, rewrite = store_embeddings(client, embedding, StoreConfig(property=result.property))
    return {
        "run_id": result.run_id, "property": result.property,
        "epochs_requested": epochs, "epochs_trained": training["training"]["epochs_trained"],
        "best_epoch": training["training"]["best_epoch"], "stopped_early": training["training"]["stopped_early"],
        "seconds_per_epoch": training["timings"]["seconds_per_epoch"],
        "train_seconds": training["timings"]["train"],
        "validation_seconds": training["timings"]["validation"],
        "training_total_seconds": training["timings"]["total"],
        "evaluate_seconds": training["timings"]["evaluate"],
        **metrics(result),
        "write_back": {"mode": result.write.mode, "nodes": result.write.nodes, "seconds": result.write.seconds,
                       "nodes_per_s": result.write.nodes_per_s},
        "rewrite": {"nodes": rewrite.nodes, "seconds": rewrite.seconds, "nodes_per_s": rewrite.nodes_per_s},
        "index": {"action": result.index.action, "seconds": result.index.seconds},
        "export_seconds": result.export.seconds, "total_seconds": result.seconds["total"],
        "load_avg_before": before, "load_avg_after": load_avg(),
    }, embedding.entities


def median_ms(timings: list[float]) -> float:
    return round(statistics.median(timings) * 1000, 2)


def neighbour_latency(client: GraphClient, prop: str, ids: list[str], k: int = 10) -> dict[str, Any]:
    names = PropertyNames(prop)
    index_params = {"index": names.index, "property": prop, "run_property": names.run, "folded": names.folded,
                    "candidates": k + 1, "k": k, "type": None}
    for cid in ids[:5]:  # warm up both plans
        client.read("analyst/concept_neighbours", id=cid, **index_params)
        client.read("analyst/concept_neighbours_scan", id=cid, property=prop, k=k, type=None)
    by_index, by_scan, overlap = [], [], []
    for cid in ids:
        started = time.perf_counter()
        found = client.read("analyst/concept_neighbours", id=cid, **index_params)
        by_index.append(time.perf_counter() - started)
        started = time.perf_counter()
        exact = client.read("analyst/concept_neighbours_scan", id=cid, property=prop, k=k, type=None)
        by_scan.append(time.perf_counter() - started)
        overlap.append(len({r["id"] for r in found} & {r["id"] for r in exact}) / k)
    index_ms, scan_ms = median_ms(by_index), median_ms(by_scan)
    return {"property": prop, "queries": len(ids), "k": k, "index_median_ms": index_ms, "scan_median_ms": scan_ms,
            "scan_over_index": round(scan_ms / index_ms, 1), "mean_overlap_at_10": round(statistics.mean(overlap), 3)}


def targets(report: dict[str, Any]) -> dict[str, Any]:
    models = report["models"]
    out: dict[str, Any] = {
        "write_back_nodes_per_s>=20000": all(m["write_back"]["nodes_per_s"] >= 20_000 for m in models.values()),
        "rewrite_nodes_per_s>=20000": all(m["rewrite"]["nodes_per_s"] >= 20_000 for m in models.values()),
        "index_vs_scan>=20x": report["neighbours"]["scan_over_index"] >= 20,
        "every_model_beats_baseline_mrr": all(m["beats_baseline_mrr"] for m in models.values()),
    }
    if "TransE" in models:
        transe = models["TransE"]
        out["transe_100_epochs_minutes"] = round(transe["seconds_per_epoch"] * 100 / 60, 2)
        out["transe_100_epochs<15min"] = transe["seconds_per_epoch"] * 100 < 15 * 60
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path,
                        default=default_data_dir())
    parser.add_argument("--models", default="TransE,TransH,TransR")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--epochs-transh", type=int, default=None)
    parser.add_argument("--epochs-transr", type=int, default=None)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--early-stopping", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    kg = args.data_dir / "xywy-medicalkg-tonystark"
    if not kg.is_dir():
        print(json.dumps({"error": f"xywy KG not found at {kg} (set MEDKG_DATA_DIR)"}))
        return 2
    epochs = {"TransE": args.epochs, "TransH": args.epochs_transh or args.epochs,
              "TransR": args.epochs_transr or args.epochs}
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_avg_before": load_avg(),
                                          "torch_threads": args.threads},
                              "config": {"dim": args.dim, "early_stopping": args.early_stopping}}
    with tempfile.TemporaryDirectory(prefix="medkg-bench-") as tmp:
        server = LocalNeo4j(Path(tmp) / "neo4j", port=free_port(),
                            launcher_dir=Path(os.environ.get("MEDKG_LAUNCHER_DIR", Path(tmp) / "launcher")))
        server.build()
        status = server.start()
        report["server"] = {"version": status.version, "heap": server.heap, "pagecache": server.pagecache}
        try:
            with GraphClient(server.uri, server.auth) as client:
                started = time.perf_counter()
                loaded = load_kg(client, kg, LoadConfig(format="xywy", skip_invalid=True))
                report["kg"] = {"concepts": sum(loaded.concepts.values()), "relationships": loaded.relationships_total,
                                "load_seconds": round(time.perf_counter() - started, 1)}
                report["models"], embedded = {}, {}
                for name in args.models.split(","):
                    report["models"][name], embedded[name] = run_model(client, name, epochs.get(name, args.epochs),
                                                                       args)
                    print(json.dumps({name: report["models"][name]}, ensure_ascii=False), file=sys.stderr, flush=True)
                first = next(iter(report["models"]))
                ids = embedded[first]
                sample = random.Random(7).sample(ids, min(args.queries, len(ids)))
                report["neighbours"] = neighbour_latency(client, report["models"][first]["property"], sample)
        finally:
            server.stop()
    report["machine"]["load_avg_after"] = load_avg()
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report["targets"] = targets(report)
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
