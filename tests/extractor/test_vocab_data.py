import json
from pathlib import Path

import pytest

from extractor.data import Span, read_ccks, write_ccks
from extractor.vocab import CharVocab, bigrams_of

ODD = "a 1\t\n\r\x00\x07😀𠀀𪚥\u2028，ＡＢ"


def test_one_id_per_character():
    vocab = CharVocab.build(["胃癌术后"])
    ids = vocab.encode(ODD + "胃癌")
    assert len(ids) == len(ODD) + 2
    assert ids[-2:] == [vocab.id_of("胃"), vocab.id_of("癌")]
    assert len(vocab.encode_bigrams(ODD)) == len(ODD)
    assert bigrams_of("ab") == ["ab", "b</s>"]


def test_save_load_keeps_odd_tokens(tmp_path):
    vocab = CharVocab.build([ODD])
    vocab.save(tmp_path / "v.json")
    again = CharVocab.load(tmp_path / "v.json")
    assert again.tokens == vocab.tokens


def test_bert_vocab_split_on_newline_only(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n\u2028\na\n", encoding="utf-8")
    vocab = CharVocab.from_bert_vocab(path)
    assert len(vocab) == 7 and vocab.id_of("\u2028") == 5 and vocab.id_of("A") == 6


@pytest.mark.data
def test_shared_bert_vocab_size(data_dir):
    path = data_dir / "bert-base-chinese-vocab" / "vocab.txt"  # the configured data folder (MEDKG_DATA_DIR)
    assert path.is_file(), f"{path} missing from the research data"
    assert len(CharVocab.from_bert_vocab(path)) == 21128


def test_read_ccks_with_bom_and_round_trip(tmp_path):
    path = tmp_path / "in.txt"
    row = {"originalText": "胃癌术后", "entities": [{"start_pos": 0, "end_pos": 2, "label_type": "疾病和诊断"}]}
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(row, ensure_ascii=False).encode() + b"\n\n")
    examples = read_ccks(path)
    assert examples[0].spans == (Span(0, 2, "Disease"),)
    write_ccks(examples, tmp_path / "out.json")
    assert read_ccks(tmp_path / "out.json")[0].spans == examples[0].spans


def test_read_ccks_rejects_bad_span(tmp_path):
    path = tmp_path / "bad.txt"
    row = {"originalText": "胃癌", "entities": [{"start_pos": 1, "end_pos": 5, "label_type": "药物"}]}
    path.write_text(json.dumps(row, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match="bad entity"):
        read_ccks(path)
    assert read_ccks(path, strict=False)[0].spans == ()


def test_extractor_never_imports_graph_or_neo4j():
    import subprocess
    import sys

    mods = ["checkpoint", "train", "predict", "plugin", "evaluate", "pretrain_emb", "pretrain_mlm", "kge_quick"]
    code = ("import sys\n" + "".join(f"import extractor.{m}\n" for m in mods)
            + "bad = [m for m in sys.modules if m.split('.')[0] in ('graph', 'neo4j')]\nprint(bad)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
