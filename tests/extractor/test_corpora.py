"""extractor/corpora.py: the three corpus readers on small files written here, their checks, and the real counts."""

from __future__ import annotations

import doctest
import importlib
import json
from pathlib import Path

import pytest

from extractor.corpora import (
    CORPUS_TYPES,
    Corpus,
    CorpusError,
    describe,
    detect_format,
    read_ccks2017,
    read_ccks2019,
    read_cmeee,
    read_corpus,
)
from extractor.data import Span, read_ccks

# --- fixtures: each format written into tmp_path ---------------------------------------------------

#: (record id, section) -> (text, [(mention, start, end inclusive, type)])
CCKS2017_TRAIN = {
    (2, "一般项目"): ("男，45岁，因头晕两天入院。", [("头晕", 7, 8, "症状和体征")]),
    (1, "病史特点"): ("患者腹痛三天，无发热，查体腹部压痛。",
                  [("腹痛", 2, 3, "症状和体征"), ("发热", 8, 9, "症状和体征"), ("查体", 11, 12, "检查和检验"),
                   ("腹部", 13, 14, "身体部位"), ("压痛", 15, 16, "症状和体征")]),
    (1, "一般项目"): ("女，60岁，糖尿病十年。", [("糖尿病", 6, 8, "疾病和诊断")]),
    (1, "诊疗经过"): ("予胰岛素治疗。", []),
}


def write_ccks2017_train(root: Path, records: dict[tuple[int, str], tuple[str, list[tuple[str, int, int, str]]]]
                         = CCKS2017_TRAIN) -> Path:
    """The Train/ layout, CRLF line ends and trailing blank lines as in the real files."""
    for (rid, section), (text, ents) in records.items():
        folder = root / "Train" / section
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{section}-{rid}.txtoriginal.txt").write_bytes((text + "\r\n\r\n\r\n").encode())
        lines = "".join(f"{m}\t{s}\t{e}\t{t}\r\n" for m, s, e, t in ents)
        (folder / f"{section}-{rid}.txt").write_bytes(lines.encode())
    return root


def write_ccks2017_test(root: Path, gold_lines: list[str] | None = None) -> Path:
    """Test/ texts and a test_gold.csv; one mention holds a '"' (a quoted CSV field), one a space."""
    texts = {(301, "一般项目"): "咳嗽两周，予头孢\"等药物治疗。", (301, "出院情况"): "双侧肱二 肌腱无压痛。"}
    for (rid, section), text in texts.items():
        folder = root / "Test" / section
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{section}-{rid}.txtoriginal.txt").write_bytes((text + "\r\n").encode())
    if gold_lines is None:
        gold_lines = ['301,出院情况,双侧肱二 肌腱 0 6 身体部位;压痛 8 9 症状和体征;',
                      '301,一般项目,"咳嗽 0 1 症状和体征;头孢""等药物 6 11 治疗;"']
    (root / "test_gold.csv").write_bytes(("\n".join(gold_lines) + "\n").encode())
    return root


CMEEE_LINES = [
    "小儿肺炎链球菌肺炎常见发热。|||2    8    dis|||2    6    mic|||11    12    sym|||0    1    bod|||",
    "",  # a blank line is no record
    "急性肾小球肾炎|||0    6    dis|||2    4    bod|||4    6    dis|||",
]


def write_lines(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    return path


CCKS2019_ROWS = [
    {"originalText": "胃癌术后予奥沙利铂化疗。", "entities": [
        {"label_type": "药物", "start_pos": 5, "end_pos": 9, "overlap": 0},
        {"label_type": "疾病和诊断", "start_pos": 0, "end_pos": 2, "overlap": 0}]},
    {"originalText": "腹部CT示肝囊肿。", "entities": [
        {"label_type": "影像检查", "start_pos": 0, "end_pos": 4},
        {"label_type": "疾病和诊断", "start_pos": 5, "end_pos": 8}]},
]


def write_ccks2019(path: Path, rows: list[dict[str, object]] = CCKS2019_ROWS, *, bom: bool = True) -> Path:
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + body)
    return path


def mentions(corpus: Corpus) -> list[tuple[str, str, str]]:
    return [(ex.id, ex.text[s.start:s.end], s.type) for ex in corpus.examples for s in ex.spans]


# --- each reader and its offset convention --------------------------------------------------------


