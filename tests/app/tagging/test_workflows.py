"""The tagger workflows (app/tagging/workflows.py) called directly, on files written here; no shared data needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.tagging.workflows import (
    EvaluateRequest,
    KgeVectorsRequest,
    PretrainRequest,
    TaggingInputError,
    TrainRequest,
    evaluate,
    kge_vectors,
    pretrain,
    train,
    train_from_files,
)
from extractor.data import write_ccks
from extractor.train import TrainResult

#: A small, fast tagger without the features that need the KG (no gazetteer, no KG vectors).
NO_KG = {"kg": False, "bioes": False, "category": False, "lstm_layers": 1, "lstm_hidden": 16, "threads": 1}


@pytest.fixture
def train_file(tmp_path, examples) -> Path:
    path = tmp_path / "train.txt"
    write_ccks(examples, path)
    return path


def test_train_from_files_then_evaluate(tmp_path, train_file, examples):
    out = tmp_path / "model"
    result = train_from_files(TrainRequest(out=out, train=(train_file,), epochs=3, seed=7, **NO_KG))
    assert isinstance(result, TrainResult) and result.epochs_run >= 1
    assert result.n_train + result.n_dev == len(examples) and result.out_dir == str(out)
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    stored = config.get("config", config)
    assert stored["features"]["kg"] is False and stored["head"]["lstm_hidden"] == 16
    assert stored["train"]["seed"] == 7

    evaluation = evaluate(EvaluateRequest(models=(out,), test=train_file, errors=True,
                                          predictions=tmp_path / "pred.json"))
    assert evaluation.payload["records"] == len(examples) and evaluation.payload["model"] == str(out)
    assert evaluation.breakdown is not None and evaluation.payload["errors"] == evaluation.breakdown.to_dict()
    assert (tmp_path / "pred.json").is_file()
    plain = evaluate(EvaluateRequest(models=(out,), test=train_file))
    assert plain.breakdown is None and "errors" not in plain.payload
    assert plain.payload["micro"] == evaluation.payload["micro"]


def test_train_returns_what_the_command_prints(tmp_path, train_file):
    payload = train(TrainRequest(out=tmp_path / "model", train=(train_file,), epochs=1, **NO_KG))
    assert "config" not in payload and payload["epochs_run"] == 1 and payload["out_dir"] == str(tmp_path / "model")


def test_the_ccks_test_file_is_refused(tmp_path):
    test_file = tmp_path / "subtask1_test_set_with_answer.json"
    test_file.write_text("")
    with pytest.raises(TaggingInputError, match="final evaluation only; it cannot be trained on"):
        train_from_files(TrainRequest(out=tmp_path / "m", train=(test_file,), kg=False))
    assert not (tmp_path / "m").exists()


def test_missing_inputs_are_named(tmp_path, train_file):
    with pytest.raises(TaggingInputError, match="KG fusion is on: pass --kg-vectors FILE.npz, or --no-kg"):
        train_from_files(TrainRequest(out=tmp_path / "m", train=(train_file,)))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"features": {"softlexicon": True, "kg": False}}), encoding="utf-8")
    with pytest.raises(TaggingInputError, match=r"features.softlexicon is on: pass --word-lexicon FILE.npz"):
        train_from_files(TrainRequest(out=tmp_path / "m", train=(train_file,), config=config))
    missing = tmp_path / "words.npz"
    with pytest.raises(TaggingInputError, match="words.npz"):
        train_from_files(TrainRequest(out=tmp_path / "m", train=(train_file,), word_lexicon=missing, **NO_KG))
    with pytest.raises(TaggingInputError, match="nothing.txt"):
        train_from_files(TrainRequest(out=tmp_path / "m", train=(tmp_path / "nothing.txt",), **NO_KG))
    with pytest.raises(TaggingInputError, match="lstm_hidden"):  # the config's own validation
        train_from_files(TrainRequest(out=tmp_path / "m", train=(train_file,), **{**NO_KG, "lstm_hidden": 0}))
    assert not (tmp_path / "m").exists()


def test_without_train_files_only_the_recipe_options_apply(tmp_path):
    request = TrainRequest(out=tmp_path / "m", kg=True, lstm_hidden=64, word_lexicon=tmp_path / "w.npz", seed=3)
    assert request.recipe_only() == ["--kg", "--word-lexicon", "--lstm-hidden"]
    with pytest.raises(TaggingInputError, match="--kg, --word-lexicon, --lstm-hidden need --train; without --train"):
        train(request)
    with pytest.raises(TaggingInputError, match="no training files"):
        train_from_files(TrainRequest(out=tmp_path / "m"))
    assert not (tmp_path / "m").exists()


def test_pretrain_refuses_an_unknown_kind_before_reading_data(tmp_path):
    with pytest.raises(TaggingInputError, match="--kind must be emb, mlm or words, got 'glove'"):
        pretrain(PretrainRequest(kind="glove"), data_dir=tmp_path / "no-data")


def test_kge_vectors_from_a_triples_file(tmp_path):
    from extractor.kge_quick import load_kg_vectors

    kg_file = tmp_path / "kg.tsv"
    kg_file.write_text("head\thead_type\trelation\ttail\ttail_type\n"
                       + "".join(f"病{i}\tDisease\tHAS_SYMPTOM\t症{i % 4}\tSymptom\n" for i in range(8)),
                       encoding="utf-8")
    out = tmp_path / "quick.npz"
    payload = kge_vectors(KgeVectorsRequest(model="quick", source=kg_file, fmt="triples", epochs=2, dim=4, out=out))
    assert payload["out"] == str(out) and "config" not in payload
    assert load_kg_vectors(out).run == payload["run"] and load_kg_vectors(out).dim == 4
    empty = tmp_path / "empty.tsv"
    empty.write_text("head\thead_type\trelation\ttail\ttail_type\n", encoding="utf-8")
    with pytest.raises(TaggingInputError, match=f"no triples in {empty}"):
        kge_vectors(KgeVectorsRequest(source=empty, fmt="triples", out=out))
    with pytest.raises(TaggingInputError, match="NoSuchModel"):
        kge_vectors(KgeVectorsRequest(model="NoSuchModel", source=kg_file, fmt="triples", out=out))


def test_evaluate_refuses_what_is_not_a_checkpoint(tmp_path, train_file):
    with pytest.raises(TaggingInputError, match="not a checkpoint"):
        evaluate(EvaluateRequest(models=(tmp_path / "missing",), test=train_file))
