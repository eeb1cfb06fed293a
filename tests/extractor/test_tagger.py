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
from extractor.train import budget_allows, train_tagger

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
    train_tagger(cfg, examples, tmp_path, concepts=concepts, kg=kg, dev=examples)
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


@pytest.mark.parametrize(("astral", "placeholder"), [("😀😀", "□□"), ("𠀀𪚥", "□□"), ("\ud800\udfff", "□□"),
                                                     ("胃癌😀", "胃癌□")])
def test_offsets_are_code_points_however_wide_the_characters(learned, examples, astral, placeholder):
    """Characters outside the vocabulary all read as [UNK], so a text with astral characters or lone
    surrogates and the same text with one BMP placeholder each must give identical spans: an offset
    that counted UTF-16 units or bytes would move every span after them."""
    tagger = load_tagger(learned, threads=None)
    assert all(tagger.vocab.id_of(c) == tagger.vocab.unk_id for c in "😀𠀀𪚥\ud800\udfff□")
    found = 0
    for ex in examples[:4]:
        wide, narrow = astral + ex.text, placeholder + ex.text
        got = [(s.start, s.end, s.type) for s in tagger.predict([wide])[0]]
        assert got == [(s.start, s.end, s.type) for s in tagger.predict([narrow])[0]]
        assert all(wide[s] == narrow[s] for s in (slice(a, b) for a, b, _ in got) if wide[s].isascii() is False)
        found += len(got)
        middle = len(ex.text) // 2
        wide2, narrow2 = ex.text[:middle] + astral + ex.text[middle:], ex.text[:middle] + placeholder + ex.text[middle:]
        assert [(s.start, s.end) for s in tagger.predict([wide2])[0]] == [
            (s.start, s.end) for s in tagger.predict([narrow2])[0]]
    assert found > 0  # the model finds spans, so there were offsets to compare


