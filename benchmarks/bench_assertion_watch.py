"""Assertion through the watcher: the CCKS 2019 training texts before and after the assertion step. One JSON object.

    MEDKG_DATA_DIR=../shared/data .venv/bin/python benchmarks/bench_assertion_watch.py [--records 1000] [--out FILE]

On a fresh embedded Neo4j holding the full xywy KG, the 1,000 CCKS 2019 *training* texts (labels ignored):

- ``before``: ``gazetteer-ner`` + ``kg-linker`` + ``cooccurrence-relations`` and no assertion step (a graph as
  it was before the assertion step), watcher cycles until every record is DONE;
- ``after``: the re-processing path of such a graph (docs/analysts.md): ``context-assertion`` registered and enabled,
  the DONE records requeued (``medkg watch requeue --status DONE``), cycles until every record is DONE again;
- for both: current mentions per type (and, after, per type x certainty, experiencer, temporality), how many
  current mentions have no assertion (``unknown``) and how many were superseded, the concept-level
  relationships with record evidence (record_count > 0) and their evidence (sum of record_count) per type,
  the current relation mentions per polarity (pertinent negatives: ``negative``), the ten best-supported
  record facts, and ``diseases_by_records`` top 10 (before: every assertion; after: the library's defaults,
  affirmed and the patient's, and every certainty for comparison);
- ``timing``: from the ``after`` cycles' ``CycleResult.timings``, milliseconds per record of each step and
  the assertion step's share of the watcher's per-record time (target < 5 %);
- ``assertion_alone``: ``context-assertion`` over the same texts with the gazetteer's spans, no database,
  one process pinned to one core, mentions/s and records/s, best of 3.

The load average is printed with every figure; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.paths import default_data_dir  # noqa: E402
from extractor.plugin import ExtractionRecord  # noqa: E402
from extractor.plugins.assertion import ContextAssertion, ContextAssertionConfig  # noqa: E402
from extractor.plugins.merge import merge_ner_spans  # noqa: E402
from graph.analyst.library import get_spec, run_library_query  # noqa: E402
from graph.db.connection import GraphClient  # noqa: E402
from graph.db.server import LocalNeo4j, free_port  # noqa: E402
from graph.kg.loader import LoadConfig, load_kg  # noqa: E402
from graph.watch.claims import requeue_records  # noqa: E402
from graph.watch.config import IngestConfig, WatchConfig  # noqa: E402
from graph.watch.ingest import IngestRow, ingest_rows, read_records  # noqa: E402
from graph.watch.pipeline import LoadedExtractor  # noqa: E402
from graph.watch.plugins import register_plugin  # noqa: E402
from graph.watch.worker import Watcher  # noqa: E402

DATA = default_data_dir()
CCKS_TRAIN = [DATA / "ccks2019-yidu-s4k" / f"subtask1_training_part{i}.txt" for i in (1, 2)]
BEFORE_PLUGINS = ("gazetteer-ner", "kg-linker", "cooccurrence-relations")
ASSERTION_PLUGIN = "context-assertion"
ANY_ASSERTION = {"certainty": "any", "experiencer": "any", "temporality": "any"}
UNKNOWN = "unknown"  # a mention no assertion step has seen
PENDING = {None, "NEW", "PROCESSING"}  # statuses of records still to process (None: not adopted yet)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message} (load {load()})", file=sys.stderr, flush=True)


def texts(n: int) -> list[str]:
    """The first ``n`` CCKS 2019 training texts, read as ``medkg ingest --format ccks`` reads them."""
    out: list[str] = []
    for path in CCKS_TRAIN:
        rows, problems = read_records(path, IngestConfig(format="ccks"))
        if problems:
            raise ValueError(f"{path}: {problems[0]}")
        out += [row.text for row in rows]
    return out[:n]


def ingest(client: GraphClient, corpus: list[str], prefix: str = "ccks-train") -> float:
    rows = [IngestRow(f"{prefix}-{i:04d}", text, None, f"ccks:{i}") for i, text in enumerate(corpus)]
    started = time.perf_counter()
    ingest_rows(client, rows, IngestConfig(format="ccks"), source=f"bench-{prefix}")
    return round(time.perf_counter() - started, 3)


def statuses(client: GraphClient) -> dict[str, int]:
    """Records per status (``None``: written by another writer, not adopted yet)."""
    return {r["status"]: int(r["count"]) for r in client.read("internal/count_emrs_by_status")}


# ------------------------------------------------------------------------------------------ watcher cycles

def process(client: GraphClient, watcher: Watcher, max_cycles: int = 50) -> dict[str, Any]:
    """Watcher cycles until no record is left to process; the cycles' counters and timings summed."""
    total: dict[str, Any] = {"cycles": 0, "done": 0, "failed": 0, "mentions_created": 0, "links_created": 0,
                             "relations_changed": 0, "candidates_created": 0, "seconds": 0.0, "failures": []}
    timings: dict[str, float] = defaultdict(float)
    for _ in range(max_cycles):
        if not any(status in PENDING for status in statuses(client)):
            break
        started = time.perf_counter()
        result = watcher.run_once()
        total["seconds"] += time.perf_counter() - started
        total["cycles"] += 1
        for key in ("done", "failed", "mentions_created", "links_created", "relations_changed",
                    "candidates_created"):
            total[key] += getattr(result, key)
        total["failures"].extend(result.failures[:5])
        for key, value in result.timings.items():
            timings[key] += value
        progress(f"cycle {total['cycles']}: {result.done} done, {result.failed} failed in {result.seconds} s")
        if not result.done and not result.failed:
            break  # nothing claimable although records wait (backoff): stop rather than spin
    total["seconds"] = round(total["seconds"], 3)
    total["records_per_s"] = round(total["done"] / total["seconds"], 2) if total["seconds"] else None
    total["timings_s"] = {k: round(v, 4) for k, v in sorted(timings.items())}
    total["statuses"] = {str(k): v for k, v in statuses(client).items()}
    total["load"] = load()
    return total


