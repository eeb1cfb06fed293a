"""``evaluate`` on every corpus format: the head of the corpus's schema, strict scores, nested and flat apart."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from corpus_helpers import Samples, multi_schema_model, write_samples

from app.tagging.workflows import EvaluateRequest, TaggingInputError, evaluate
from extractor.checkpoint import load_tagger
from extractor.corpora import read_corpus
from extractor.scoring import score_spans


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return multi_schema_model(tmp_path_factory)


@pytest.fixture
def samples(tmp_path: Path) -> Samples:
    return write_samples(tmp_path / "data")


def _keys(spans) -> set[tuple[int, int, str]]:
    return {(s.start, s.end, s.type) for s in spans}


def _read_predictions(fmt: str, path: Path, samples: Samples, tmp_path: Path):
    """The predictions file read back by the corpus reader (a CCKS 2017 gold CSV next to the test texts)."""
    if fmt != "ccks2017":
        return read_corpus(path, fmt)
    folder = tmp_path / "predicted"
    shutil.copytree(samples.ccks2017 / "Test", folder / "Test")
    shutil.copy(path, folder / "test_gold.csv")
    return read_corpus(folder, split="test")


@pytest.mark.parametrize("fmt", ["ccks2019", "ccks2017", "cmeee"])
def test_each_format_is_scored_on_its_own_head(model, samples, tmp_path, fmt):
    out = tmp_path / "pred.out"
    evaluation = evaluate(EvaluateRequest(models=(model,), test=samples.of(fmt), predictions=out, errors=True,
                                          threads=1))
    payload = evaluation.payload
    gold = read_corpus(samples.of(fmt), split="test" if fmt == "ccks2017" else None)
    assert payload["format"] == payload["schema"] == fmt and payload["records"] == len(gold.examples) == 5
    assert payload.get("split") == ("test" if fmt == "ccks2017" else None)
    # the figures are the scorer's on the model's predictions of the corpus's own head
    predicted = load_tagger(model, threads=1).predict([ex.text for ex in gold.examples], schema=fmt)
    report = score_spans([ex.spans for ex in gold.examples], predicted)
    assert 0 < report.micro.tp < report.micro.n_gold  # right and wrong predictions: a real comparison
    assert {k: payload[k] for k in ("micro", "nested", "flat")} == {
        "micro": report.micro.to_dict(), "nested": report.nested.to_dict(), "flat": report.flat.to_dict()}
    assert set(payload["per_type"]) <= set(gold.types)  # the corpus's own type names
    if fmt == "cmeee":
        assert payload["nested"]["n_gold"] == 14 and payload["flat"]["n_gold"] == 1
        assert payload["nested"]["tp"] > 0
    else:
        assert payload["nested"]["n_gold"] == 0 and payload["flat"] == payload["micro"]
    assert evaluation.breakdown is not None and payload["errors"] == evaluation.breakdown.to_dict()
    # the predictions come back, in the corpus's own format, as the reader reads that format
    back = _read_predictions(fmt, out, samples, tmp_path)
    assert [ex.text for ex in back.examples] == [ex.text for ex in gold.examples]
    if fmt == "ccks2017":  # the gold CSV layout carries the record ids
        assert [ex.id for ex in back.examples] == [ex.id for ex in gold.examples]
    assert [_keys(ex.spans) for ex in back.examples] == [_keys(p) for p in predicted]


def test_the_ccks2017_split_and_the_format_can_be_named(model, samples):
    train = evaluate(EvaluateRequest(models=(model,), test=samples.ccks2017, split="train", fmt="ccks2017"))
    test = evaluate(EvaluateRequest(models=(model,), test=samples.ccks2017))
    assert train.payload["split"] == "train" and test.payload["split"] == "test"
    assert train.payload["micro"] == test.payload["micro"]  # the samples' two splits hold the same records
    with pytest.raises(TaggingInputError, match="applies to the ccks2017 folder only"):
        evaluate(EvaluateRequest(models=(model,), test=samples.cmeee, split="test"))
    with pytest.raises(TaggingInputError, match="not a JSON object"):  # a CMeEE file read as CCKS 2019
        evaluate(EvaluateRequest(models=(model,), test=samples.cmeee, fmt="ccks2019"))


def test_a_model_without_the_corpus_head_is_refused(trained, model, samples):
    one_schema, _ = trained  # a checkpoint of the CCKS 2019 types only: it still evaluates its own corpus
    assert evaluate(EvaluateRequest(models=(one_schema,), test=samples.ccks2019, threads=1)).payload["records"] == 5
    for fmt in ("ccks2017", "cmeee"):
        with pytest.raises(TaggingInputError) as info:
            evaluate(EvaluateRequest(models=(one_schema,), test=samples.of(fmt)))
        message = str(info.value)
        assert message.startswith(f"{one_schema}: the model has no {fmt} head (it tags ccks2019)")
        assert f"is a {fmt} corpus" in message
    with pytest.raises(TaggingInputError, match="different entity types or schemas"):
        evaluate(EvaluateRequest(models=(one_schema, model), test=samples.ccks2019))


def test_an_ensemble_votes_per_head_and_keeps_nested_spans(model, samples):
    single = evaluate(EvaluateRequest(models=(model,), test=samples.cmeee, threads=1)).payload
    ensemble = evaluate(EvaluateRequest(models=(model, model), test=samples.cmeee, threads=1)).payload
    assert ensemble["min_votes"] == 2 and ensemble["schema"] == "cmeee"
    # two identical members agree on every span: nested ones survive the vote, nothing changes
    assert {k: ensemble[k] for k in ("micro", "nested", "flat")} == {k: single[k] for k in ("micro", "nested", "flat")}
    assert ensemble["nested"]["tp"] > 0