def test_long_record_windows_merge_to_valid_spans(learned, examples):
    tagger = load_tagger(learned, threads=None)
    text = "".join(ex.text for ex in examples) * 3
    spans = tagger.predict([text])[0]
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    assert tagger.window == 16
    # each window decides the spans that start in the part it owns, and away from the window's edges
    # (where features computed on the whole record see past the window) tagging that window's text alone
    # finds the same spans: merging puts every span back exactly where its window found it
    from extractor.windows import owned_regions, windows

    overlap = min(tagger.config.encoder.overlap, tagger.window // 2)
    wins = windows(len(text), tagger.window, overlap)
    assert len(wins) > 10 and [r for r in owned_regions(wins)][0][0] == 0
    inner, merged_total = 0, 0
    for (lo, hi), (a, b) in zip(wins, owned_regions(wins), strict=True):
        mine = [(s.start, s.end, s.type) for s in spans if a <= s.start < b]
        merged_total += len(mine)
        alone = [(s.start + lo, s.end + lo, s.type) for s in tagger.predict([text[lo:hi]])[0]]
        def inside(x: tuple[int, int, str], lo: int = lo, hi: int = hi) -> bool:
            return not ((lo > 0 and x[0] < lo + overlap) or (hi < len(text) and x[1] > hi - overlap))

        assert [x for x in mine if inside(x)] == [x for x in alone if a <= x[0] < b and inside(x)], (lo, hi)
        inner += sum(1 for x in mine if inside(x))
    assert merged_total == len(spans) and inner >= len(spans) // 3  # every span owned once; 46 of 93 compared


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
    # the passed-in vector is what the matched characters carry: their KG rows hold exactly it
    text = "患者胃癌术后"
    feats = tagger.featurizer.featurize(text)
    rows = feats.kg_rows[2:4]
    assert (rows > 0).all() and (feats.kg_rows[:2] == 0).all()
    assert np.array_equal(tagger.featurizer.kg_matrix[rows[0]], np.ones(4, np.float32))
    other = load_tagger(trained[0], {"Disease:胃癌": np.full(4, -2.0, np.float32)}, threads=None)
    stored = load_tagger(trained[0], threads=None)
    fused = [_fused(t, text) for t in (tagger, other, stored)]
    assert not torch.allclose(fused[0][2:4], fused[1][2:4])  # another vector, another fused input there
    assert torch.allclose(fused[0][:2], fused[1][:2]) and torch.allclose(fused[0][:2], fused[2][:2])  # not elsewhere


def _fused(tagger, text):
    """The fused per-character input of one short text (encoder + KG + features), as the BiLSTM gets it."""
    from extractor.batching import collate

    assert len(text) <= tagger.window
    items, _ = tagger.windows_of([text])
    batch = collate(items, tagger.featurizer.kg_matrix, tagger.device)
    tagger.module.eval()
    with torch.no_grad():
        return tagger.module.fused_input(batch)[0, :len(text)]


def test_resume_continues(tiny, tmp_path, examples, concepts, kg):
    cfg = tiny(epochs=1)
    train_tagger(cfg, examples, tmp_path, concepts=concepts, kg=kg)
    result = train_tagger(tiny(epochs=2), examples, tmp_path, concepts=concepts, kg=kg, resume=True)
    assert [h["epoch"] for h in result.history] == [1, 2]


def test_a_budget_of_whole_epochs_starts_none_it_cannot_finish(tiny, tmp_path, examples, concepts, kg):
    history = [{"seconds": 40.0}, {"seconds": 70.0}]  # the last epoch took 30 s
    assert budget_allows(history, 70.0, 100.0, whole_epochs=True)  # 70 + 30 ends at the budget
    assert not budget_allows(history, 71.0, 100.0, whole_epochs=True)
    assert budget_allows(history, 99.0, 100.0) and not budget_allows(history, 101.0, 100.0)
    assert budget_allows(history, 1e9, None, whole_epochs=True) and budget_allows([], 0.0, 1.0, whole_epochs=True)
    # in training: a budget no epoch can keep still gives one epoch, and a saved model
    result = train_tagger(tiny(epochs=3, patience=3, max_seconds=1e-3, whole_epochs=True), examples, tmp_path,
                          concepts=concepts, kg=kg)
    assert result.epochs_run == 1 and (tmp_path / "model.safetensors").is_file()
    assert json.loads((tmp_path / "config.json").read_text())["config"]["train"]["whole_epochs"] is True


#: Parameters that exist only while a feature is on.
SWITCHED = {"kg": ("kg_proj.weight", "kg_placeholder"), "bioes": ("bioes.weight",),
            "category": ("category.weight",), "semantic": ("bigram.weight",)}


@pytest.mark.parametrize("switch", ["kg", "bioes", "category", "semantic"])
def test_each_feature_switches_off(tiny, tmp_path, examples, concepts, kg, switch, trained):
    from safetensors.torch import load_file

    cfg = tiny(epochs=1)
    cfg = cfg.model_copy(update={"features": cfg.features.model_copy(update={switch: False})})
    train_tagger(cfg, examples[:6], tmp_path, concepts=concepts, kg=kg)
    assert isinstance(load_tagger(tmp_path, threads=None).predict(["胃癌"])[0], list)
    saved = json.loads((tmp_path / "config.json").read_text())["config"]["features"]
    assert saved[switch] is False and all(v for k, v in saved.items() if k in SWITCHED and k != switch)
    off, on = load_file(str(tmp_path / "model.safetensors")), load_file(str(trained[0] / "model.safetensors"))
    assert all(name in on for name in SWITCHED[switch]) and not any(name in off for name in SWITCHED[switch])
    # the BiLSTM reads a narrower input by exactly that feature's width
    dims = {"kg": cfg.features.kg_proj_dim, "bioes": cfg.features.feature_dim, "category": cfg.features.feature_dim,
            "semantic": cfg.features.bigram_dim}
    assert on["lstm.weight_ih_l0"].shape[1] - off["lstm.weight_ih_l0"].shape[1] == dims[switch]


def test_bio_scheme(tiny, tmp_path, examples, concepts, kg):
    cfg = tiny(epochs=1)
    cfg = cfg.model_copy(update={"head": cfg.head.model_copy(update={"scheme": "BIO"})})
    train_tagger(cfg, examples[:6], tmp_path, concepts=concepts, kg=kg)
    tagger = load_tagger(tmp_path, threads=None)
    assert all(isinstance(s, Span) for s in tagger.predict(["胃癌术后"])[0])
    labels = label_list(cfg.types, "BIO")
    assert tagger.config.head.scheme == "BIO" and not any(t.startswith(("S-", "E-")) for t in labels)
    assert tagger.module.emit.out_features == len(labels) == 1 + 2 * len(cfg.types)  # O, B-x, I-x only


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
