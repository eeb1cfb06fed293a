"""The merged KG (xywy + CMeKG) loaded two ways into fresh embedded servers. Prints one JSON object.

    .venv/bin/python benchmarks/bench_kg_bulk.py [--cmekg PATH] [--data-dir ../shared/data]

1. ``merge``: ``load_kg`` (the MERGE path, batched UNWIND transactions): xywy, then CMeKG on top;
2. ``bulk``: ``bulk_load`` (``medkg kg load --bulk``): both sources, one ``neo4j-admin database import``.

Each on its own new server, one after the other (never side by side). For each: wall time, relationships
per second over the whole load, peak memory (Python, Neo4j JVM, importer); then both graphs' per-label
and per-type checksums (``internal/kg_checksum_*``), which must be equal. Both loads skip invalid records
(one xywy record and one CMeKG subject have control characters in a name).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from graph.db.connection import GraphClient  # noqa: E402
from graph.db.server import LocalNeo4j, free_port  # noqa: E402
from graph.kg.bulk import bulk_load  # noqa: E402
from graph.kg.loader import LoadConfig, load_kg  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cmekg import source_arguments, source_paths  # noqa: E402
from bench_kg_load import vm_hwm_mb  # noqa: E402


def checksums(client: GraphClient) -> dict[str, Any]:
    return {kind: client.read(f"internal/kg_checksum_{kind}") for kind in ("concepts", "relationships")}


def merge_path(server: LocalNeo4j, sources: list[tuple[Path, LoadConfig]]) -> dict[str, Any]:
    server.start()
    started = time.perf_counter()
    with GraphClient(server.uri, server.auth) as client:
        results = [load_kg(client, path, config) for path, config in sources]
        seconds = time.perf_counter() - started
        sums = checksums(client)
    rels = sum(r["relationships"] for r in sums["relationships"])
    return {"seconds": round(seconds, 1), "relationships": rels,
            "relationships_per_s": round(rels / seconds, 1),
            "per_source_seconds": {r.source: r.seconds for r in results},
            "neo4j_peak_rss_mb": vm_hwm_mb(server.status().pid), "checksums": sums}


def bulk_path(server: LocalNeo4j, sources: list[tuple[Path, LoadConfig]], heap: str) -> dict[str, Any]:
    started = time.perf_counter()
    result = bulk_load(server, sources, heap=heap)
    seconds = time.perf_counter() - started
    with GraphClient(server.uri, server.auth) as client:
        sums = checksums(client)
    return {"seconds": round(seconds, 1), "relationships": result.relationships_imported,
            "relationships_per_s": round(result.relationships_imported / seconds, 1),
            "phases": result.seconds, "rates": result.rates, "memory_mb": result.memory_mb,
            "neo4j_peak_rss_mb_after_restart": vm_hwm_mb(server.status().pid), "checksums": sums}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source_arguments(parser)
    parser.add_argument("--heap", default="1g", help="the server's heap (both paths)")
    parser.add_argument("--import-heap", default="2g", help="the bulk importer's heap")
    parser.add_argument("--only", choices=("merge", "bulk"), default=None)
    args = parser.parse_args()
    paths = source_paths(args)
    if paths is None:
        return 2
    sources = [(paths[0], LoadConfig(format="xywy", skip_invalid=True)),
               (paths[1], LoadConfig(format="cmekg", skip_invalid=True))]
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_avg_before": os.getloadavg()},
                              "sources": [str(p) for p, _ in sources]}
    for name in ("merge", "bulk"):
        if args.only not in (None, name):
            continue
        with tempfile.TemporaryDirectory(prefix=f"medkg-bench-{name}-") as tmp:
            server = LocalNeo4j(Path(tmp) / "neo4j", port=free_port(), heap=args.heap, pagecache="512m")
            server.build()
            try:
                report[name] = (merge_path(server, sources) if name == "merge"
                                else bulk_path(server, sources, args.import_heap))
                report[name]["load_avg"] = os.getloadavg()
            finally:
                server.stop()
    if "merge" in report and "bulk" in report:
        report["same_graph"] = report["merge"]["checksums"] == report["bulk"]["checksums"]
        report["speedup"] = round(report["merge"]["seconds"] / report["bulk"]["seconds"], 2)
        for name in ("merge", "bulk"):
            report[name]["checksums"] = {"relationship_types": len(report[name]["checksums"]["relationships"]),
                                         "labels": len(report[name]["checksums"]["concepts"])}
    report["python_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report["machine"]["load_avg_after"] = os.getloadavg()
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
