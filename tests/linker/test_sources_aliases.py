from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from linker.aliases import load_alias_table, parse_alias_lines
from linker.sources import DataMissingError, default_data_dir, load_ccks_training, load_kg_vocabulary

REPO = Path(__file__).resolve().parents[2]


def fake_data_dir(root: Path) -> Path:
    xywy = root / "xywy-medicalkg-tonystark" / "region_words"
    qa = root / "qasystem-medicalkg" / "dict"
    xywy.mkdir(parents=True)
    qa.mkdir(parents=True)
    for stem in ("checks", "departments", "diseases", "drugs", "foods", "symptoms"):
        (xywy / f"{stem}.txt").write_text("", encoding="utf-8")
    for stem in ("check", "department", "disease", "drug", "food", "producer", "symptom"):
        (qa / f"{stem}.txt").write_text("", encoding="utf-8")
    (xywy / "diseases.txt").write_text("胃炎\n肝硬化\n\n", encoding="utf-8")
    (qa / "disease.txt").write_text("胃炎\n", encoding="utf-8")
    (qa / "symptom.txt").write_text(" 头痛 \n", encoding="utf-8")
    ccks = root / "ccks2019-yidu-s4k"
    ccks.mkdir()
    row = {"originalText": "胃炎。", "entities": [{"label_type": "疾病和诊断", "start_pos": 0, "end_pos": 2}]}
    (ccks / "subtask1_training_part1.txt").write_text("\ufeff" + json.dumps(row, ensure_ascii=False) + "\n",
                                                      encoding="utf-8")
    (ccks / "subtask1_training_part2.txt").write_text(json.dumps(row, ensure_ascii=False), encoding="utf-8")
    return root


def test_vocabulary_union_sorted_ids(tmp_path: Path) -> None:
    recs = load_kg_vocabulary(fake_data_dir(tmp_path))
    assert [r.id for r in recs] == ["Disease:肝硬化", "Disease:胃炎", "Symptom:头痛"]


def test_ccks_training_with_bom(tmp_path: Path) -> None:
    recs = load_ccks_training(fake_data_dir(tmp_path))
    assert len(recs) == 2
    assert recs[0].entities[0].text == "胃炎" and recs[0].entities[0].label == "疾病和诊断"


def test_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataMissingError, match="MEDKG_DATA_DIR"):
        load_kg_vocabulary(tmp_path)
    with pytest.raises(DataMissingError):
        load_ccks_training(tmp_path)


def test_default_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEDKG_DATA_DIR", str(tmp_path))
    assert default_data_dir() == tmp_path
    monkeypatch.delenv("MEDKG_DATA_DIR")
    assert default_data_dir() == REPO.parent / "shared" / "data"


def test_alias_table() -> None:
    entries = load_alias_table()
    assert any(e.alias == "爱若华" and e.label == "Drug" for e in entries)
    assert len({(e.alias, e.label) for e in entries}) == len(entries), "duplicate curated alias"
    assert parse_alias_lines(["# c", "", "a\tb"], "x")[0].label is None
    with pytest.raises(ValueError, match="x:1"):
        parse_alias_lines(["only-one-column"], "x")


def test_benchmark_exits_nonzero_without_data(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_linker.py"), "--data-dir", str(tmp_path)],
        capture_output=True, text=True, cwd=REPO, env={"PYTHONPATH": str(REPO)}, timeout=60,
    )
    assert proc.returncode == 2
    assert "shared data missing" in proc.stderr and proc.stdout == ""


def test_linker_imports_no_torch_neo4j_or_graph() -> None:
    code = (
        "import sys, linker, linker.evalset, linker.calibrate, linker.evaluate, linker.gazetteer\n"
        "from linker.steps import get_step\n"
        "[get_step(n) for n in ('exact', 'alias', 'normalized', 'fuzzy', 'vector')]\n"
        "bad = [m for m in ('torch', 'neo4j', 'graph', 'transformers') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    env = {"PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env=env, timeout=60)
