"""The annotated NER corpora: CCKS 2017 (folder layout), CMeEE / CHIP-2020 (line format) and CCKS 2019.

Each reader returns a :class:`Corpus`: :class:`~extractor.data.Example` records whose spans are
``[start, end)`` with the end **exclusive**, as everywhere else in the extractor, typed with the
corpus's own names (``症状和体征``, ``sym``, ...; the English names for CCKS 2019), and the schema they
belong to (:data:`CORPUS_TYPES`). Nested and overlapping spans are kept, sorted by ``(start, end)``.

Formats (offsets are 0-based Python string indices):

- ``ccks2017``: ``Train/<section>/<section>-<id>.txtoriginal.txt`` holds a section's text and
  ``<section>-<id>.txt`` its spans, ``mention<TAB>start<TAB>end<TAB>type`` with the end **inclusive**.
  The test split has the texts under ``Test/`` and the gold spans in ``test_gold.csv``, one CSV row per
  section file: ``id,section,mention start end type;mention start end type;...`` (end inclusive).
  One record per section file, id ``"<id>/<section>"`` (``"17/病史特点"``), in the order of the
  record id, then :data:`CCKS2017_SECTIONS`. A text is its file's lines joined by a newline, the
  trailing blank lines of the files dropped.
- ``cmeee``: one record a line, ``text|||start    end    type|||...|||`` (end inclusive), id
  ``"<file stem>:<line>"``.
- ``ccks2019``: JSON Lines as :func:`extractor.data.read_ccks` reads them (end exclusive, Chinese labels
  mapped to the English types), with the same ids and spans, checked like the others.

Every file is read as bytes and decoded line by line, so a line that is not UTF-8 is reported with its
number (a leading BOM is dropped; :mod:`extractor.corpus_check` holds the checks). Every span is checked
against its text; a bad one raises :class:`CorpusError` with ``file:line field: reason`` and nothing is
returned, or, with ``skip_invalid=True``, the span (a record, for a record-level problem) is left out and
counted per reason in :attr:`Corpus.skipped`.

Example:
    >>> corpus = read_corpus("chip2020-cmeee/train_data_all.txt")  # doctest: +SKIP
    >>> corpus.schema, describe(corpus).records  # doctest: +SKIP
    ('cmeee', 15000)
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from extractor.corpus_check import (
    CORPUS_TYPES,
    INT,
    SCHEMAS,
    Corpus,
    CorpusError,
    Issues,
    check_span,
    check_text,
    decode_line,
    make_example,
    raw_lines,
)
from extractor.data import Example, Span

__all__ = [
    "CCKS2017_SECTIONS",
    "CORPUS_TYPES",
    "SCHEMAS",
    "Corpus",
    "CorpusError",
    "CorpusStats",
    "describe",
    "detect_format",
    "read_ccks2017",
    "read_ccks2019",
    "read_cmeee",
    "read_corpus",
]

#: The four sections of a CCKS 2017 record, in the order of the record.
CCKS2017_SECTIONS: tuple[str, ...] = ("一般项目", "病史特点", "诊疗经过", "出院情况")

_SECTION_FILE = re.compile(r"(?P<section>.+)-(?P<id>\d+)\.(?P<kind>txtoriginal\.txt|txt)")


@dataclass(frozen=True)
class CorpusStats:
    """What :func:`describe` counts: records, spans per type, nested spans and skips."""

    name: str
    schema: str
    records: int
    spans: int
    per_type: dict[str, int]
    nested: int
    skipped: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        """The stats as plain JSON-ready values."""
        return {"name": self.name, "schema": self.schema, "records": self.records, "spans": self.spans,
                "per_type": dict(self.per_type), "nested": self.nested, "skipped": dict(self.skipped)}


# --- CMeEE / CHIP-2020 -----------------------------------------------------------------------------


def _read_line_file(path: Path, schema: str, parse: Callable[[str, Path, int, Issues], Example],
                    skip_invalid: bool) -> Corpus:
    """One record per non-blank line, each decoded on its own (a line that is not UTF-8 names its number)."""
    issues = Issues(skip_invalid)
    out: list[Example] = []
    for number, raw in raw_lines(path):
        try:
            line = decode_line(path, number, raw)
            if line.strip():
                out.append(parse(line, path, number, issues))
        except CorpusError as exc:
            issues.add(exc)
    return Corpus(path.name, schema, CORPUS_TYPES[schema], tuple(out), dict(issues.counts))


def _cmeee_record(line: str, path: Path, number: int, issues: Issues) -> Example:
    if "|||" not in line:
        raise CorpusError(path, number, "line", "no '|||' separator (expected text|||start    end    type|||...)",
                          "malformed")
    text, *entities = line.split("|||")
    check_text(text, path, number)
    spans: list[Span] = []
    for entity in entities:
        if not entity.strip():
            continue  # the empty field after the line's last |||
        parts = entity.split()  # four spaces in the files; any whitespace is accepted
        try:
            if len(parts) != 3:
                raise CorpusError(path, number, "entity", f"expected 'start    end    type', got {entity!r}",
                                  "malformed")
            spans.append(check_span(text, parts[0], parts[1], parts[2], schema="cmeee", inclusive=True,
                               path=path, number=number))
        except CorpusError as exc:
            issues.add(exc)
    return make_example(f"{path.stem}:{number}", text, spans)


def read_cmeee(path: str | Path, *, skip_invalid: bool = False) -> Corpus:
    """Read a CHIP-2020 / CMeEE line file (``text|||start    end    type|||...``, end inclusive).

    Args:
        path: The file.
        skip_invalid: Leave out (and count) bad spans and records instead of raising.

    Returns:
        The ``cmeee`` corpus, ids ``<file stem>:<line>``; blank lines are not records.

    Raises:
        FileNotFoundError: If the file is missing.
        CorpusError: On the first bad line or span, unless ``skip_invalid``.
    """
    return _read_line_file(Path(path), "cmeee", _cmeee_record, skip_invalid)


# --- CCKS 2019 -------------------------------------------------------------------------------------


def _ccks2019_record(line: str, path: Path, number: int, issues: Issues) -> Example:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorpusError(path, number, "json", f"not a JSON object ({exc.msg} at column {exc.colno})",
                          "malformed") from exc
    text = row.get("originalText") if isinstance(row, dict) else None
    if not isinstance(text, str):
        raise CorpusError(path, number, "originalText", "missing or not a string", "malformed")
    check_text(text, path, number)
    raw = row.get("entities", [])
    if not isinstance(raw, list):
        raise CorpusError(path, number, "entities", "not a list", "malformed")
    spans: list[Span] = []
    for ent in raw:
        try:
            if not isinstance(ent, dict):
                raise CorpusError(path, number, "entities", f"not an object: {ent!r}", "malformed")
            spans.append(check_span(text, ent.get("start_pos"), ent.get("end_pos"), ent.get("label_type"),
                               schema="ccks2019", inclusive=False, path=path, number=number))
        except CorpusError as exc:
            issues.add(exc)
    return make_example(f"{path.stem}:{number}", text, spans)


def read_ccks2019(path: str | Path, *, skip_invalid: bool = False) -> Corpus:
    """Read a CCKS 2019 JSON Lines file: the records :func:`extractor.data.read_ccks` gives, checked.

    ``read_ccks`` can neither name the field of a bad span nor count skipped ones, so the lines are
    parsed here with the same label table (``CCKS_TYPES``), ids and order; the tests hold the two equal.

    Args:
        path: The file (with or without BOM).
        skip_invalid: Leave out (and count) bad spans and records instead of raising.

    Returns:
        The ``ccks2019`` corpus (English type names), ids ``<file stem>:<line>``.

    Raises:
        FileNotFoundError: If the file is missing.
        CorpusError: On the first bad line or span, unless ``skip_invalid``.
    """
    return _read_line_file(Path(path), "ccks2019", _ccks2019_record, skip_invalid)


# --- CCKS 2017 -------------------------------------------------------------------------------------

_Key = tuple[int, str]  # (record id, section)


def _section_files(folder: Path) -> tuple[dict[_Key, Path], dict[_Key, Path]]:
    """The folder's ``<section>/<section>-<id>`` text and annotation files, by (id, section)."""
    texts: dict[_Key, Path] = {}
    notes: dict[_Key, Path] = {}
    for path in sorted(folder.glob("*/*")):
        match = _SECTION_FILE.fullmatch(path.name)
        if match is None or not path.is_file():
            continue
        key = (int(match["id"]), match["section"])
        (texts if match["kind"] == "txtoriginal.txt" else notes)[key] = path
    return texts, notes


