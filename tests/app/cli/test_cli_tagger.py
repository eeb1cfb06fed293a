"""The tagger commands of ``medkg`` (app/cli/tagger.py) on files written here; no shared data needed."""

import pytest
from cli_helpers import one_json, run_logged
from typer.testing import CliRunner

from app.cli import app
from extractor.data import write_ccks


def _cli(*args: str):
    return CliRunner().invoke(app, list(args))


def test_train_then_evaluate_json(tmp_path, examples):
    data = tmp_path / "train.txt"
    write_ccks(examples, data)
    out = tmp_path / "model"
    res = _cli("train", "--train", str(data), "--out", str(out), "--no-kg", "--no-bioes", "--no-category",
               "--lstm-layers", "1", "--lstm-hidden", "16", "--epochs", "12", "--threads", "1", "--no-progress",
               "--json")
    assert res.exit_code == 0, res.output
    assert one_json(res.stdout)["epochs_run"] >= 1
    res = _cli("evaluate", "--model", str(out), "--test", str(data), "--json", "--errors",
               "--predictions", str(tmp_path / "pred.json"))
    assert res.exit_code == 0, res.output
    payload = one_json(res.stdout)
    assert set(payload["micro"]) >= {"precision", "recall", "f1"} and payload["records"] == len(examples)
    assert (tmp_path / "pred.json").is_file()
    # its numbers are the scorer's on the same predictions (read back from --predictions), and seqeval's
    from seqeval.metrics import f1_score
    from seqeval.scheme import IOBES

    from extractor.data import read_ccks
    from extractor.scoring import score_spans
    from extractor.tags import spans_to_tags

    gold, predicted = read_ccks(data), read_ccks(tmp_path / "pred.json")
    report = score_spans([g.spans for g in gold], [p.spans for p in predicted])
    assert report.micro.n_pred > 0 and report.micro.tp > 0  # a real comparison, not 0 == 0
    assert payload["micro"]["tp"] == report.micro.tp and payload["micro"]["n_pred"] == report.micro.n_pred
    assert payload["micro"]["f1"] == pytest.approx(report.micro.f1)
    assert {k: v["f1"] for k, v in payload["per_type"].items()} == pytest.approx(
        {k: v.f1 for k, v in report.per_type.items()})
    # the error breakdown accounts for every gold span and every false positive
    from extractor.errors import ERROR_CLASSES

    errors = payload["errors"]["per_type"]
    assert sum(c[k] for c in errors.values() for k in ERROR_CLASSES[:-1]) == report.micro.n_gold
    assert sum(c["correct"] for c in errors.values()) == report.micro.tp
    g_tags = [spans_to_tags(len(ex.text), list(ex.spans)) for ex in gold]
    p_tags = [spans_to_tags(len(ex.text), list(ex.spans)) for ex in predicted]
    assert payload["micro"]["f1"] == pytest.approx(f1_score(g_tags, p_tags, mode="strict", scheme=IOBES))


def test_clear_errors(tmp_path):
    res = _cli("evaluate", "--model", str(tmp_path / "missing"), "--test", str(tmp_path / "x"), "--json")
    assert res.exit_code == 2 and "not a checkpoint" in one_json(res.stdout)["error"]
    test_file = tmp_path / "subtask1_test_set_with_answer.json"
    test_file.write_text("")
    res = _cli("train", "--train", str(test_file), "--out", str(tmp_path / "m"), "--no-kg", "--json")
    assert res.exit_code == 2 and "final evaluation only" in res.stdout
    res = _cli("train", "--train", str(tmp_path / "x"), "--out", str(tmp_path / "m"), "--json")
    assert res.exit_code == 2


def test_kge_vectors_from_a_triples_file(tmp_path):
    """``medkg kge-vectors`` trains pykeen TransE on a KG file and writes a lookup the trainer reads."""
    from extractor.kge_quick import load_kg_vectors

    kg_file = tmp_path / "kg.tsv"
    kg_file.write_text("head\thead_type\trelation\ttail\ttail_type\n"
                       + "".join(f"病{i}\tDisease\tHAS_SYMPTOM\t症{i % 3}\tSymptom\n" for i in range(12)),
                       encoding="utf-8")
    out = tmp_path / "transe.npz"
    res = _cli("kge-vectors", "--model", "TransE", "--source", str(kg_file), "--format", "triples", "--epochs", "2",
               "--dim", "8", "--batch-size", "4", "--learning-rate", "0.01", "--out", str(out), "--json")
    assert res.exit_code == 0, res.output
    payload = one_json(res.stdout)
    assert payload["model"] == "TransE" and payload["entities"] == 15 and payload["run"].startswith("transe-")
    assert payload["epochs_trained"] == 2 and payload["seconds_per_epoch"] > 0
    # 12 triples are under the split's minimum: nothing held out, so no MRR, and the keys say so
    assert payload["test_mrr"] is None and payload["popularity_mrr"] is None and payload["validation_mrr"] == []
    kg = load_kg_vectors(out)
    assert kg.run == payload["run"] and kg.dim == 8
    assert {"Disease:病0", "Symptom:症2"} <= set(kg.vectors)
    assert kg.meta["config"]["sparse"] is False
    sparse_out = tmp_path / "transh.npz"
    res = _cli("kge-vectors", "--model", "TransH", "--source", str(kg_file), "--format", "triples", "--epochs", "2",
               "--dim", "8", "--batch-size", "4", "--sparse", "--out", str(sparse_out), "--json")
    assert res.exit_code == 0, res.output
    sparse_kg = load_kg_vectors(sparse_out)
    assert sparse_kg.meta["config"]["sparse"] is True and set(sparse_kg.vectors) == set(kg.vectors)
    bad = tmp_path / "bad.tsv"
    bad.write_text("head\thead_type\trelation\ttail\ttail_type\n病\tNoSuchLabel\tHAS_SYMPTOM\t症\tSymptom\n",
                   encoding="utf-8")
    res = _cli("kge-vectors", "--source", str(bad), "--format", "triples", "--out", str(out), "--json")
    error = one_json(res.stdout)["error"]
    assert res.exit_code == 2 and f"{bad}:2" in error and "NoSuchLabel" in error  # the file and the line
    res = _cli("kge-vectors", "--model", "NoSuchModel", "--source", str(kg_file), "--format", "triples",
               "--out", str(out), "--json")
    assert res.exit_code == 2 and "NoSuchModel" in one_json(res.stdout)["error"]
    res = _cli("kge-vectors", "--model", "TransE", "--source", str(kg_file), "--format", "triples",
               "--learning-rate", "-1", "--out", str(out), "--json")
    assert res.exit_code == 2 and "learning_rate" in one_json(res.stdout)["error"]


def test_training_progress_with_stderr_to_a_file(tmp_path, examples):
    """``medkg train`` with stderr going to a file: plain progress lines, no carriage-return redraws."""
    data = tmp_path / "train.txt"
    write_ccks(examples, data)
    _, _, text = run_logged(["train", "--train", str(data), "--out", str(tmp_path / "model"), "--no-kg", "--no-bioes",
                             "--no-category", "--lstm-layers", "1", "--lstm-hidden", "16", "--epochs", "4",
                             "--threads", "1", "--seed", "7"], tmp_path / "stderr.log",
                            {"MEDKG_HOME": str(tmp_path / "home")})
    lines = text.splitlines()
    bars = [line for line in lines if line.startswith("training: ") and "(100%)" in line]
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert len(bars) == len(epochs) >= 1, text  # each epoch: its bar's last line, then its summary
