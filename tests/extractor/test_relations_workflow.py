"""The relation sample reader and the evaluation workflow (rules; the learned model is measured by the benchmark)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import one_json

from extractor.relations.data import Schema
from extractor.relations.workflow import evaluate_relations, read_relation_sample

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "relations.jsonl"
SCHEMA = Schema((("疾病", "药物治疗", "药物"), ("疾病", "临床表现", "症状"), ("疾病", "并发症", "疾病")))


def test_sample_candidates_carry_the_gold_labels() -> None:
    candidates, texts = read_relation_sample(SAMPLE, SCHEMA)
    assert len(texts) == 60
    positives = [c for c in candidates if c.label != "none"]
    assert {c.label for c in positives} == {"药物治疗", "临床表现", "并发症"}
    assert len(positives) == 19 + 19 + 4  # every labelled pair of these three signatures is a candidate
    for c in candidates:
        text = texts[c.sentence_id]
        assert text[c.subject.start:c.subject.end] == c.subject.text and c.subject.type == "疾病"


def test_a_bad_sample_line_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "rel.jsonl"
    bad.write_text('{"id": "a", "text": "胃炎", "entities": [], "relations": []}\n'
                   '{"id": "b", "text": "胃炎", "entities": [{"start": 0, "end": 9, "text": "胃炎", "type": "疾病"}],'
                   ' "relations": []}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"rel.jsonl:2: ValueError"):
        read_relation_sample(bad, SCHEMA)


@pytest.mark.data
def test_rules_on_the_cmeie_test_split_and_the_sample(data_dir: Path) -> None:
    report = evaluate_relations(data_dir, None, SAMPLE)
    assert report["split"] == {"train": 2502, "validation": 371, "test": 712} and report["test_candidates"] == 8428
    rules = report["cmeie_test"]["rules"]
    assert 0.4 < rules["micro"]["f1"] < 0.7 and len(rules["per_predicate"]) == 10
    assert report["emr_sample"]["relations"] == 70 and report["emr_sample"]["rules"]["micro"]["f1"] > 0.5


@pytest.mark.data
def test_evaluate_relations_command(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from app.cli import app

    monkeypatch.setenv("MEDKG_DATA_DIR", str(data_dir))
    result = CliRunner().invoke(app, ["evaluate-relations", "--json"])
    lines = result.stdout.strip().splitlines()
    assert result.exit_code == 0 and len(lines) == 1
    assert json.loads(lines[0])["cmeie_test"]["rules"]["micro"]["f1"] > 0.4
    result = CliRunner().invoke(app, ["evaluate-relations", "--model", str(tmp_path / "none"), "--json"])
    assert result.exit_code == 2 and str(tmp_path / "none") in one_json(result.stdout)["error"]
    monkeypatch.setenv("MEDKG_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["evaluate-relations", "--json"])
    assert result.exit_code == 2 and "cmeie" in one_json(result.stdout)["error"]


@pytest.mark.data
def test_end_to_end_on_predicted_entities(data_dir: Path, tmp_path: Path, tiny, trained) -> None:
    """A tagger with CMeIE's types (tiny, a slice of the train split) feeds the CBLUE-style scorer."""
    import torch

    from extractor.relations.data import read_cmeie, split_by_text
    from extractor.relations.evaluate import gold_triples
    from extractor.relations.ner import CMEIE_TYPES, ner_examples
    from extractor.train import train_tagger

    torch.set_num_threads(1)
    split = split_by_text(read_cmeie(data_dir / "cmeie" / "CMeIE_dev.json"))
    examples, _ = ner_examples(split["train"][:300])
    cfg = tiny(epochs=2, dev_fraction=0.0)
    cfg = cfg.model_copy(update={"types": CMEIE_TYPES, "features": cfg.features.model_copy(
        update={"kg": False, "bioes": False, "category": False})})
    train_tagger(cfg, examples, tmp_path / "ner", dev=examples[:30])
    report = evaluate_relations(data_dir, None, None, ner_model=tmp_path / "ner")
    e2e = report["cmeie_test_predicted_entities"]
    gold = sum(len(t) for t in gold_triples(split["test"]).values())  # 2,003 distinct of 2,006 listed
    assert e2e["rules"]["tp"] + e2e["rules"]["fn"] == gold == 2003  # every gold test triple is scored
    assert e2e["ner_strict"]["micro"]["n_gold"] == 3101 and e2e["candidates"] >= 0
    with pytest.raises(ValueError, match="not CMeIE's entity types"):
        evaluate_relations(data_dir, None, None, ner_model=trained[0])  # the CCKS-typed tagger