def _order(key: _Key) -> tuple[int, int, str]:
    rid, section = key
    rank = CCKS2017_SECTIONS.index(section) if section in CCKS2017_SECTIONS else len(CCKS2017_SECTIONS)
    return rid, rank, section


def _read_text(path: Path) -> str:
    """A section file's text: its lines joined by a newline, trailing blank lines dropped; checked."""
    lines = [decode_line(path, number, raw) for number, raw in raw_lines(path)]
    text = "\n".join(lines).rstrip("\n")
    check_text(text, path, 1)
    return text


def _ccks2017_train(folder: Path, issues: Issues) -> list[Example]:
    texts, notes = _section_files(folder)
    out: list[Example] = []
    for key in sorted(texts.keys() | notes.keys(), key=_order):
        try:
            if key not in texts:
                raise CorpusError(notes[key], 1, "text", f"no text file {key[1]}-{key[0]}.txtoriginal.txt",
                                  "missing text")
            if key not in notes:
                raise CorpusError(texts[key], 1, "annotations", f"no annotation file {key[1]}-{key[0]}.txt",
                                  "missing annotation")
            text = _read_text(texts[key])
            out.append(make_example(f"{key[0]}/{key[1]}", text, _ccks2017_spans(notes[key], text, issues)))
        except CorpusError as exc:
            issues.add(exc)
    return out


