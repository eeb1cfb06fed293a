"""The tagger commands of ``medkg`` (graph/cli_tagger.py) on files written here; no shared data needed."""

import json

from typer.testing import CliRunner

from extractor.data import write_ccks
from graph.cli import app


def _cli(*args: str):
    return CliRunner().invoke(app, list(args))


def test_train_then_evaluate_json(tmp_path, examples):
    data = tmp_path / "train.txt"
    write_ccks(examples, data)
    out = tmp_path / "model"
    res = _cli("train", "--train", str(data), "--out", str(out), "--no-kg", "--no-bioes", "--no-category",
               "--lstm-layers", "1", "--lstm-hidden", "8", "--epochs", "1", "--threads", "1", "--no-progress", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout.strip().splitlines()[-1])["epochs_run"] == 1
    res = _cli("evaluate", "--model", str(out), "--test", str(data), "--json",
               "--predictions", str(tmp_path / "pred.json"))
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout.strip().splitlines()[-1])
    assert set(payload["micro"]) >= {"precision", "recall", "f1"} and payload["records"] == len(examples)
    assert (tmp_path / "pred.json").is_file()


def test_clear_errors(tmp_path):
    res = _cli("evaluate", "--model", str(tmp_path / "missing"), "--test", str(tmp_path / "x"), "--json")
    assert res.exit_code == 2 and "not a checkpoint" in json.loads(res.stdout.strip().splitlines()[-1])["error"]
    test_file = tmp_path / "subtask1_test_set_with_answer.json"
    test_file.write_text("")
    res = _cli("train", "--train", str(test_file), "--out", str(tmp_path / "m"), "--no-kg", "--json")
    assert res.exit_code == 2 and "final evaluation only" in res.stdout
    res = _cli("train", "--train", str(tmp_path / "x"), "--out", str(tmp_path / "m"), "--json")
    assert res.exit_code == 2
