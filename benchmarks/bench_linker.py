"""Linker benchmark: index build, linking throughput vs a naive scan, gazetteer throughput, accuracy.

Prints ONE JSON object on stdout. Reads the shared data by path (``MEDKG_DATA_DIR``, default
``../shared/data``); exits with status 2 and a message on stderr when it is missing.

Run: ``PYTHONPATH=. python benchmarks/bench_linker.py [--rounds 3] [--naive-sample 200]``

Everything runs in one thread (BLAS/OpenMP pools are capped at one thread before NumPy loads). The
load average before and after is reported because the machine is shared.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from rapidfuzz import fuzz, process  # noqa: E402

from app.tagging.data import kg_concepts  # noqa: E402
from linker import ConceptIndex, Gazetteer, Linker, LinkerConfig  # noqa: E402
from linker.calibrate import calibrate  # noqa: E402
from linker.evalset import EvalSetConfig, build_evalset  # noqa: E402
from linker.evaluate import evaluate  # noqa: E402
from linker.sources import DataMissingError, default_data_dir, load_ccks_training, load_kg_vocabulary  # noqa: E402

TARGETS = {
    "acc1_perturbed": 0.90,
    "mentions_per_s": 5000.0,
    "speedup_vs_naive": 20.0,
    "gazetteer_chars_per_s": 1_000_000.0,
    "index_build_s": 10.0,
}


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else []


def bench_index(records: list[Any]) -> tuple[ConceptIndex, dict[str, Any]]:
    gc.collect()
    rss0 = _rss_mb()
    start = time.perf_counter()
    index = ConceptIndex.build(records)
    build_s = time.perf_counter() - start
    rss_delta = _rss_mb() - rss0
    tracemalloc.start()
    traced = ConceptIndex.build(records)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del traced
    return index, {
        "records": len(records),
        "keys": index.stats.keys,
        "alias_keys": index.stats.alias_keys,
        "curated_aliases_resolved": index.stats.curated_resolved,
        "curated_aliases_unresolved": index.stats.curated_unresolved,
        "build_s": round(build_s, 3),
        "rss_delta_mb": round(rss_delta, 1),
        "tracemalloc_peak_mb": round(peak / 2**20, 1),
    }


def bench_linking(linker: Linker, mentions: list[tuple[str, str | None]], rounds: int) -> dict[str, Any]:
    for text, type_name in mentions[:200]:  # warm lazily filled tables
        linker.link(text, type_name)
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for text, type_name in mentions:
            linker.link(text, type_name)
        rates.append(len(mentions) / (time.perf_counter() - start))
    return {
        "mentions": len(mentions),
        "rounds": rounds,
        "per_s_median": round(statistics.median(rates)),
        "per_s_best": round(max(rates)),
    }


def bench_naive(
    linker: Linker, records: list[Any], mentions: list[tuple[str, str | None]], sample: int
) -> dict[str, Any]:
    norm = linker.index.normalizer
    choices = [norm.normalize(r.name) for r in records]
    step = max(1, len(mentions) // sample)
    picked = mentions[::step][:sample]
    start = time.perf_counter()
    for text, _ in picked:
        process.extractOne(norm.normalize(text), choices, scorer=fuzz.ratio)
    naive_s = time.perf_counter() - start
    start = time.perf_counter()
    for text, type_name in picked:
        linker.link(text, type_name)
    ours_s = time.perf_counter() - start
    return {
        "sample": len(picked),
        "names_scanned": len(choices),
        "naive_per_s": round(len(picked) / naive_s),
        "linker_per_s_same_sample": round(len(picked) / ours_s),
    }


def bench_gazetteer(index: ConceptIndex, texts: list[str], rounds: int) -> dict[str, Any]:
    start = time.perf_counter()
    gaz = Gazetteer(index)
    build_s = time.perf_counter() - start
    chars = sum(len(t) for t in texts)
    seg_rates, all_rates, spans = [], [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        spans = sum(len(gaz.segment(t).spans) for t in texts)
        seg_rates.append(chars / (time.perf_counter() - start))
        start = time.perf_counter()
        for t in texts:
            gaz.all_matches(t)
        all_rates.append(chars / (time.perf_counter() - start))
    return {
        "surface_forms": len(gaz),
        "build_s": round(build_s, 3),
        "records": len(texts),
        "chars": chars,
        "segment_chars_per_s": round(statistics.median(seg_rates)),
        "all_matches_chars_per_s": round(statistics.median(all_rates)),
        "spans": spans,
    }


def ccks_coverage(linker: Linker, ccks: list[Any]) -> dict[str, Any]:
    """Which step decides for distinct CCKS training mentions (no gold: coverage, not accuracy)."""
    mentions = sorted({(e.text, e.label) for r in ccks for e in r.entities})
    by_label: dict[str, Counter[str]] = defaultdict(Counter)
    for text, label in mentions:
        by_label[label][linker.link(text, label).method] += 1
    return {
        label: {"distinct": sum(c.values()), "linked": round(1 - c["nil"] / sum(c.values()), 3), **dict(c)}
        for label, c in sorted(by_label.items())
    }


def bench_accuracy(records: list[Any], ccks: list[Any], seed: int) -> tuple[Linker, Any, dict[str, Any]]:
    evalset = build_evalset(records, ccks, EvalSetConfig(seed=seed))
    linker = Linker(evalset.index_records)
    default_report = evaluate(linker, evalset.split("test"))
    cal = calibrate(linker, evalset.split("dev"))
    tuned = cal.apply(linker)
    report = evaluate(tuned, evalset.split("test"))
    out = {
        "seed": seed,
        "examples": evalset.counts(),
        "heldout_names": len(evalset.heldout_ids),
        "calibrated_nil_threshold": cal.nil_threshold,
        "dev_accuracy_at_threshold": round(cal.dev_accuracy, 4),
        "default_nil_threshold": LinkerConfig().nil_threshold,
        "test_default_threshold_overall": default_report.to_dict()["overall"],
        "test": {key: val for key, val in report.to_dict().items() if key != "seconds"},
    }
    return tuned, evalset, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="shared data (default: MEDKG_DATA_DIR)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--naive-sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--cmekg", type=Path, default=None,
                        help="also index CMeKG's concepts and aliases (its cmekg.pkl; the merged KG)")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or default_data_dir()
    try:
        records = load_kg_vocabulary(data_dir)
        ccks = load_ccks_training(data_dir)
    except DataMissingError as exc:
        print(f"bench_linker: shared data missing: {exc}", file=sys.stderr)
        return 2
    merged = None
    if args.cmekg is not None:
        records, merged = kg_concepts(data_dir, cmekg=args.cmekg)
    load_before = _load()
    index, index_fig = bench_index(records)
    full_linker = Linker(index)
    tuned, evalset, accuracy = bench_accuracy(records, ccks, args.seed)
    mentions = [(e.mention, e.type) for e in evalset.examples]
    linking = bench_linking(tuned, mentions, args.rounds)
    naive = bench_naive(full_linker, records, mentions, args.naive_sample)
    linking["speedup_vs_naive"] = round(linking["per_s_median"] / naive["naive_per_s"], 1)
    gazetteer = bench_gazetteer(index, [r.text for r in ccks], args.rounds)
    coverage = ccks_coverage(full_linker.with_config(nil_threshold=tuned.config.nil_threshold), ccks)
    acc1 = accuracy["test"]["by_source"]["kg_perturbed"]["acc1"]
    result = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "threads": 1,
            "loadavg_before": load_before,
            "loadavg_after": _load(),
        },
        "data_dir": str(data_dir),
        "cmekg": merged,
        "index": index_fig,
        "linking": linking,
        "naive": naive,
        "gazetteer": gazetteer,
        "accuracy": accuracy,
        "ccks_training_coverage": coverage,
        "targets": {
            "acc1_perturbed>=0.90": acc1 is not None and acc1 >= TARGETS["acc1_perturbed"],
            "mentions_per_s>=5000": linking["per_s_median"] >= TARGETS["mentions_per_s"],
            "speedup_vs_naive>=20": linking["speedup_vs_naive"] >= TARGETS["speedup_vs_naive"],
            "gazetteer_chars_per_s>=1e6": gazetteer["segment_chars_per_s"]
            >= TARGETS["gazetteer_chars_per_s"],
            "index_build_s<10": index_fig["build_s"] < TARGETS["index_build_s"],
        },
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