def _ccks2017_spans(path: Path, text: str, issues: Issues) -> list[Span]:
    spans: list[Span] = []
    for number, raw in raw_lines(path):
        try:
            line = decode_line(path, number, raw)
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 4:
                raise CorpusError(path, number, "line", f"expected mention<TAB>start<TAB>end<TAB>type, got {line!r}",
                                  "malformed")
            spans.append(check_span(text, parts[1], parts[2], parts[3], schema="ccks2017", inclusive=True,
                               path=path, number=number, mention=parts[0]))
        except CorpusError as exc:
            issues.add(exc)
    return spans


def _gold_rows(gold: Path, issues: Issues) -> dict[_Key, tuple[int, str]]:
    """``test_gold.csv`` rows: (id, section) -> (line number, entity field)."""
    rows: dict[_Key, tuple[int, str]] = {}
    for number, raw in raw_lines(gold):
        try:
            line = decode_line(gold, number, raw)
            if not line.strip():
                continue
            row = next(csv.reader([line]))  # a mention may hold '"': the entity field is then quoted
            if len(row) != 3 or not INT.fullmatch(row[0]):
                raise CorpusError(gold, number, "line", f"expected id,section,entities, got {line[:60]!r}",
                                  "malformed")
            key = (int(row[0]), row[1])
            if key in rows:
                raise CorpusError(gold, number, "id", f"a second row for {key[0]}/{key[1]} (first on line "
                                  f"{rows[key][0]})", "malformed")
            rows[key] = (number, row[2])
        except CorpusError as exc:
            issues.add(exc)
    return rows


def _gold_spans(field_text: str, text: str, gold: Path, number: int, issues: Issues) -> list[Span]:
    spans: list[Span] = []
    for entity in field_text.split(";"):
        if not entity.strip():
            continue
        parts = entity.rsplit(" ", 3)  # the mention itself may hold spaces
        try:
            if len(parts) != 4:
                raise CorpusError(gold, number, "entity", f"expected 'mention start end type', got {entity!r}",
                                  "malformed")
            spans.append(check_span(text, parts[1], parts[2], parts[3], schema="ccks2017", inclusive=True,
                               path=gold, number=number, mention=parts[0]))
        except CorpusError as exc:
            issues.add(exc)
    return spans


def _ccks2017_test(folder: Path, gold: Path, issues: Issues) -> list[Example]:
    texts, _ = _section_files(folder)
    rows = _gold_rows(gold, issues)
    out: list[Example] = []
    for key in sorted(texts.keys() | rows.keys(), key=_order):
        try:
            if key not in texts:
                raise CorpusError(gold, rows[key][0], "section",
                                  f"no text file {folder.name}/{key[1]}/{key[1]}-{key[0]}.txtoriginal.txt",
                                  "missing text")
            if key not in rows:
                raise CorpusError(texts[key], 1, "annotations", f"no row {key[0]},{key[1]} in {gold.name}",
                                  "missing annotation")
            text = _read_text(texts[key])
            number, entities = rows[key]
            out.append(make_example(f"{key[0]}/{key[1]}", text, _gold_spans(entities, text, gold, number, issues)))
        except CorpusError as exc:
            issues.add(exc)
    return out


