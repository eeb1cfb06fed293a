"""KG loading benchmark: the full xywy KG into a fresh embedded Neo4j. Prints one JSON object.

    .venv/bin/python benchmarks/bench_kg_load.py [--data-dir ../shared/data] [--sample 5000]

Figures:
- ``cold``: the first load after the server started (its JVM not yet warmed up by any query);
- ``reload``: the same source again, with the counts before and after (they must not change);
- ``warm``: the database emptied and the source loaded again on the now-warm server, which is the
  state of a long-running server;
- ``naive``: a sample of relationships loaded one per transaction (MERGE of both concepts and the
  relationship, each relationship in its own transaction), against the batched loader on the same
  sample, and the ratio of the batched full-load rate to the naive rate;
- peak RSS of this process and of the Neo4j JVM.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.paths import default_data_dir  # noqa: E402
from graph.db.connection import GraphClient  # noqa: E402
from graph.db.server import LocalNeo4j, free_port  # noqa: E402
from graph.kg.loader import LoadConfig, LoadResult, load_kg, parse_kg, relationship_rows  # noqa: E402
from graph.kg.stats import graph_stats  # noqa: E402
from kgmodel.model import static_relationship_type  # noqa: E402


def wipe(client: GraphClient) -> None:
    client.write("internal/create_test_sentinel", id="benchmark")  # a throwaway server of our own
    client.run("internal/wipe_test_database")


def summary(result: LoadResult) -> dict[str, Any]:
    return {"seconds": result.seconds, "rates": result.rates, "written": result.written,
            "relationships_per_s_overall": round(result.relationships_total / result.seconds["total"], 1)}


def naive_load(client: GraphClient, rows: list[dict[str, Any]], labels: dict[str, tuple[str, str]]) -> float:
    """One transaction per relationship: MERGE both concepts, then the relationship."""
    started = time.perf_counter()
    for row in rows:
        concepts = [{"id": cid, "name": labels[cid][1], "label": labels[cid][0], "source": "naive"}
                    for cid in (row["head"], row["tail"])]
        client.write_batches("internal/merge_concepts", concepts, batch_size=2)
        client.write_batches("internal/merge_relationships", [row], batch_size=1,
                             specialise=static_relationship_type)
    return time.perf_counter() - started


def batched_load(client: GraphClient, rows: list[dict[str, Any]], labels: dict[str, tuple[str, str]]) -> float:
    started = time.perf_counter()
    ids = sorted({cid for row in rows for cid in (row["head"], row["tail"])})
    concepts = [{"id": cid, "name": labels[cid][1], "label": labels[cid][0], "source": "batched"} for cid in ids]
    client.write_batches("internal/merge_concepts", concepts, batch_size=10_000)
    client.write_batches("internal/merge_relationships", rows, batch_size=10_000, specialise=static_relationship_type)
    return time.perf_counter() - started


def vm_hwm_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path,
                        default=default_data_dir())
    parser.add_argument("--sample", type=int, default=5000)
    args = parser.parse_args()
    kg = args.data_dir / "xywy-medicalkg-tonystark"
    if not kg.is_dir():
        print(json.dumps({"error": f"xywy KG not found at {kg} (set MEDKG_DATA_DIR)"}))
        return 2
    config = LoadConfig(format="xywy", skip_invalid=True)
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_avg_before": os.getloadavg()[0]}}

    with tempfile.TemporaryDirectory(prefix="medkg-bench-") as tmp:
        server = LocalNeo4j(Path(tmp) / "neo4j", port=free_port(),
                            launcher_dir=Path(os.environ.get("MEDKG_LAUNCHER_DIR", Path(tmp) / "launcher")))
        server.build()
        started = time.perf_counter()
        status = server.start()
        report["server"] = {"version": status.version, "start_seconds": round(time.perf_counter() - started, 1),
                            "heap": server.heap, "pagecache": server.pagecache}
        try:
            with GraphClient(server.uri, server.auth) as client:
                report.update(run_loads(client, kg, config, args.sample))
            report["peak_rss_mb"] = {"python": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                                     "neo4j": vm_hwm_mb(server.status().pid)}
        finally:
            server.stop()
    report["machine"]["load_avg_after"] = os.getloadavg()[0]
    report["targets"] = {
        "cold_relationships_per_s>=30000": report["cold"]["relationships_per_s_overall"] >= 30_000,
        "warm_relationships_per_s>=30000": report["warm"]["relationships_per_s_overall"] >= 30_000,
        "cold_total_s<30": report["cold"]["seconds"]["total"] < 30,
        "batched_vs_naive>=50x": report["naive"]["ratio_full_load_vs_naive"] >= 50,
        "reload_counts_unchanged": report["reload"]["counts_unchanged"],
    }
    print(json.dumps(report, ensure_ascii=False))
    return 0


def run_loads(client: GraphClient, kg: Path, config: LoadConfig, sample: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cold = load_kg(client, kg, config)
    before = graph_stats(client)
    out["cold"] = summary(cold) | {"skipped": cold.units_skipped, "errors": cold.errors[:3],
                                   "nodes": before.labels.get("Concept", 0),
                                   "relationships": before.relationships_total}
    again = load_kg(client, kg, config)
    after = graph_stats(client)
    out["reload"] = summary(again) | {"counts_unchanged": before == after,
                                      "nodes_after": after.labels.get("Concept", 0),
                                      "relationships_after": after.relationships_total}
    wipe(client)
    out["warm"] = summary(load_kg(client, kg, config))

    parsed = parse_kg(kg, config)
    labels = {cid: (c.label, c.name) for cid, c in parsed.concepts.items()}
    rows = random.Random(7).sample(relationship_rows(parsed.triples), sample)
    rows.sort(key=lambda row: row["type"])
    wipe(client)
    naive_seconds = naive_load(client, rows, labels)
    wipe(client)
    batched_seconds = batched_load(client, rows, labels)
    naive_rate = sample / naive_seconds
    out["naive"] = {
        "relationships": sample, "naive_seconds": round(naive_seconds, 2),
        "naive_relationships_per_s": round(naive_rate, 1),
        "batched_seconds_same_sample": round(batched_seconds, 3),
        "ratio_same_sample": round(naive_seconds / batched_seconds, 1),
        "ratio_full_load_vs_naive": round(out["warm"]["relationships_per_s_overall"] / naive_rate, 1),
        "ratio_cold_full_load_vs_naive": round(out["cold"]["relationships_per_s_overall"] / naive_rate, 1),
    }
    return out


if __name__ == "__main__":
    raise SystemExit(main())