def test_ccks2017_train_end_inclusive_becomes_exclusive(tmp_path: Path) -> None:
    corpus = read_ccks2017(write_ccks2017_train(tmp_path))
    assert (corpus.name, corpus.schema, corpus.types) == (f"{tmp_path.name}/train", "ccks2017",
                                                           CORPUS_TYPES["ccks2017"])
    # record id order, then the section order of the record; trailing blank lines are not text
    assert [ex.id for ex in corpus.examples] == ["1/一般项目", "1/病史特点", "1/诊疗经过", "2/一般项目"]
    assert corpus.examples[1].text == "患者腹痛三天，无发热，查体腹部压痛。"
    assert corpus.examples[1].spans[0] == Span(2, 4, "症状和体征")
    # the file's mention is the text at [start, end) after reading: fails if end were kept as exclusive
    expected = [(f"{rid}/{sec}", m, t) for (rid, sec), (_, ents) in sorted(CCKS2017_TRAIN.items())
                for m, _, _, t in ents]
    assert sorted(mentions(corpus)) == sorted(expected)
    assert corpus.examples[2].spans == () and corpus.skipped == {}


def test_ccks2017_test_gold_csv(tmp_path: Path) -> None:
    corpus = read_ccks2017(write_ccks2017_test(tmp_path), "test")
    assert [ex.id for ex in corpus.examples] == ["301/一般项目", "301/出院情况"]
    assert mentions(corpus) == [("301/一般项目", "咳嗽", "症状和体征"), ("301/一般项目", "头孢\"等药物", "治疗"),
                                ("301/出院情况", "双侧肱二 肌腱", "身体部位"), ("301/出院情况", "压痛", "症状和体征")]
    assert corpus.examples[0].spans[1] == Span(6, 12, "治疗")


def test_cmeee_nested_and_overlapping_spans_kept_sorted(tmp_path: Path) -> None:
    corpus = read_cmeee(write_lines(tmp_path / "train.txt", CMEEE_LINES))
    assert [ex.id for ex in corpus.examples] == ["train:1", "train:3"]
    first, second = corpus.examples
    # end inclusive in the file: 2..8 is 肺炎链球菌肺炎 (7 characters), nested 2..6 肺炎链球菌 kept
    assert first.spans == (Span(0, 2, "bod"), Span(2, 7, "mic"), Span(2, 9, "dis"), Span(11, 13, "sym"))
    assert [first.text[s.start:s.end] for s in first.spans] == ["小儿", "肺炎链球菌", "肺炎链球菌肺炎", "发热"]
    assert [second.text[s.start:s.end] for s in second.spans] == ["急性肾小球肾炎", "肾小球", "球肾炎"]
    stats = describe(corpus)
    assert (stats.records, stats.spans, stats.nested) == (2, 7, 5)  # 2+1 in line 1; all 3 (one overlap) in line 3
    assert stats.per_type == {"dis": 3, "sym": 1, "pro": 0, "equ": 0, "dru": 0, "ite": 0, "bod": 2, "dep": 0,
                              "mic": 1}
    assert stats.as_dict()["nested"] == 5


def test_ccks2019_same_records_as_read_ccks(tmp_path: Path) -> None:
    path = write_ccks2019(tmp_path / "part1.txt")
    corpus = read_ccks2019(path)
    assert list(corpus.examples) == read_ccks(path)
    assert mentions(corpus) == [("part1:1", "胃癌", "Disease"), ("part1:1", "奥沙利铂", "Drug"),
                                ("part1:2", "腹部CT", "ImagingExam"), ("part1:2", "肝囊肿", "Disease")]


# --- bad input: file:line field: reason, nothing returned; skip_invalid counts ----------------------


def cmeee_case(tmp_path: Path, line: str) -> Path:
    return write_lines(tmp_path / "c.txt", ["胃癌术后。|||0    1    dis|||", line, "发热。|||0    1    sym|||"])