def read_ccks2017(root: str | Path, split: str = "train", *, skip_invalid: bool = False) -> Corpus:
    """Read a CCKS 2017 task 2 split: ``root/Train`` with its annotation files, or ``root/Test`` + gold CSV.

    Args:
        root: The folder holding ``Train/``, ``Test/`` and ``test_gold.csv``.
        split: ``train`` or ``test``.
        skip_invalid: Leave out (and count) bad spans and records instead of raising.

    Returns:
        The ``ccks2017`` corpus, one record per section file, ids ``<id>/<section>``.

    Raises:
        FileNotFoundError: If the split's folder (or the test split's gold file) is missing.
        ValueError: If ``split`` is neither ``train`` nor ``test``.
        CorpusError: On the first bad file, line or span, unless ``skip_invalid``.
    """
    root = Path(root)
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    folder = root / split.capitalize()
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no CCKS 2017 {split} folder")
    issues = Issues(skip_invalid)
    if split == "train":
        examples = _ccks2017_train(folder, issues)
    else:
        gold = root / "test_gold.csv"
        if not gold.is_file():
            raise FileNotFoundError(f"{gold}: the CCKS 2017 test split needs its gold file")
        examples = _ccks2017_test(folder, gold, issues)
    return Corpus(f"{root.name}/{split}", "ccks2017", CORPUS_TYPES["ccks2017"], tuple(examples), dict(issues.counts))


# --- the entry point and the summary ---------------------------------------------------------------


def detect_format(path: str | Path) -> str:
    """The format of ``path`` from its shape: a folder with ``Train/`` or ``Test/``, a ``|||`` or JSON line file.

    Raises:
        FileNotFoundError: If the path does not exist.
        CorpusError: If the shape is none of the three.
    """
    path = Path(path)
    if path.is_dir():
        if (path / "Train").is_dir() or (path / "Test").is_dir():
            return "ccks2017"
        raise CorpusError(path, None, "format", "a folder without Train/ or Test/: not a CCKS 2017 corpus; "
                          f"pass the format ({', '.join(SCHEMAS)})", "unknown format")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such corpus file or folder")
    for number, raw in raw_lines(path):
        line = raw.decode("utf-8", errors="replace").strip()
        if not line:
            continue
        if "|||" in line:
            return "cmeee"
        if line.startswith("{"):
            return "ccks2019"
        raise CorpusError(path, number, "format", "neither a 'text|||start    end    type|||' line (cmeee) nor "
                          f"a JSON object (ccks2019); pass the format ({', '.join(SCHEMAS)})", "unknown format")
    raise CorpusError(path, None, "format", "an empty file: no record to tell its format by", "unknown format")


def read_corpus(path: str | Path, fmt: str | None = None, *, split: str | None = None,
                skip_invalid: bool = False) -> Corpus:
    """Read any of the three corpora, the format named or told from the path (:func:`detect_format`).

    Args:
        path: A CCKS 2017 folder, a CMeEE line file or a CCKS 2019 JSON Lines file.
        fmt: ``ccks2017``, ``cmeee`` or ``ccks2019``; ``None`` tells it from the path.
        split: ``train`` (default) or ``test``, for the CCKS 2017 folder only.
        skip_invalid: Leave out (and count) bad spans and records instead of raising.

    Returns:
        The corpus.

    Raises:
        FileNotFoundError: If the path is missing.
        ValueError: On an unknown format name, or a split given for a one-file format.
        CorpusError: On the first bad record or span (unless ``skip_invalid``), or a shape not recognised.
    """
    fmt = detect_format(path) if fmt is None else fmt
    if fmt not in SCHEMAS:
        raise ValueError(f"unknown corpus format {fmt!r}; expected one of: {', '.join(SCHEMAS)}")
    if fmt == "ccks2017":
        return read_ccks2017(path, split or "train", skip_invalid=skip_invalid)
    if split is not None:
        raise ValueError(f"split={split!r} applies to the ccks2017 folder only; a {fmt} file is one split")
    reader = read_cmeee if fmt == "cmeee" else read_ccks2019
    return reader(path, skip_invalid=skip_invalid)


def _nested(record: tuple[Span, ...]) -> int:
    """How many spans contain, lie in or overlap another span of the record."""
    spans = sorted(record, key=lambda s: (s.start, s.end))  # the sweep below stops at the first span past the end
    marked: set[int] = set()
    for i, span in enumerate(spans):
        for j in range(i + 1, len(spans)):
            if spans[j].start >= span.end:
                break
            marked.update((i, j))
    return len(marked)


def describe(corpus: Corpus) -> CorpusStats:
    """Count the corpus's records, spans per type (schema order first), nested spans and skips."""
    per_type: Counter[str] = Counter(s.type for ex in corpus.examples for s in ex.spans)
    ordered = {t: per_type[t] for t in corpus.types} | {t: n for t, n in sorted(per_type.items())
                                                        if t not in corpus.types}
    return CorpusStats(corpus.name, corpus.schema, len(corpus.examples), sum(per_type.values()), ordered,
                       sum(_nested(ex.spans) for ex in corpus.examples), dict(corpus.skipped))

