"""CMeKG next to the xywy KG, loaded into a fresh embedded Neo4j. Prints one JSON object.

    .venv/bin/python benchmarks/bench_cmekg.py [--cmekg PATH] [--data-dir ../shared/data]

The pickle is ``--cmekg``, else ``MEDKG_CMEKG_PKL``, else the installed PyCMeKG package's; the xywy
KG is ``<data-dir>/xywy-medicalkg-tonystark``. One server, in this order:

1. ``xywy``: the xywy KG alone (the first load after the server started);
2. ``merged``: CMeKG loaded on top of it (concepts merge by type and name, relationships by type
   and ends: sources appended, noisy-OR confidence);
3. ``cmekg_reload``: CMeKG again (the counts must not change);
4. ``cmekg``: the database emptied, CMeKG alone on the now-warm server.

For each: concepts per label and relationships per type in the graph, wall time, relationships/s.
``overlap``: concepts present in both sources (same id ``<Label>:<name>``) per label, and
relationships both assert (same head, type and tail) per type, from the two parsed sources; the
merged graph's concept count is checked against the union.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.paths import default_data_dir  # noqa: E402
from graph.db.connection import GraphClient  # noqa: E402
from graph.db.server import LocalNeo4j, free_port  # noqa: E402
from graph.kg.loader import LoadConfig, LoadResult, ParsedKG, load_kg, parse_kg  # noqa: E402
from graph.kg.stats import GraphStats, graph_stats  # noqa: E402
from kgmodel.cmekg import installed_pickle  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_kg_load import vm_hwm_mb  # noqa: E402


def wipe(client: GraphClient) -> None:
    client.write("internal/create_test_sentinel", id="benchmark")  # a throwaway server of our own
    client.run("internal/wipe_test_database")


def figures(result: LoadResult, stats: GraphStats) -> dict[str, Any]:
    labels = {k: v for k, v in sorted(stats.labels.items()) if k not in ("Concept", "KGSource", "MedkgTestSentinel")}
    return {
        "concepts": stats.concepts, "concepts_per_label": labels,
        "relationships": stats.relationships_total, "relationships_per_type": dict(sorted(stats.relationships.items())),
        "written": result.written, "seconds": result.seconds, "rates": result.rates,
        "relationships_per_s_overall": round(result.relationships_total / result.seconds["total"], 1),
        "units_skipped": result.units_skipped, "errors": result.errors[:3],
    }


def overlap(xywy: ParsedKG, cmekg: ParsedKG) -> dict[str, Any]:
    shared = set(xywy.concepts) & set(cmekg.concepts)
    xywy_edges = {(h, t, tl) for (h, t, tl, _source) in xywy.triples}
    cmekg_edges = {(h, t, tl) for (h, t, tl, _source) in cmekg.triples}
    both = xywy_edges & cmekg_edges
    return {
        "concepts_in_both": len(shared),
        "concepts_in_both_per_label": dict(sorted(Counter(cid.split(":", 1)[0] for cid in shared).items())),
        "concepts_union": len(set(xywy.concepts) | set(cmekg.concepts)),
        "relationships_in_both": len(both),
        "relationships_in_both_per_type": dict(sorted(Counter(t for (_h, t, _tl) in both).items())),
        "relationships_union": len(xywy_edges | cmekg_edges),
    }


def run(client: GraphClient, xywy_path: Path, cmekg_path: Path) -> dict[str, Any]:
    xywy_config = LoadConfig(format="xywy", skip_invalid=True)
    cmekg_config = LoadConfig(format="cmekg", skip_invalid=True)
    out: dict[str, Any] = {}
    xywy = load_kg(client, xywy_path, xywy_config)
    out["xywy"] = figures(xywy, graph_stats(client))
    merged = load_kg(client, cmekg_path, cmekg_config)
    merged_stats = graph_stats(client)
    out["merged"] = figures(merged, merged_stats)
    out["cmekg_format_summary"] = merged.format_summary
    again = load_kg(client, cmekg_path, cmekg_config)
    out["cmekg_reload"] = {"seconds": again.seconds, "written": again.written,
                           "counts_unchanged": graph_stats(client) == merged_stats}
    wipe_started = time.perf_counter()
    wipe(client)
    out["wipe_seconds"] = round(time.perf_counter() - wipe_started, 1)
    alone = load_kg(client, cmekg_path, cmekg_config)
    out["cmekg"] = figures(alone, graph_stats(client))

    out["overlap"] = overlap(parse_kg(xywy_path, xywy_config), parse_kg(cmekg_path, cmekg_config))
    out["overlap"]["merged_concepts_equal_union"] = merged_stats.concepts == out["overlap"]["concepts_union"]
    out["overlap"]["merged_relationships_equal_union"] = (
        merged_stats.relationships_total == out["overlap"]["relationships_union"])
    return out


def source_arguments(parser: argparse.ArgumentParser) -> None:
    """``--data-dir`` and ``--cmekg`` (this benchmark's and bench_kg_bulk's)."""
    parser.add_argument("--data-dir", type=Path,
                        default=default_data_dir())
    parser.add_argument("--cmekg", type=Path, default=os.environ.get("MEDKG_CMEKG_PKL"))


def source_paths(args: argparse.Namespace) -> tuple[Path, Path] | None:
    """The xywy folder and the CMeKG pickle, or ``None`` after printing the JSON error of what is missing."""
    xywy_path = args.data_dir / "xywy-medicalkg-tonystark"
    if not xywy_path.is_dir():
        print(json.dumps({"error": f"xywy KG not found at {xywy_path} (set MEDKG_DATA_DIR)"}))
        return None
    try:
        return xywy_path, Path(args.cmekg or installed_pickle())
    except FileNotFoundError as exc:
        print(json.dumps({"error": f"{exc} (or set MEDKG_CMEKG_PKL)"}, ensure_ascii=False))
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source_arguments(parser)
    parser.add_argument("--heap", default="1g")
    parser.add_argument("--pagecache", default="512m")
    args = parser.parse_args()
    paths = source_paths(args)
    if paths is None:
        return 2
    xywy_path, cmekg_path = paths
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_avg_before": os.getloadavg()},
                              "cmekg_file": str(cmekg_path)}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="medkg-bench-cmekg-") as tmp:
        server = LocalNeo4j(Path(tmp) / "neo4j", port=free_port(), heap=args.heap, pagecache=args.pagecache)
        server.build()
        status = server.start()
        report["server"] = {"version": status.version, "heap": server.heap, "pagecache": server.pagecache}
        try:
            with GraphClient(server.uri, server.auth) as client:
                report.update(run(client, xywy_path, cmekg_path))
            report["peak_rss_mb"] = {"python": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                                     "neo4j": vm_hwm_mb(server.status().pid)}
        finally:
            server.stop()
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    report["machine"]["load_avg_after"] = os.getloadavg()
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