@pytest.mark.parametrize(("line", "field", "reason", "key", "spans_left"), [
    ("腹痛。|||0    3    sym|||", "end", "3 (inclusive) is outside the text (3 characters)", "outside text", 2),
    ("腹痛。|||-1    1    sym|||", "start", "-1 is outside the text (3 characters)", "outside text", 2),
    ("腹痛。|||0    1    pain|||", "type",
     "unknown type 'pain' for cmeee (known: dis, sym, pro, equ, dru, ite, bod, dep, mic)", "unknown type", 2),
    ("腹痛。|||2    1    sym|||", "start", "2 is after end 1 (an empty span)", "start > end", 2),
    ("腹痛。|||x    1    sym|||", "start", "not an integer offset: 'x'", "malformed", 2),
    ("腹痛。|||0    1|||", "entity", "expected 'start    end    type', got '0    1'", "malformed", 2),
    ("|||0    1    sym|||", "text", "empty record text", "empty text", 2),
    ("腹痛。", "line", "no '|||' separator (expected text|||start    end    type|||...)", "malformed", 2),
])
def test_cmeee_bad_span_names_file_line_field(tmp_path: Path, line: str, field: str, reason: str, key: str,
                                              spans_left: int) -> None:
    path = cmeee_case(tmp_path, line)
    with pytest.raises(CorpusError) as info:
        read_cmeee(path)
    assert str(info.value) == f"{path}:2 {field}: {reason}"
    assert (info.value.line, info.value.field, info.value.key) == (2, field, key)
    corpus = read_cmeee(path, skip_invalid=True)
    assert corpus.skipped == {key: 1}
    assert sum(len(ex.spans) for ex in corpus.examples) == spans_left
    record_level = field in ("text", "line")
    assert len(corpus.examples) == (2 if record_level else 3)


def test_mixed_encodings_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_bytes("胃癌。|||0    1    dis|||\n".encode() + "发热。|||0    1    sym|||\n".encode("gbk")
                     + "腹痛。|||0    1    sym|||\n".encode())
    with pytest.raises(CorpusError, match=r"mixed\.txt:2 encoding: not valid UTF-8 \(byte 0xb7 at byte 0"):
        read_corpus(path)
    corpus = read_corpus(path, skip_invalid=True)
    assert [ex.id for ex in corpus.examples] == ["mixed:1", "mixed:3"] and corpus.skipped == {"not UTF-8": 1}


def test_ccks2017_train_bad_inputs(tmp_path: Path) -> None:
    records = dict(CCKS2017_TRAIN)
    body = records[(1, "病史特点")][0]
    records[(1, "病史特点")] = (body, [("腹痛", 2, 3, "症状和体征"), ("腹痛", 3, 4, "症状和体征")])  # line 2 off by one
    root = write_ccks2017_train(tmp_path / "a", records)
    ann = root / "Train" / "病史特点" / "病史特点-1.txt"
    with pytest.raises(CorpusError) as info:
        read_ccks2017(root)
    assert str(info.value) == f"{ann}:2 mention: '腹痛' is not the text at 3-4 ('痛三')"
    corpus = read_ccks2017(root, skip_invalid=True)
    assert corpus.skipped == {"mention mismatch": 1} and len(corpus.examples) == 4
    # record level: an empty text, a text in GBK, an annotation file missing; each record skipped, counted
    text = root / "Train" / "一般项目" / "一般项目-1.txtoriginal.txt"
    text.write_bytes(b"\r\n\r\n")
    with pytest.raises(CorpusError, match=rf"^{text}:1 text: empty record text$"):
        read_ccks2017(root)
    text.write_bytes("女，60岁，糖尿病十年。".encode("gbk"))
    with pytest.raises(CorpusError, match=rf"^{text}:1 encoding: not valid UTF-8"):
        read_ccks2017(root)
    (root / "Train" / "诊疗经过" / "诊疗经过-1.txt").unlink()
    corpus = read_ccks2017(root, skip_invalid=True)
    assert corpus.skipped == {"mention mismatch": 1, "not UTF-8": 1, "missing annotation": 1}
    assert [ex.id for ex in corpus.examples] == ["1/病史特点", "2/一般项目"]


@pytest.mark.parametrize(("line", "field", "reason", "key"), [
    ("301,出院情况,双侧肱二 肌腱 0 6 身体部位;压痛 7 8 症状和体征;", "mention",
     "'压痛' is not the text at 7-8 ('无压')", "mention mismatch"),
    ("301,出院情况,双侧肱二 肌腱 0 6 身体部位;压痛 8 9 症状;", "type",
     "unknown type '症状' for ccks2017 (known: 症状和体征, 检查和检验, 身体部位, 治疗, 疾病和诊断)", "unknown type"),
    ("301,出院情况,双侧肱二 肌腱 0 6 身体部位;压痛 8 12 症状和体征;", "end",
     "12 (inclusive) is outside the text (11 characters)", "outside text"),
    ("301,出院情况,双侧肱二 肌腱 0 6 身体部位;压痛8 9;", "entity", "expected 'mention start end type', got '压痛8 9'",
     "malformed"),
])
def test_ccks2017_gold_bad_span(tmp_path: Path, line: str, field: str, reason: str, key: str) -> None:
    root = write_ccks2017_test(tmp_path, ['301,一般项目,咳嗽 0 1 症状和体征;', line])
    with pytest.raises(CorpusError) as info:
        read_ccks2017(root, "test")
    assert str(info.value) == f"{root / 'test_gold.csv'}:2 {field}: {reason}"
    corpus = read_ccks2017(root, "test", skip_invalid=True)
    assert corpus.skipped == {key: 1}
    assert mentions(corpus) == [("301/一般项目", "咳嗽", "症状和体征"), ("301/出院情况", "双侧肱二 肌腱", "身体部位")]


