import json
import shutil

import numpy as np
import pytest
import torch

from extractor.checkpoint import CheckpointError, load_tagger
from extractor.data import Span
from extractor.decoder import ConstrainedDecoder
from extractor.evaluate import evaluate_tagger
from extractor.tags import allowed_transitions, label_list, spans_to_tags, tags_to_spans
from extractor.train import train_tagger

BAD_TEXTS = ["", "   \n\t ", "😀😀胃癌😀", "𠀀𪚥胃癌\U0002b740", "\x00\x07胃\x1b癌\r\n", "胃癌" * 50_000]


def test_train_save_load_predict_round_trip(trained, examples):
    out, result = trained
    assert result.epochs_run >= 1 and result.n_dev == 4
    for name in ("config.json", "model.safetensors", "vocab.json", "bigrams.json", "concepts.json", "kg_vectors.npz"):
        assert (out / name).is_file()
    meta = json.loads((out / "config.json").read_text())
    assert meta["kg_run"] == "test-run" and meta["feature_version"] == 1
    tagger = load_tagger(out, threads=None)
    texts = [ex.text for ex in examples]
    first = tagger.predict(texts)
    assert tagger.predict(texts, batch_size=3) == first
    again = load_tagger(out, threads=None).predict(texts)
    assert [[(s.start, s.end, s.type) for s in p] for p in again] == [[(s.start, s.end, s.type) for s in p]
                                                                        for p in first]
    for text, spans in zip(texts, first, strict=True):
        for s in spans:
            assert 0 <= s.start < s.end <= len(text) and 0.0 <= s.score <= 1.0 + 1e-6


def test_learns_the_training_data(tiny, tmp_path, examples, concepts, kg):
    cfg = tiny(epochs=25, dev_fraction=0.0, patience=25)
    train_tagger(cfg, examples, tmp_path, concepts=concepts, kg=kg, dev=examples, progress=False)
    result = evaluate_tagger(load_tagger(tmp_path, threads=None), examples)
    assert result.report.micro.f1 > 0.6


def test_bad_input_never_crashes_and_offsets_stay_exact(trained):
    tagger = load_tagger(trained[0], threads=None)
    results = tagger.predict(BAD_TEXTS)
    assert results[0] == [] and len(results) == len(BAD_TEXTS)
    for text, spans in zip(BAD_TEXTS, results, strict=True):
        for s in spans:
            assert 0 <= s.start < s.end <= len(text)
    with pytest.raises(TypeError):
        tagger.predict([None])  # type: ignore[list-item]


def test_long_record_windows_merge_to_valid_spans(trained, examples):
    tagger = load_tagger(trained[0], threads=None)
    text = "".join(ex.text for ex in examples) * 3
    spans = tagger.predict([text])[0]
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    # a window-sized record and the same text inside a long one agree away from window edges
    assert tagger.window == 16


def test_decoded_tags_are_always_valid():
    labels = label_list(["X", "Y"], "BIOES")
    decoder = ConstrainedDecoder(allowed_transitions(labels, "BIOES"))
    from torchcrf import CRF

    crf = CRF(len(labels), batch_first=True)
    torch.nn.init.normal_(crf.transitions, std=5.0)
    torch.manual_seed(0)
    emissions = torch.randn(16, 12, len(labels)) * 5
    mask = torch.arange(12)[None, :] < torch.randint(1, 13, (16, 1))
    paths = decoder.viterbi(crf, emissions, mask)
    probs = decoder.marginals(crf, emissions, mask)
    assert torch.allclose(probs.sum(-1)[mask], torch.ones(int(mask.sum())), atol=1e-4)
    for b, path in enumerate(paths):
        assert len(path) == int(mask[b].sum())
        tags = [labels[i] for i in path]
        assert spans_to_tags(len(tags), tags_to_spans(tags)) == tags  # no I/E without B, no dangling B


def test_checkpoint_errors(trained, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(trained[0], broken)
    (broken / "vocab.json").unlink()
    with pytest.raises(CheckpointError, match="missing vocab.json"):
        load_tagger(broken)
    old = tmp_path / "old"
    shutil.copytree(trained[0], old)
    meta = json.loads((old / "config.json").read_text())
    meta["checkpoint_version"] = 0
    (old / "config.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="version"):
        load_tagger(old)
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        load_tagger(tmp_path / "nothing")
    with pytest.raises(CheckpointError, match="dimensions"):
        load_tagger(trained[0], {"Disease:胃癌": np.zeros(3, np.float32)})


def test_kg_lookup_passed_in(trained, examples):
    lookup = {"Disease:胃癌": np.ones(4, np.float32)}
    tagger = load_tagger(trained[0], lookup, threads=None)
    assert tagger.kg_run == "passed-in"
    assert len(tagger.predict([examples[0].text])) == 1


def test_resume_continues(tiny, tmp_path, examples, concepts, kg):
    cfg = tiny(epochs=1)
    train_tagger(cfg, examples, tmp_path, concepts=concepts, kg=kg, progress=False)
    result = train_tagger(tiny(epochs=2), examples, tmp_path, concepts=concepts, kg=kg, resume=True,
                          progress=False)
    assert [h["epoch"] for h in result.history] == [1, 2]


@pytest.mark.parametrize("switch", ["kg", "bioes", "category", "semantic"])
def test_each_feature_switches_off(tiny, tmp_path, examples, concepts, kg, switch):
    cfg = tiny(epochs=1)
    cfg = cfg.model_copy(update={"features": cfg.features.model_copy(update={switch: False})})
    train_tagger(cfg, examples[:6], tmp_path, concepts=concepts, kg=kg, progress=False)
    assert isinstance(load_tagger(tmp_path, threads=None).predict(["胃癌"])[0], list)


def test_bio_scheme(tiny, tmp_path, examples, concepts, kg):
    cfg = tiny(epochs=1)
    cfg = cfg.model_copy(update={"head": cfg.head.model_copy(update={"scheme": "BIO"})})
    train_tagger(cfg, examples[:6], tmp_path, concepts=concepts, kg=kg, progress=False)
    assert all(isinstance(s, Span) for s in load_tagger(tmp_path, threads=None).predict(["胃癌术后"])[0])


def test_marginals_match_brute_force():
    import itertools
    import math

    from torchcrf import CRF

    torch.manual_seed(1)
    labels = label_list(["A"], "BIOES")
    allowed = allowed_transitions(labels, "BIOES")
    start_ok, trans_ok, end_ok = allowed
    crf = CRF(len(labels), batch_first=True)
    torch.nn.init.normal_(crf.transitions, std=2.0)
    emissions = torch.randn(2, 5, len(labels)) * 3
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]).bool()
    with torch.no_grad():
        probs = ConstrainedDecoder(allowed).marginals(crf, emissions, mask)
        for b in range(2):
            n = int(mask[b].sum())
            exact, total = torch.zeros(5, len(labels)), 0.0
            for path in itertools.product(range(len(labels)), repeat=n):
                if not (start_ok[path[0]] and end_ok[path[-1]]
                        and all(trans_ok[x, y] for x, y in zip(path, path[1:], strict=False))):
                    continue
                score = (crf.start_transitions[path[0]] + crf.end_transitions[path[-1]]
                         + sum(emissions[b, i, p] for i, p in enumerate(path))
                         + sum(crf.transitions[x, y] for x, y in zip(path, path[1:], strict=False)))
                weight = math.exp(float(score))
                total += weight
                for i, p in enumerate(path):
                    exact[i, p] += weight
            assert torch.allclose(probs[b], exact / total, atol=1e-5)