def timing(run: dict[str, Any], kinds: Mapping[str, str]) -> dict[str, Any]:
    """Per-record milliseconds of each watcher step, and the assertion step's share of the per-record time.

    ``kinds`` maps each extractor id (a timing key) to its kind; ``merge``, ``write`` and ``write.*`` are
    the watcher's own steps (``write.*`` are parts of ``write``). The per-record time is the cycles' wall
    time (claims and run bookkeeping included) over the records done.
    """
    done, steps = run["done"] or 1, run["timings_s"]
    top = {k: v for k, v in steps.items() if "." not in k or k in kinds}
    assertion_s = sum(v for k, v in steps.items() if kinds.get(k) == "assertion")
    other = max(0.0, run["seconds"] - sum(top.values()))
    supersede = steps.get("write.supersede", 0.0)
    return {"records": run["done"], "cycle_ms_per_record": round(1000 * run["seconds"] / done, 3),
            "ms_per_record": {k: round(1000 * v / done, 3) for k, v in steps.items()}
            | {"other (claim, run bookkeeping)": round(1000 * other / done, 3)},
            "assertion_s": round(assertion_s, 4),
            "assertion_share_of_record_time": round(assertion_s / run["seconds"], 4) if run["seconds"] else None,
            "assertion_share_of_steps": round(assertion_s / sum(top.values()), 4) if top else None,
            # re-processing supersedes the old mentions, a cost a graph processed with the step from the start skips
            "assertion_share_without_supersede": round(assertion_s / (run["seconds"] - supersede), 4)
            if run["seconds"] > supersede else None,
            "target_share": 0.05, "load": load()}


# ------------------------------------------------------------------------------------------ graph figures

def mention_figures(client: GraphClient) -> dict[str, Any]:
    """Current mentions per type and per assertion dimension; unasserted and superseded counts."""
    rows = client.read("internal/bench_count_mentions")
    current = [r for r in rows if r["current"]]
    per_type: Counter[str] = Counter()
    by_dim: dict[str, Counter[str]] = {"certainty": Counter(), "experiencer": Counter(), "temporality": Counter()}
    type_x: dict[str, dict[str, Counter[str]]] = {dim: defaultdict(Counter) for dim in by_dim}
    for r in current:
        per_type[r["type"]] += r["mentions"]
        for dim, counter in by_dim.items():
            value = r[dim] or UNKNOWN
            counter[value] += r["mentions"]
            type_x[dim][r["type"]][value] += r["mentions"]
    return {"current": sum(per_type.values()), "per_type": dict(per_type.most_common()),
            "per_certainty": dict(by_dim["certainty"].most_common()),
            "per_experiencer": dict(by_dim["experiencer"].most_common()),
            "per_temporality": dict(by_dim["temporality"].most_common()),
            "per_type_x_certainty": _nested(type_x["certainty"]),
            "per_type_x_experiencer": _nested(type_x["experiencer"]),
            "per_type_x_temporality": _nested(type_x["temporality"]),
            "current_without_certainty": by_dim["certainty"][UNKNOWN],
            "superseded": sum(r["mentions"] for r in rows if not r["current"]), "load": load()}


