"""Watcher benchmark: CCKS 2019 training texts (labels ignored) through the whole loop. Prints one JSON object.

    .venv/bin/python benchmarks/bench_watcher.py --model DIR [--records 1000] [--device cpu] [--workers 1 2 4]

On a fresh embedded Neo4j holding the full xywy KG and the checkpoint's KG vectors (imported as the
graph's embedding run, so the tagger fetches them by linked node), in one run:

- ``tagger_alone``: the checkpoint's tagger on the same texts (``Tagger.predict``, no database);
- ``end_to_end_tagger``: ingest -> one watcher cycle with ``cbt-kg-tagger`` + ``kg-linker`` +
  ``cooccurrence-relations`` -> every record DONE, facts merged; records/s against the tagger alone;
- ``end_to_end_gazetteer``: the same with ``gazetteer-ner`` in place of the tagger;
- ``workers``: ``medkg watch --once --workers N`` (processes) with the tagger, for each N.

The server is warmed up first by one unmeasured cycle over the same texts under other ids (a
long-running server has planned and compiled its statements); model loading and the gazetteer and
linker build are one-time costs, reported apart (``startup_s``) and kept out of both sides of the ratio.
Latency is from ``EMR.received_at`` to ``EMR.processed_at`` with all records ingested at once (so it
is mostly queueing), and per batch (claim to commit). The load average is printed with every figure.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.paths import default_data_dir  # noqa: E402
from extractor.kge_quick import load_kg_vectors  # noqa: E402
from graph.db.connection import GraphClient  # noqa: E402
from graph.db.server import LocalNeo4j, free_port  # noqa: E402
from graph.kg.loader import LoadConfig, load_kg  # noqa: E402
from graph.kge.imports import import_kg_vectors  # noqa: E402
from graph.watch.config import IngestConfig, WatchConfig  # noqa: E402
from graph.watch.ingest import IngestRow, ingest_rows  # noqa: E402
from graph.watch.plugins import register_plugin, set_enabled, tagger_config  # noqa: E402
from graph.watch.worker import Watcher  # noqa: E402

DATA = default_data_dir()
CCKS_TRAIN = [DATA / "ccks2019-yidu-s4k" / f"subtask1_training_part{i}.txt" for i in (1, 2)]


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def texts(n: int) -> list[str]:
    out = []
    for path in CCKS_TRAIN:
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            if line.strip():
                out.append(json.loads(line)["originalText"])
    return out[:n]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def ingest(client: GraphClient, prefix: str, corpus: list[str]) -> float:
    rows = [IngestRow(f"{prefix}-{i:04d}", text, None, f"ccks:{i}") for i, text in enumerate(corpus)]
    started = time.perf_counter()
    ingest_rows(client, rows, IngestConfig(format="ccks"), source=f"bench-{prefix}")
    return time.perf_counter() - started


def latencies(client: GraphClient, prefix: str) -> dict[str, Any]:
    with client.session() as session:  # benchmark read-back, not part of the application
        rows = session.run(
            "MATCH (e:EMR) WHERE e.id STARTS WITH $p RETURN duration.inSeconds(e.received_at, e.processed_at)"
            ".milliseconds / 1000.0 AS s, e.status AS status", p=prefix + "-").data()
        runs = session.run(
            "MATCH (e:EMR) WHERE e.id STARTS WITH $p WITH DISTINCT e.last_run AS id MATCH (r:Run {id: id}) "
            "RETURN duration.inSeconds(r.started_at, r.finished_at).milliseconds / 1000.0 AS s, r.claimed AS n, "
            "r.started_at AS start, r.finished_at AS finish", p=prefix + "-").data()
    done = [r["s"] for r in rows if r["status"] == "DONE"]
    span = (max(r["finish"].to_native() for r in runs) - min(r["start"].to_native() for r in runs)).total_seconds() \
        if runs else 0.0
    return {"records": len(rows), "done": len(done), "ingest_to_done_p50_s": percentile(done, 0.5),
            "ingest_to_done_p95_s": percentile(done, 0.95), "batch_p50_s": percentile([r["s"] for r in runs], 0.5),
            "batch_p95_s": percentile([r["s"] for r in runs], 0.95), "runs": len(runs),
            "run_window_s": round(float(span), 3)}


def tagger_alone(model: Path, corpus: list[str], device: str, threads: int = 0) -> dict[str, Any]:
    from extractor.checkpoint import load_tagger

    started = time.perf_counter()
    tagger = load_tagger(model, device=device, threads=threads)
    tagger.predict(corpus[:16], batch_size=32)  # warm-up
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    spans = tagger.predict(corpus, batch_size=32)
    seconds = time.perf_counter() - started
    return {"records": len(corpus), "threads": tagger.threads, "seconds": round(seconds, 3),
            "records_per_s": round(len(corpus) / seconds, 2), "spans": sum(len(s) for s in spans),
            "startup_s": round(loaded, 2), "load": load()}


def cycle(client: GraphClient, prefix: str, corpus: list[str], config: WatchConfig) -> dict[str, Any]:
    watcher = Watcher(client, config)
    warm_prefix = prefix + "-warm"
    ingest(client, warm_prefix, corpus[:16])
    started = time.perf_counter()
    watcher.run_once()  # loads the plugins, builds gazetteer and linker, warms the statements
    startup = time.perf_counter() - started
    ingest_s = ingest(client, prefix, corpus)
    started = time.perf_counter()
    result = watcher.run_once()
    seconds = time.perf_counter() - started
    phases = {k: round(v, 3) for k, v in result.timings.items()}
    return {"records": result.done, "failed": result.failed, "seconds": round(seconds, 3),
            "records_per_s": round(result.done / seconds, 2), "ingest_s": round(ingest_s, 3),
            "records_per_s_with_ingest": round(result.done / (seconds + ingest_s), 2),
            "mentions_written": result.mentions_created, "mentions_per_s": round(result.mentions_created / seconds, 1),
            "links_written": result.links_created, "relation_mentions_written": result.relations_changed,
            "candidate_concepts": result.candidates_created, "startup_s": round(startup, 2), "phases_s": phases,
            **latencies(client, prefix), "load": load()}


def workers_run(client: GraphClient, env: dict[str, str], prefix: str, corpus: list[str], n: int,
                device: str) -> dict[str, Any]:
    ingest(client, prefix, corpus)
    threads = 0 if n == 1 else max(1, (os.cpu_count() or 1) // n)  # one worker: the automatic setting
    command = [sys.executable, "-m", "app.cli", "watch", "--once", "--json", "--workers",
               str(n), "--batch-size", "32", "--threads", str(threads), "--device", device]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600, check=True)
    wall = time.perf_counter() - started
    payload = json.loads(done.stdout.strip().splitlines()[-1])
    figures = latencies(client, prefix)
    window = figures["run_window_s"] or wall
    return {"workers": n, "threads_each": threads, "records": payload["done"], "wall_s_with_startup": round(wall, 2),
            "records_per_s_with_startup": round(payload["done"] / wall, 2),
            "records_per_s": round(payload["done"] / window, 2), **figures, "load": load()}


def main() -> None:
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)  # as the CLI does without -v
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, required=True, help="the trained tagger's checkpoint folder")
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--heap", default="1g")
    parser.add_argument("--threads", type=int, nargs="*", default=[0], help="torch threads of the in-process cycles")
    parser.add_argument("--pipeline", choices=["on", "off", "both"], default="both")
    parser.add_argument("--skip-gazetteer", action="store_true")
    parser.add_argument("--batch-sizes", type=int, nargs="*", default=[32], help="records per claim (tagger runs)")
    parser.add_argument("--relations-model", type=Path, default=None,
                        help="use entity-marker-relations with this checkpoint instead of the rule baseline")
    args = parser.parse_args()
    corpus = texts(args.records)
    report: dict[str, Any] = {"records": len(corpus), "characters": sum(map(len, corpus)), "device": args.device,
                              "cpus": os.cpu_count(), "load_start": load()}
    with tempfile.TemporaryDirectory(prefix="medkg-bench-watch-") as tmp:
        server = LocalNeo4j(Path(tmp) / "neo4j", port=free_port(), heap=args.heap, pagecache="512m")
        server.start()
        try:
            user, password = server.auth
            with GraphClient(server.uri, (user, password)) as client:
                client.apply_schema()
                started = time.perf_counter()
                load_kg(client, DATA / "xywy-medicalkg-tonystark", LoadConfig(format="xywy", skip_invalid=True))
                report["kg_load_s"] = round(time.perf_counter() - started, 1)
                vectors = load_kg_vectors(args.model / "kg_vectors.npz")
                report["kg_vectors"] = {k: v for k, v in import_kg_vectors(client, vectors, "TransE").items()
                                        if k in ("run_id", "vectors", "written", "not_in_graph")}
                report["tagger_alone"] = tagger_alone(args.model, corpus, args.device)
                report["tagger_alone_1_thread"] = tagger_alone(args.model, corpus, args.device, threads=1)
                config = tagger_config(args.model, client)
                report["tagger_kg_source"] = config["kg_source"]
                tagger_id = register_plugin(client, "cbt-kg-tagger", config=config, enable=True).id
                register_plugin(client, "kg-linker", enable=True)
                if args.relations_model is not None:
                    register_plugin(client, "entity-marker-relations", config={"model_dir": str(args.relations_model)},
                                    enable=True)
                    report["relation_extractor"] = "entity-marker-relations@1"
                else:
                    register_plugin(client, "cooccurrence-relations", enable=True)
                    report["relation_extractor"] = "cooccurrence-relations@1"
                alone = report["tagger_alone"]["records_per_s"]
                # a long-running server has planned and compiled its statements, and a fresh one spends its
                # first minute on that (the first measured cycle ran at half speed after a 256-record warm-up)
                started = time.perf_counter()
                warm = cycle(client, "warmup", corpus, WatchConfig(batch_size=32, device=args.device))
                report["server_warmup"] = {"records": warm["records"],
                                           "seconds": round(time.perf_counter() - started, 1)}
                pipelines = {"on": [True], "off": [False], "both": [True, False]}[args.pipeline]
                report["end_to_end_tagger"] = []
                for size in args.batch_sizes:
                    for threads in args.threads:
                        for pipeline in pipelines:
                            watch = WatchConfig(batch_size=size, device=args.device, threads=threads,
                                                pipeline=pipeline)
                            run = cycle(client, f"tagger-b{size}-t{threads}-p{int(pipeline)}", corpus, watch)
                            relation_s = run["phases_s"].get(report["relation_extractor"], 0.0)
                            run |= {"batch_size": size, "threads": threads, "pipeline": pipeline,
                                    "vs_tagger_alone": round(run["records_per_s"] / alone, 3),
                                    "relation_share_of_record_time": round(relation_s / run["seconds"], 4)}
                            report["end_to_end_tagger"].append(run)
                if not args.skip_gazetteer:
                    set_enabled(client, tagger_id, False)
                    register_plugin(client, "gazetteer-ner", enable=True)
                    watch = WatchConfig(batch_size=32, device=args.device, threads=0)
                    report["end_to_end_gazetteer"] = cycle(client, "gazetteer", corpus, watch)
                    set_enabled(client, "gazetteer-ner@1", False)
                    set_enabled(client, tagger_id, True)
                env = dict(os.environ, NEO4J_URI=server.uri, NEO4J_USERNAME=user, NEO4J_PASSWORD=password,
                           PYTHONPATH=str(REPO))
                report["workers"] = [workers_run(client, env, f"w{n}", corpus, n, args.device) for n in args.workers]
        finally:
            server.stop()
    report["load_end"] = load()
    print(json.dumps(report, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
