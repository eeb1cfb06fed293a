"""The web load benchmark (benchmarks/bench_web.py) on the processed sample graph: ``medkg serve`` in its own
process, locust's users (in theirs) logging in and reading every page kind, the report's figures and memory."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest
from analyst_helpers import build_processed_graph

from graph.db.connection import ConnectionInfo, GraphClient

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_web", REPO / "benchmarks" / "bench_web.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_every_page_answers_under_load(client: GraphClient, neo4j_info: ConnectionInfo, tmp_path: Path,
                                       bench: ModuleType) -> None:
    build_processed_graph(client)
    report: dict = {}
    # no think time, each user going round the pages: two users reach every page kind within a few seconds
    settings = bench.LoadSettings(users=(2,), seconds=4, wait_s=(0.0, 0.0), weights=dict.fromkeys(bench.PAGES, 1),
                                  draws=200, order="cycle")
    bench.measure(neo4j_info, settings, tmp_path, report)
    assert report["graph"]["emrs"] == {"DONE": 10} and report["graph"]["concepts"] > 0
    summary = report["plan"]
    assert summary["diseases_with_records"] > 0 and summary["facts"] > 0 and summary["typos"] > 0
    assert all(page["status"] == 200 for page in report["server"]["warmup"].values()), report["server"]["warmup"]
    (phase,) = report["phases"]
    assert phase["users"] == 2 and phase["failures"] == [], phase["failures"]
    for page in (*bench.PAGES, "login_form", "login", "pages"):
        figures = phase["pages"][page]
        assert figures["requests"] > 0 and figures["failures"] == 0, (page, figures)
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"] <= figures["max_ms"], (page, figures)
    assert phase["pages"]["login_form"]["requests"] == phase["pages"]["login"]["requests"] == 2  # once per user
    assert phase["pages"]["pages"]["requests"] == sum(phase["pages"][page]["requests"] for page in bench.PAGES)
    assert phase["logins_s"] > 0
    for key in ("before", "after", "peak", "peak_logins"):
        assert phase["rss_mb"][key] > 50, phase["rss_mb"]
    assert report["server"]["rss_mb_peak"] >= phase["rss_mb"]["peak"] and report["server"]["vm_hwm_mb"] > 0
    assert len(phase["load_start"]) == len(phase["load_end"]) == 3
    # 2 users only: the 20-user targets are named but not judged
    assert report["targets"]["measured"] is False
    assert {page: report["targets"][page]["met"] for page in bench.TARGETS_MS} == dict.fromkeys(bench.TARGETS_MS)


def test_targets_are_judged_at_twenty_users(bench: ModuleType) -> None:
    phases = [{"users": 1, "pages": {"search": {"p95_ms": 500.0}}},
              {"users": 20, "pages": {"search": {"p95_ms": 80.0}, "concept": {"p95_ms": 320.0}}}]
    judged = bench.targets(phases)
    assert judged["measured"] is True
    assert judged["search"] == {"p95_ms": 80.0, "target_ms": 100, "met": True}
    assert judged["concept"]["met"] is False and judged["record"]["met"] is None


def test_a_typo_changes_one_character(bench: ModuleType) -> None:
    rng = random.Random(1)
    for _ in range(50):
        wrong = bench.typo("阿司匹林", rng, "阿司匹林糖尿病")
        assert wrong != "阿司匹林" and wrong[0] == "阿" and len(wrong) in (3, 4)


def test_page_figures_count_the_window_after_the_last_login(bench: ModuleType) -> None:
    run = {"logged_in_at": 100.0, "requests": [
        ["login", 90.0, 800.0, None], ["login", 95.0, 900.0, None], ["search", 96.0, 5000.0, None],
        ["search", 101.0, 40.0, None], ["search", 102.0, 60.0, None], ["record", 103.0, 120.0, "404 for /record"]]}
    counted = bench.page_figures(run, seconds=10)
    pages = counted["pages"]
    assert pages["login"]["requests"] == 2 and pages["login"]["max_ms"] == 900.0
    assert pages["search"] == {"requests": 2, "failures": 0, "requests_per_s": 0.2, "p50_ms": 40.0, "p95_ms": 60.0,
                               "p99_ms": 60.0, "max_ms": 60.0, "mean_ms": 50.0}
    assert pages["record"]["failures"] == 1 and pages["pages"]["requests"] == 3
    assert counted["failures"] == [{"page": "record", "error": "404 for /record", "count": 1}]