def _nested(table: dict[str, Counter[str]]) -> dict[str, dict[str, int]]:
    return {key: dict(counter.most_common()) for key, counter in
            sorted(table.items(), key=lambda item: -sum(item[1].values()))}


def relation_figures(client: GraphClient, top: int = 10) -> dict[str, Any]:
    """Record-derived relationships and their evidence per type; relation mentions per polarity."""
    rows = client.read("internal/bench_count_record_relationships")
    per_type = {r["type"]: {"relationships": r["relationships"], "record_only": r["record_only"],
                            "evidence": r["evidence"]} for r in rows}
    polarity: Counter[str] = Counter()
    negatives: Counter[str] = Counter()
    for r in client.read("internal/bench_count_relation_mentions"):
        polarity[r["polarity"] or "unset"] += r["relation_mentions"]
        if r["polarity"] == "negative":
            negatives[r["type"]] += r["relation_mentions"]
    return {"record_relationships": sum(v["relationships"] for v in per_type.values()),
            "record_only": sum(v["record_only"] for v in per_type.values()),
            "record_evidence": sum(v["evidence"] for v in per_type.values()), "per_type": per_type,
            "relation_mentions_per_polarity": dict(polarity.most_common()),
            "pertinent_negatives": polarity["negative"], "pertinent_negatives_per_type": dict(negatives.most_common()),
            "top_record_facts": client.read("internal/bench_top_record_relationships", limit=top), "load": load()}


