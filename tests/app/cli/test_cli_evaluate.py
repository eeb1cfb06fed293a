"""``medkg evaluate`` on the three corpus formats: figures for nested and flat spans, bad files named by line."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import one_json
from corpus_helpers import Samples, multi_schema_model, write_samples
from typer.testing import CliRunner

from app.cli import app
from extractor.checkpoint import load_tagger


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return multi_schema_model(tmp_path_factory)


@pytest.fixture
def samples(tmp_path: Path) -> Samples:
    return write_samples(tmp_path / "data")


def _cli(*args: str):
    return CliRunner().invoke(app, list(args))


def test_nested_and_flat_figures_in_json_and_in_the_table(model, samples):
    res = _cli("evaluate", "--model", str(model), "--test", str(samples.cmeee), "--threads", "1", "--json")
    assert res.exit_code == 0, res.output
    payload = one_json(res.stdout)
    assert payload["format"] == "cmeee" and payload["nested"]["n_gold"] == 14 and payload["flat"]["n_gold"] == 1
    assert payload["nested"]["tp"] + payload["flat"]["tp"] == payload["micro"]["tp"] > 0
    tagger = load_tagger(model, threads=1)  # the span head's decision, as the checkpoint has it
    assert payload["span_head"] == {"threshold": tagger.span_threshold("cmeee"),
                                    "nest_margin": tagger.span_nest_margin("cmeee")}
    other = _cli("evaluate", "--model", str(model), "--test", str(samples.ccks2017), "--threads", "1", "--json")
    assert other.exit_code == 0, other.output
    assert one_json(other.stdout)["span_head"] == {"threshold": tagger.span_threshold("ccks2017"),
                                                   "nest_margin": tagger.span_nest_margin("ccks2017")}
    res = _cli("evaluate", "--model", str(model), "--test", str(samples.ccks2017), "--format", "ccks2017",
               "--split", "test", "--threads", "1")
    assert res.exit_code == 0, res.output
    rows = {line.split("│")[1].strip(): line for line in res.stdout.splitlines() if line.count("│") > 3}
    assert {"all", "nested", "flat", "症状和体征"} <= set(rows)
    assert " 0 " in rows["nested"]  # CCKS 2017 spans never nest


def test_a_bad_corpus_line_is_named_and_can_be_skipped(model, samples):
    lines = samples.cmeee.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("|||10    12    dis|||", "|||10    40    dis|||")  # 胃溃疡's end past the text
    samples.cmeee.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = _cli("evaluate", "--model", str(model), "--test", str(samples.cmeee), "--json")
    assert res.exit_code == 2
    assert one_json(res.stdout)["error"] == (f"{samples.cmeee}:2 end: 40 (inclusive) is outside the text "
                                             "(14 characters)")
    res = _cli("evaluate", "--model", str(model), "--test", str(samples.cmeee), "--skip-invalid", "--threads", "1",
               "--json")
    assert res.exit_code == 0, res.output
    payload = one_json(res.stdout)
    assert payload["skipped"] == {"outside text": 1} and payload["micro"]["n_gold"] == 14
    gold = samples.ccks2017 / "test_gold.csv"
    gold.write_text(gold.read_text(encoding="utf-8").replace("咳痰 11 12", "咳痰 12 13"), encoding="utf-8")
    res = _cli("evaluate", "--model", str(model), "--test", str(samples.ccks2017), "--json")
    assert res.exit_code == 2 and one_json(res.stdout)["error"].startswith(f"{gold}:1 mention: '咳痰' is not the text")


def test_a_model_without_the_head_is_refused(trained, samples):
    one_schema, _ = trained
    res = _cli("evaluate", "--model", str(one_schema), "--test", str(samples.ccks2017), "--json")
    assert res.exit_code == 2
    assert one_json(res.stdout)["error"] == (f"{one_schema}: the model has no ccks2017 head (it tags ccks2019); "
                                             "ccks2017/test is a ccks2017 corpus")


def test_a_crf_head_shows_no_span_decision(trained, samples):
    one_schema, _ = trained
    res = _cli("evaluate", "--model", str(one_schema), "--test", str(samples.ccks2019), "--threads", "1", "--json")
    assert res.exit_code == 0, res.output
    payload = one_json(res.stdout)
    assert payload["format"] == "ccks2019" and "span_head" not in payload  # a CRF head has no threshold