def test_ccks2017_gold_rows_without_text_or_twice(tmp_path: Path) -> None:
    rows = ['301,一般项目,咳嗽 0 1 症状和体征;', '301,出院情况,', '302,一般项目,咳嗽 0 1 症状和体征;', '301,一般项目,']
    root = write_ccks2017_test(tmp_path, rows)
    gold = root / "test_gold.csv"
    with pytest.raises(CorpusError) as info:
        read_ccks2017(root, "test")
    assert str(info.value) == f"{gold}:4 id: a second row for 301/一般项目 (first on line 1)"
    corpus = read_ccks2017(root, "test", skip_invalid=True)
    assert corpus.skipped == {"malformed": 1, "missing text": 1}
    assert [ex.id for ex in corpus.examples] == ["301/一般项目", "301/出院情况"]
    write_ccks2017_test(tmp_path, ['301,一般项目,', '301,出院情况,', '302,一般项目,'])
    with pytest.raises(CorpusError, match=r"test_gold\.csv:3 section: no text file Test/一般项目/一般项目-302"):
        read_ccks2017(root, "test")


@pytest.mark.parametrize(("row", "field", "reason", "key"), [
    ({"originalText": "胃癌", "entities": [{"label_type": "药物", "start_pos": 1, "end_pos": 5}]}, "end",
     "5 (exclusive) is outside the text (2 characters)", "outside text"),
    ({"originalText": "胃癌", "entities": [{"label_type": "症状", "start_pos": 0, "end_pos": 2}]}, "type",
     "unknown type '症状' for ccks2019 (known: 疾病和诊断, 药物, 手术, 解剖部位, 实验室检验, 影像检查, Disease, Drug, "
     "Operation, Anatomy, LabTest, ImagingExam)", "unknown type"),
    ({"originalText": "胃癌", "entities": [{"label_type": "药物", "start_pos": 1, "end_pos": 1}]}, "start",
     "1 is not before end 1 (an empty span)", "start > end"),
    ({"originalText": " ", "entities": []}, "text", "empty record text", "empty text"),
    ({"text": "胃癌"}, "originalText", "missing or not a string", "malformed"),
])
def test_ccks2019_bad_input(tmp_path: Path, row: dict[str, object], field: str, reason: str, key: str) -> None:
    path = write_ccks2019(tmp_path / "t.json", [CCKS2019_ROWS[0], row])
    with pytest.raises(CorpusError) as info:
        read_ccks2019(path)
    assert str(info.value) == f"{path}:2 {field}: {reason}"
    corpus = read_ccks2019(path, skip_invalid=True)
    assert corpus.skipped == {key: 1} and corpus.examples[0].id == "t:1"
    assert sum(len(ex.spans) for ex in corpus.examples) == 2


