"""Records written in their corpus's own format read back as they were (offset conventions included)."""

from __future__ import annotations

import shutil

import pytest
from corpus_helpers import write_samples

from extractor.corpora import read_corpus
from extractor.corpus_write import ccks2017_row, cmeee_line, write_corpus
from extractor.data import Example, Span


@pytest.mark.parametrize("fmt", ["ccks2019", "ccks2017", "cmeee"])
def test_written_records_read_back_the_same(tmp_path, fmt):
    samples = write_samples(tmp_path / "data")
    corpus = read_corpus(samples.of(fmt), split="test" if fmt == "ccks2017" else None)
    out = tmp_path / "written"
    write_corpus(corpus.examples, fmt, out)
    if fmt == "ccks2017":  # the gold CSV next to the same texts is the test split
        folder = tmp_path / "again"
        shutil.copytree(samples.ccks2017 / "Test", folder / "Test")
        shutil.copy(out, folder / "test_gold.csv")
        back = read_corpus(folder, split="test")
        assert out.read_text(encoding="utf-8") == (samples.ccks2017 / "test_gold.csv").read_text(encoding="utf-8")
    else:
        back = read_corpus(out, fmt)
    assert [(ex.text, ex.spans) for ex in back.examples] == [(ex.text, ex.spans) for ex in corpus.examples]
    if fmt == "cmeee":  # nested spans kept, the end written inclusive (慢性胃炎 is 0-3, 胃 inside it 2-2)
        first = out.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("慢性胃炎患者常有上腹部疼痛。|||0    3    dis|||2    2    bod|||")
        assert sum(len(ex.spans) for ex in back.examples) == 15


def test_what_a_format_cannot_hold_is_refused_before_writing(tmp_path):
    assert cmeee_line(Example("x", "胃癌", ())) == "胃癌|||"
    with pytest.raises(ValueError, match="record x: a CMeEE line cannot hold"):
        cmeee_line(Example("x", "胃癌\n术后", ()))
    # a mention holding ';' would split the gold file's entity field
    row = ccks2017_row(Example("7/病史特点", "腹痛;腹胀，CT正常", (Span(6, 8, "检查和检验"),)))
    assert row == "7,病史特点,CT 6 7 检查和检验"
    with pytest.raises(ValueError, match=r"span 0-5 \('腹痛;腹胀'\) holds ';'"):
        ccks2017_row(Example("7/病史特点", "腹痛;腹胀", (Span(0, 5, "症状和体征"),)))
    with pytest.raises(ValueError, match="'<id>/<section>'"):
        ccks2017_row(Example("train:3", "腹痛", ()))
    out = tmp_path / "never.csv"
    with pytest.raises(ValueError):
        write_corpus([Example("1/一般项目", "腹痛", ()), Example("bad", "腹痛", ())], "ccks2017", out)
    assert not out.exists()
    with pytest.raises(ValueError, match="unknown corpus format 'conll'"):
        write_corpus([], "conll", out)
