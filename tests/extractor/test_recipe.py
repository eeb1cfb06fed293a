"""``medkg train --out DIR`` alone: the default model from scratch on a small data folder the test writes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from cli_helpers import one_json
from typer.testing import CliRunner

from extractor.checkpoint import load_tagger
from extractor.data import write_ccks
from graph.cli import app
from graph.db.connection import GraphClient
from graph.tagging.data import CCKS_TRAIN
from graph.tagging.recipe import RecipeConfig, build_default_model
from linker.sources import _VOCAB_FILES

TINY = RecipeConfig(emb_steps=5, emb_seconds=30, word_dim=8, word_epochs=1, word_min_count=1, kge_model="quick",
                    kge_epochs=2, kge_dim=8, cmekg=False, epochs=1, threads=1)


def write_data(root: Path, examples) -> Path:
    for rel in _VOCAB_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
    names = {"Disease": ["胃癌", "高血压", "糖尿病"], "Drug": ["奥沙利铂", "胰岛素"], "Check": ["胸部CT"]}
    for rel, label in _VOCAB_FILES.items():
        (root / rel).write_text("\n".join(names.get(label, [])) + "\n", encoding="utf-8")
    record = {"gaishu_info": {"name": "胃癌", "desc": "胃癌是胃黏膜上皮的恶性肿瘤。", "common_drug": ["奥沙利铂"]},
              "symptom_data": {"symptoms": ["腹痛"], "symptom_detail": []}, "inspect_info": ["胸部CT"]}
    xywy = root / "xywy-medicalkg-tonystark"
    (xywy / "medical_0.json.gz").write_bytes(gzip.compress(json.dumps({"0": record}).encode()))
    half = len(examples) // 2
    for rel, part in zip(CCKS_TRAIN, (examples[:half], examples[half:]), strict=True):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        write_ccks(list(part), root / rel)
    return root


def test_default_model_from_scratch_then_reused_and_registered(tmp_path, examples, neo4j_env):
    root = write_data(tmp_path / "data", examples)
    pretrained = tmp_path / "pretrained"
    first = build_default_model(tmp_path / "model", TINY, data_dir=root, pretrained=pretrained)
    assert {k: v["reused"] for k, v in first.steps.items() if "reused" in v} == {
        "char_vectors": False, "word_lexicon": False, "kg_vectors": False}
    assert {p.name for p in pretrained.iterdir()} == {"char_vectors.npz", "word_lexicon.npz", "quick.npz"}
    tagger = load_tagger(tmp_path / "model", threads=None)
    assert tagger.config.features.softlexicon and tagger.word_lexicon is not None and tagger.kg_dim == 8
    assert first.train["n_train"] + first.train["n_dev"] == len(examples)
    assert first.plugin is not None and first.plugin["enabled"] and first.plugin["name"] == "cbt-kg-tagger"
    with GraphClient.from_environment() as client:
        stored = [e for e in client.read("internal/list_extractors") if e["name"] == "cbt-kg-tagger"]
    assert stored and json.loads(stored[0]["config"])["model_dir"] == str((tmp_path / "model").resolve())
    again = build_default_model(tmp_path / "model2", TINY.model_copy(update={"register_plugin": False}), data_dir=root,
                                pretrained=pretrained)
    assert all(again.steps[k]["reused"] for k in ("char_vectors", "word_lexicon", "kg_vectors"))
    assert again.plugin is None


def test_cli_train_without_train_files_takes_only_the_recipe_options(tmp_path):
    result = CliRunner().invoke(app, ["train", "--out", str(tmp_path / "m"), "--kg", "--lstm-hidden", "64", "--json"])
    assert result.exit_code == 2
    assert "--kg, --lstm-hidden need --train" in one_json(result.stdout)["error"]


@pytest.mark.parametrize("missing", ["qasystem-medicalkg/dict/drug.txt"])
def test_default_model_names_a_missing_data_file(tmp_path, examples, missing):
    root = write_data(tmp_path / "data", examples)
    (root / missing).unlink()
    with pytest.raises(FileNotFoundError, match="drug.txt"):
        build_default_model(tmp_path / "model", TINY, data_dir=root, pretrained=tmp_path / "pretrained")