def library_params(params: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``params`` cut to those ``diseases_by_records`` declares, and the names it does not (yet) declare."""
    declared = {p.name for p in get_spec("diseases_by_records").params}
    return {k: v for k, v in params.items() if k in declared}, sorted(set(params) - declared)


def diseases(client: GraphClient, params: dict[str, Any]) -> dict[str, Any]:
    """``diseases_by_records`` with ``params`` (those the library declares; the others are named as dropped)."""
    used, dropped = library_params(params)
    result = run_library_query(client, "diseases_by_records", used)
    out = {"params": result.params, "rows": [{"name": r["name"], "records": r["records"],
                                              "treatments": r["treatments"]} for r in result.rows]}
    if dropped:
        out["params_not_in_library"] = dropped
    unasserted = getattr(result, "unasserted", None)
    if unasserted is not None:
        out["unasserted"] = unasserted
    return out


def graph_figures(client: GraphClient, *, after: bool) -> dict[str, Any]:
    """Everything docs/benchmarks.md reports about one state of the graph."""
    figures: dict[str, Any] = {"mentions": mention_figures(client), "relations": relation_figures(client)}
    if after:
        figures["diseases_by_records"] = diseases(client, {"limit": 10})
        figures["diseases_by_records_any_certainty"] = diseases(client, {"limit": 10} | ANY_ASSERTION)
    else:
        figures["diseases_by_records"] = diseases(client, {"limit": 10} | ANY_ASSERTION)
    return figures


def disease_changes(client: GraphClient, before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For the diseases of the ``before`` top 10: records before, and after (affirmed, the patient's)."""
    after = {r["name"]: r["records"] for r in diseases(client, {"limit": 1000})["rows"]}
    return [{"name": r["name"], "before": r["records"], "after": after.get(r["name"], 0),
             "after_share": round(after.get(r["name"], 0) / r["records"], 3) if r["records"] else None}
            for r in before]


# ------------------------------------------------------------------------------------------ assertion alone

def assertion_alone(ner: LoadedExtractor, corpus: list[str], repeats: int = 3) -> dict[str, Any]:
    """``context-assertion`` over ``corpus`` with ``ner``'s merged spans, no database, on one core."""
    records = [ExtractionRecord(f"r{i}", text) for i, text in enumerate(corpus)]
    found = ner.plugin.extract(records)
    records = [ExtractionRecord(rec.id, rec.text, tuple(span for _, span in merge_ner_spans([(ner.id, res.spans)])))
               for rec, res in zip(records, found, strict=True)]
    mentions = sum(len(rec.spans) for rec in records)
    plugin = ContextAssertion(ContextAssertionConfig())
    pinned = _pin_one_core()
    try:
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            plugin.extract(records)
            runs.append(time.perf_counter() - started)
    finally:
        if pinned is not None:
            os.sched_setaffinity(0, pinned)
    best = min(runs)
    return {"records": len(records), "mentions": mentions, "runs_s": [round(s, 4) for s in runs],
            "best_s": round(best, 4), "mentions_per_s": round(mentions / best, 1),
            "records_per_s": round(len(records) / best, 1), "ms_per_record": round(1000 * best / len(records), 3),
            "one_core": pinned is not None, "rules_sha256": plugin.artifact_sha256(plugin.settings), "load": load()}


def _pin_one_core() -> set[int] | None:
    """Pin this process to one core (restored by the caller); ``None`` where the OS cannot."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    return before


# ------------------------------------------------------------------------------------------ the graph, the output

@contextlib.contextmanager
def xywy_graph(prefix: str, heap: str, report: dict[str, Any]) -> Iterator[GraphClient]:
    """A fresh embedded Neo4j in a temporary folder with the schema and the full xywy KG (``kg_load_s`` in
    ``report``); the server stops on exit."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        server = LocalNeo4j(Path(tmp) / "neo4j", port=free_port(), heap=heap, pagecache="512m")
        server.start()
        try:
            with GraphClient(server.uri, server.auth) as client:
                client.apply_schema()
                progress("loading the xywy KG")
                started = time.perf_counter()
                load_kg(client, DATA / "xywy-medicalkg-tonystark", LoadConfig(format="xywy", skip_invalid=True))
                report["kg_load_s"] = round(time.perf_counter() - started, 1)
                yield client
        finally:
            server.stop()


def finish(report: dict[str, Any], out: Path | None) -> None:
    """Add the closing load average, print the report as one JSON object (and write it to ``out``)."""
    report["load_end"] = load()
    text = json.dumps(report, ensure_ascii=False, default=str)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    print(text)


# ------------------------------------------------------------------------------------------ the run

def run(client: GraphClient, corpus: list[str], report: dict[str, Any]) -> None:
    """Before (no assertion step), re-processing with it (after), timings, the step alone."""
    for name in BEFORE_PLUGINS:
        register_plugin(client, name, enable=True)
    watcher = Watcher(client, WatchConfig(batch_size=32, device="cpu", backoff_seconds=0.0))
    started = time.perf_counter()
    watcher.load_extractors()  # builds the gazetteer and the linker: a one-time cost, kept out of the cycles
    report["startup_s"] = round(time.perf_counter() - started, 2)
    report["ingest_s"] = ingest(client, corpus)
    progress(f"before: {len(corpus)} records ingested; processing without an assertion step")
    report["before_run"] = process(client, watcher)
    report["before"] = graph_figures(client, after=False)
    progress("before: figures read; enabling context-assertion and requeueing the DONE records")
    register_plugin(client, ASSERTION_PLUGIN, enable=True)
    report["requeued"] = requeue_records(client, "DONE", None)
    report["after_run"] = process(client, watcher)
    report["after"] = graph_figures(client, after=True)
    report["disease_changes"] = disease_changes(client, report["before"]["diseases_by_records"]["rows"])
    loaded = watcher.load_extractors()
    kinds = {x.id: x.stored.kind for x in loaded}
    report["extractors_after"] = sorted(kinds)
    report["timing"] = timing(report["after_run"], kinds)
    progress("after: figures read; timing the assertion step alone")
    ner = next(x for x in loaded if x.stored.kind == "ner")
    report["assertion_alone"] = assertion_alone(ner, corpus)


def main() -> None:
    # the rules use no thread pool; one thread each anyway, so the step-alone figure is one core's
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)  # as the CLI does without -v
    logging.getLogger("medkg.watch").setLevel(logging.INFO)  # one line per batch: the progress
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1000, help="CCKS 2019 training texts to use (fewer: a try)")
    parser.add_argument("--heap", default="1g")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON object to this file")
    args = parser.parse_args()
    corpus = texts(args.records)
    report: dict[str, Any] = {"records": len(corpus), "characters": sum(map(len, corpus)), "cpus": os.cpu_count(),
                              "library_params_missing": library_params(ANY_ASSERTION)[1], "load_start": load()}
    with xywy_graph("medkg-bench-assertion-", args.heap, report) as client:
        run(client, corpus, report)
    finish(report, args.out)

if __name__ == "__main__":
    main()
