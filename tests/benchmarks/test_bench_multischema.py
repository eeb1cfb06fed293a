"""The several-schema benchmark's table (benchmarks/bench_multischema.py ``table``): this machine's evaluations
together with the ones kept in ``benchmarks/results/`` (``--also``), and what it says of a bad file."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KEPT = REPO / "benchmarks" / "results" / "multischema-seeds-1-2.json"


def table(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_multischema.py"), "table", *args],
                          capture_output=True, text=True, timeout=120, cwd=REPO, env={"PYTHONPATH": str(REPO)})


def test_kept_seeds_and_this_machines_runs_are_averaged_together(tmp_path: Path) -> None:
    kept = json.loads(KEPT.read_text(encoding="utf-8"))
    (tmp_path / "eval.json").write_text(json.dumps({
        "multi-mixed-s3": {"load_average": [1.0, 1.0, 1.0], "ccks2019": {"micro": {"f1": 0.8300}},
                           "ccks2017": {"micro": {"f1": 0.8950}, "symptoms": {"f1": 0.9500}},
                           "cmeee": {"micro": {"f1": 0.5700}}},
        "gazetteer": {"ccks2017_symptoms": {"f1": 0.4468}}}), encoding="utf-8")
    done = table("--root", str(tmp_path), "--also", str(KEPT))
    assert done.returncode == 0, done.stderr
    groups = json.loads(done.stdout.strip().splitlines()[-1])["groups"]
    mixed = groups["multi-mixed"]
    expected = [100 * kept[f"multi-mixed-s{s}"]["ccks2019"]["micro"]["f1"] for s in (1, 2)] + [83.0]
    assert mixed["ccks2019"] == expected
    assert len(mixed["ccks2017"]) == len(mixed["symptoms"]) == len(mixed["cmeee"]) == 3
    row = next(line for line in done.stdout.splitlines() if line.startswith("| multi-mixed |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == f"{statistics.mean(expected):.2f} ± {statistics.stdev(expected):.2f} (n=3)"
    assert "gazetteer" not in groups and "_source" not in groups


def test_a_run_in_two_files_counts_once_the_later_wins(tmp_path: Path) -> None:
    (tmp_path / "eval.json").write_text(json.dumps({"single-cmeee-s1": {"cmeee": {"micro": {"f1": 0.6}}}}),
                                        encoding="utf-8")
    done = table("--root", str(tmp_path), "--also", str(KEPT))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["groups"]["single-cmeee"]["cmeee"] == [60.0]


def test_bad_evaluation_files_are_named(tmp_path: Path) -> None:
    missing = table("--root", str(tmp_path), "--also", str(tmp_path / "nope.json"))
    assert missing.returncode != 0 and f"{tmp_path / 'nope.json'}: no such file" in missing.stderr
    (tmp_path / "broken.json").write_text('{"multi-mixed-s1": \n', encoding="utf-8")
    broken = table("--root", str(tmp_path), "--also", str(tmp_path / "broken.json"))
    assert broken.returncode != 0 and f"{tmp_path / 'broken.json'}:2: not JSON" in broken.stderr
    empty = table("--root", str(tmp_path))
    assert empty.returncode != 0 and "no evaluations" in empty.stderr


def test_calibrated_runs_count_at_threshold_zero_in_the_first_table_and_as_run_in_the_second(tmp_path: Path) -> None:
    """A run whose span head was calibrated is evaluated at its threshold and at 0 (``threshold_zero``): the
    first table compares every run as trained, the second the calibrated ones as they run."""
    (tmp_path / "eval.json").write_text(json.dumps({
        "multi-mixed-s3": {"span_thresholds": {"cmeee": -0.75}, "ccks2019": {"micro": {"f1": 0.83}},
                           "cmeee": {"micro": {"f1": 0.5996}},
                           "threshold_zero": {"cmeee": {"micro": {"f1": 0.5710}}}},
        "single-ccks2019-s3": {"span_thresholds": {}, "ccks2019": {"micro": {"f1": 0.8332}}}}), encoding="utf-8")
    done = table("--root", str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["groups"]["multi-mixed"]["cmeee"] == [pytest.approx(57.1)]
    assert result["calibrated"] == {"multi-mixed": {"ccks2019": [pytest.approx(83.0)], "cmeee": [pytest.approx(59.96)]}}
    first, second = done.stdout.rsplit("\n{", 1)[0].split("Span heads calibrated")
    assert "| multi-mixed | 83.00 (n=1) | - | - | 57.10 (n=1) |" in first
    assert "| multi-mixed | 83.00 (n=1) | - | - | 59.96 (n=1) |" in second
    assert "single-ccks2019" in first and "single-ccks2019" not in second


def test_calibrate_names_a_run_that_is_not_there(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_multischema.py"), "calibrate",
                           "--root", str(tmp_path), "--run", "multi-mixed-s9"],
                          capture_output=True, text=True, timeout=120, cwd=REPO, env={"PYTHONPATH": str(REPO)})
    assert done.returncode != 0 and f"{tmp_path / 'multi-mixed-s9'}: no finished run" in done.stderr


def test_a_margin_alone_makes_a_run_calibrated_and_its_extra_entries_are_not_test_sides(tmp_path: Path) -> None:
    """A head calibrated to threshold 0 but a nesting margin still runs otherwise than as trained; the
    entries beside the test sides (``without_margin``, ``span_nest_margins``) are never read as sides."""
    (tmp_path / "eval.json").write_text(json.dumps({
        "multi-shared-s1": {"span_thresholds": {}, "span_nest_margins": {"cmeee": 0.5},
                            "cmeee": {"micro": {"f1": 0.64}},
                            "threshold_zero": {"cmeee": {"micro": {"f1": 0.62}}},
                            "without_margin": {"cmeee": {"micro": {"f1": 0.62}}}}}), encoding="utf-8")
    done = table("--root", str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["groups"] == {"multi-shared": {"cmeee": [pytest.approx(62.0)]}}
    assert result["calibrated"] == {"multi-shared": {"cmeee": [pytest.approx(64.0)]}}
