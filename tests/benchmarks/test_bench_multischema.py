"""The several-schema benchmark's table (benchmarks/bench_multischema.py ``table``): this machine's evaluations
together with the ones kept in ``benchmarks/results/`` (``--also``), and what it says of a bad file."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

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