def test_ccks2019_bad_json_line(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('{"originalText": "胃癌", "entities": []}\n{"originalText": \n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"t\.json:2 json: not a JSON object"):
        read_ccks2019(path)


# --- read_corpus: the format from the name or the path's shape ------------------------------------


def test_read_corpus_detects_each_format(tmp_path: Path) -> None:
    root = write_ccks2017_test(write_ccks2017_train(tmp_path / "c17"))
    cmeee = write_lines(tmp_path / "lines.txt", CMEEE_LINES)
    ccks19 = write_ccks2019(tmp_path / "rows.txt")
    assert [detect_format(p) for p in (root, cmeee, ccks19)] == ["ccks2017", "cmeee", "ccks2019"]
    assert read_corpus(root).name == "c17/train" and len(read_corpus(root, split="test").examples) == 2
    assert read_corpus(cmeee).schema == "cmeee" and read_corpus(ccks19).schema == "ccks2019"
    assert read_corpus(cmeee, "cmeee") == read_cmeee(cmeee)


def test_read_corpus_refuses_what_it_cannot_tell(tmp_path: Path) -> None:
    plain = write_lines(tmp_path / "notes.txt", ["", "胃癌术后复查。"])
    with pytest.raises(CorpusError) as info:
        read_corpus(plain)
    assert str(info.value) == (f"{plain}:2 format: neither a 'text|||start    end    type|||' line (cmeee) nor a "
                               "JSON object (ccks2019); pass the format (ccks2017, cmeee, ccks2019)")
    (tmp_path / "folder").mkdir()
    with pytest.raises(CorpusError, match=r"folder format: a folder without Train/ or Test/"):
        read_corpus(tmp_path / "folder")
    (tmp_path / "empty.txt").write_bytes(b"\n")
    with pytest.raises(CorpusError, match=r"empty\.txt format: an empty file"):
        read_corpus(tmp_path / "empty.txt")
    with pytest.raises(FileNotFoundError, match="no such corpus file or folder"):
        read_corpus(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="unknown corpus format 'conll'"):
        read_corpus(plain, "conll")
    with pytest.raises(ValueError, match="applies to the ccks2017 folder only"):
        read_corpus(write_lines(tmp_path / "c.txt", CMEEE_LINES), split="test")
    root = write_ccks2017_train(tmp_path / "c17")
    with pytest.raises(FileNotFoundError, match="no CCKS 2017 test folder"):
        read_corpus(root, split="test")
    (root / "Test").mkdir()
    with pytest.raises(FileNotFoundError, match="needs its gold file"):
        read_corpus(root, split="test")
    with pytest.raises(ValueError, match="split must be"):
        read_ccks2017(tmp_path / "c17", "dev")


def test_docstring_examples() -> None:
    for name in ("extractor.corpora", "extractor.corpus_check"):
        result = doctest.testmod(importlib.import_module(name))
        assert result.failed == 0, name


# --- the real files: the counts SOURCES.md gives ---------------------------------------------------


@pytest.mark.data
def test_real_ccks2017_counts(data_dir: Path) -> None:
    root = data_dir / "ccks2017-cner"
    assert root.is_dir(), f"{root} missing from the research data"
    corpus = read_corpus(root)
    train = describe(corpus)
    assert (train.records, train.spans, train.nested, train.skipped) == (1198, 29866, 0, {})
    assert train.per_type == {"症状和体征": 7831, "检查和检验": 9546, "身体部位": 10719, "治疗": 1048,
                              "疾病和诊断": 722}
    assert len({ex.id.split("/")[0] for ex in corpus.examples}) == 300  # 1,198 section files of 300 records
    test = describe(read_corpus(root, split="test"))
    assert (test.records, test.spans, test.skipped) == (398, 9112, {})
    assert test.per_type == {"症状和体征": 2257, "检查和检验": 3013, "身体部位": 2875, "治疗": 451, "疾病和诊断": 516}


@pytest.mark.data
def test_real_cmeee_counts(data_dir: Path) -> None:
    path = data_dir / "chip2020-cmeee" / "train_data_all.txt"
    assert path.is_file(), f"{path} missing from the research data"
    # two of the 61,796 annotated spans end before they start (empty): the strict reader refuses the file
    with pytest.raises(CorpusError) as info:
        read_corpus(path)
    assert str(info.value) == f"{path}:6052 start: 16 is after end 15 (an empty span)"
    stats = describe(read_corpus(path, skip_invalid=True))
    assert stats.skipped == {"start > end": 2}  # line 6052 (pro) and line 6422 (mic)
    assert (stats.records, stats.spans + 2) == (15000, 61796)
    assert stats.per_type == {"dis": 15843, "sym": 12269, "pro": 6332 - 1, "equ": 888, "dru": 3930, "ite": 2581,
                              "bod": 17697, "dep": 348, "mic": 1908 - 1}
    assert stats.nested > 0


@pytest.mark.data
def test_real_ccks2019_matches_read_ccks(data_dir: Path) -> None:
    folder = data_dir / "ccks2019-yidu-s4k"
    totals = []
    for name in ("subtask1_training_part1.txt", "subtask1_training_part2.txt", "subtask1_test_set_with_answer.json"):
        corpus = read_corpus(folder / name)
        assert list(corpus.examples) == read_ccks(folder / name) and corpus.skipped == {}
        totals.append(describe(corpus).spans)
    assert totals == [7342, 10311, 6002]
