"""Readers for the KG source formats: ``qasystem``, ``xywy`` and ``triples`` (``cmekg``: :mod:`kgmodel.cmekg`).

Each reader turns a file into *units* (a JSON line, a CSV record, or a disease record) of concepts
and triples. A unit that cannot be read comes back as a :class:`~kgmodel.model.KGFormatError` value,
naming file, line and field, so the caller can stop at the first one or skip and count them.

- ``qasystem``: QASystemOnMedicalKG, one disease per JSON line (``name``, ``desc``, ``symptom``,
  ``acompany``, ``cure_department``, ``common_drug``, ``recommand_drug``, ``drug_detail``, ``check``,
  ``do_eat``, ``not_eat``, ``recommand_eat``, ...), UTF-8 or GBK.
- ``xywy``: the 2020 xywy crawl, gzip (or plain) JSON objects keyed by index, each record with
  ``gaishu_info``, ``cause_info``, ``prevent_info``, ``symptom_data``, ``inspect_info``,
  ``nursing_info`` and ``food_info``; a folder reads every ``medical_*.json[.gz]`` in it.
- ``triples``: CSV or TSV with columns ``head, head_type, relation, tail, tail_type[, source,
  confidence]``; an optional header row starting with ``head``; blank lines and ``#`` comment lines
  between records. Parsed as CSV (a quoted field may span lines, which makes the record invalid: a
  field is one line), and errors name the line a record starts on.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kgmodel.model import (
    CONCEPT_LABELS,
    DISEASE_LIST_FIELDS,
    DISEASE_TEXT_FIELDS,
    RELATION_TYPES,
    ConceptRow,
    KGFormatError,
    SourceLocation,
    TripleRow,
    clean_name,
    has_zero_width,
)

__all__ = ["FORMATS", "KGFormat", "Unit", "detect_encoding", "json_problem", "read_units", "source_files"]

KGFormat = Literal["qasystem", "xywy", "triples", "cmekg"]
FORMATS: tuple[str, ...] = ("qasystem", "xywy", "triples", "cmekg")

#: Longest text property accepted (a disease description); longer means a broken record.
MAX_TEXT_LENGTH = 100_000


@dataclass
class Unit:
    """What one line or record contributes (``names_cleaned``: its names that lost zero-width characters)."""

    location: SourceLocation
    concepts: list[ConceptRow] = field(default_factory=list)
    triples: list[TripleRow] = field(default_factory=list)
    names_cleaned: int = 0

    def name(self, raw: Any, location: SourceLocation) -> str:
        """``kgmodel.model.clean_name`` of ``raw``, counting it when zero-width characters were removed."""
        name = clean_name(raw, location)
        self.names_cleaned += has_zero_width(raw)
        return name

    def concept(self, label: str, raw: Any, fieldname: str) -> str:
        """Validate a name, add the concept, and return the clean name."""
        name = self.name(raw, SourceLocation(self.location.file, self.location.line, fieldname))
        self.concepts.append(ConceptRow(label, name))
        return name

    def link(self, head_label: str, head: str, relation: str, tail_label: str, raw_tail: Any,
             fieldname: str) -> str:
        """Add the tail concept and the triple head -relation-> tail."""
        tail = self.concept(tail_label, raw_tail, fieldname)
        self.triples.append(TripleRow(head_label, head, relation, tail_label, tail))
        return tail


# ----------------------------------------------------------------------------------------------
# files and encodings


def source_files(path: Path, fmt: str) -> list[Path]:
    """The files a path stands for (a folder of xywy parts, or one file).

    Raises:
        FileNotFoundError: nothing there, or a folder with no file of the format.
    """
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_file():
        return [path]
    patterns = {"xywy": "medical_*.json*", "qasystem": "*.json*", "triples": "*.[ct]sv", "cmekg": "*.pkl"}
    found = sorted(path.glob(patterns[fmt]), key=_natural_key)
    if not found:
        raise FileNotFoundError(f"{path}: no {fmt} files ({patterns[fmt]}) in this folder")
    return found


def _natural_key(path: Path) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def _read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def detect_encoding(lines: list[bytes]) -> str:
    """UTF-8 unless most lines with non-ASCII bytes fail as UTF-8 and all decode as GB18030 (GBK).

    A UTF-8 file with a few corrupt lines stays UTF-8 (the corrupt lines are reported); it is
    never reinterpreted as GBK wholesale.
    """
    non_ascii = [line for line in lines if not line.isascii()]
    failures = 0
    for line in non_ascii:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            failures += 1
    if non_ascii and failures * 2 > len(non_ascii):
        try:
            for line in non_ascii:
                line.decode("gb18030")
        except UnicodeDecodeError:
            return "utf-8"
        return "gb18030"
    return "utf-8"


def _decoded_lines(path: Path, encoding: str | None) -> Iterator[tuple[int, str, KGFormatError | None]]:
    """``(line number, text with its line break, decoding error or None)`` of every physical line.

    Lines end at a line feed only (a carriage return before it stays in the text, as CSV wants it). A
    line that does not decode comes back with its bad bytes replaced (U+FFFD) and the error, so a
    reader can reject the whole record the line belongs to.
    """
    data = _read_bytes(path)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines = data.split(b"\n")
    chosen = encoding or detect_encoding(lines)
    for number, raw in enumerate(lines, start=1):
        ending = "\n" if number < len(lines) else ""
        if not raw and not ending:
            return
        try:
            yield number, raw.decode(chosen) + ending, None
        except UnicodeDecodeError as exc:
            error = KGFormatError(SourceLocation(str(path), number),
                                  f"not valid {chosen} (byte {raw[exc.start]:#04x} at column {exc.start + 1}); "
                                  "pass --encoding if the file uses another")
            yield number, raw.decode(chosen, errors="replace") + ending, error


def json_problem(exc: json.JSONDecodeError) -> str:
    """``exc`` as ``<reason> at column <n>``, without the doubled "at" of reasons such as "... starting at"."""
    return f"{exc.msg.removesuffix(' at')} at column {exc.colno}"


# ----------------------------------------------------------------------------------------------
# field helpers


def _text(record: dict[str, Any], key: str, location: SourceLocation) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, list):
        value = "\n".join(str(item) for item in value)
    if not isinstance(value, str):
        raise KGFormatError(SourceLocation(location.file, location.line, key),
                            f"expected text, got {type(value).__name__}")
    if len(value) > MAX_TEXT_LENGTH:
        raise KGFormatError(SourceLocation(location.file, location.line, key),
                            f"text is {len(value)} characters long (limit {MAX_TEXT_LENGTH})")
    return value


def _items(record: dict[str, Any], key: str, location: SourceLocation) -> list[Any]:
    value = record.get(key)
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise KGFormatError(SourceLocation(location.file, location.line, key),
                            f"expected a list, got {type(value).__name__}")
    return [item for item in value if not (isinstance(item, str) and not item.strip())]


def _departments(unit: Unit, disease: str, names: list[Any], fieldname: str) -> None:
    """Department hierarchy as QASystemOnMedicalKG builds it.

    The disease belongs to the most specific department, and each department to the one listed
    before it (内科 > 呼吸内科).
    """
    clean = [unit.concept("Department", name, fieldname) for name in names]
    for parent, child in zip(clean, clean[1:], strict=False):
        unit.triples.append(TripleRow("Department", child, "BELONGS_TO", "Department", parent))
    if clean:
        unit.triples.append(TripleRow("Disease", disease, "BELONGS_TO", "Department", clean[-1]))


# ----------------------------------------------------------------------------------------------
# qasystem

_QA_LINKS = (
    ("symptom", "HAS_SYMPTOM", "Symptom"), ("acompany", "ACCOMPANY_WITH", "Disease"),
    ("common_drug", "COMMON_DRUG", "Drug"), ("recommand_drug", "RECOMMEND_DRUG", "Drug"),
    ("check", "NEED_CHECK", "Check"), ("do_eat", "DO_EAT", "Food"),
    ("not_eat", "NO_EAT", "Food"), ("recommand_eat", "RECOMMEND_EAT", "Food"),
)


def _qasystem_unit(record: Any, location: SourceLocation) -> Unit:
    if not isinstance(record, dict):
        raise KGFormatError(location, f"expected a JSON object, got {type(record).__name__}")
    unit = Unit(location)
    disease = unit.concept("Disease", record.get("name"), "name")
    props: dict[str, Any] = {}
    for key in DISEASE_TEXT_FIELDS:
        text = _text(record, key, location)
        if text is not None:
            props[key] = text
    for key in DISEASE_LIST_FIELDS:
        props[key] = [str(item) for item in _items(record, key, location)] or None
    unit.concepts[0].props = {k: v for k, v in props.items() if v is not None}
    for key, relation, label in _QA_LINKS:
        for item in _items(record, key, location):
            unit.link("Disease", disease, relation, label, item, key)
    _departments(unit, disease, _items(record, "cure_department", location), "cure_department")
    for item in _items(record, "drug_detail", location):
        # "<producer product>(<drug>)", as in the source project's own import script
        if not isinstance(item, str) or "(" not in item:
            raise KGFormatError(SourceLocation(location.file, location.line, "drug_detail"),
                                f"expected 'producer(drug)', got {str(item)[:60]!r}")
        producer_raw, _, drug_raw = item.rpartition("(")
        drug = unit.concept("Drug", drug_raw.rstrip(")"), "drug_detail")
        unit.link("Producer", unit.concept("Producer", producer_raw, "drug_detail"),
                  "DRUGS_OF", "Drug", drug, "drug_detail")
    return unit


def _one_line_hint(line: str) -> str:
    if line.strip() in ("{", "[", "}", "]", "},", "],"):
        return " (a JSON document spread over lines? JSON Lines holds one record per line)"
    return ""


def _read_qasystem(path: Path, encoding: str | None) -> Iterator[Unit | KGFormatError]:
    # a JSON string holds no raw line break, so in JSON Lines a record is exactly one physical line
    for number, line, bad in _decoded_lines(path, encoding):
        if bad is not None:
            yield bad
            continue
        if not line.strip():
            continue
        location = SourceLocation(str(path), number)
        try:
            record = json.loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            yield KGFormatError(location, f"malformed JSON ({json_problem(exc)}){_one_line_hint(line)}")
            continue
        try:
            yield _qasystem_unit(record, location)
        except KGFormatError as exc:
            yield exc


# ----------------------------------------------------------------------------------------------
# xywy

_XYWY_TEXT = {  # our property <- (section, key); section None means top level
    "desc": ("gaishu_info", "desc"), "cause": (None, "cause_info"), "prevent": (None, "prevent_info"),
    "nursing": (None, "nursing_info"), "yibao_status": ("gaishu_info", "medical_insurance"),
    "get_prob": ("gaishu_info", "disease_ratio"), "easy_get": ("gaishu_info", "susceptible_people"),
    "get_way": ("gaishu_info", "transmission_way"), "cure_lasttime": ("gaishu_info", "treat_cycle"),
    "cured_prob": ("gaishu_info", "cure_prob"), "cost_money": ("gaishu_info", "treat_cost"),
    "good_diet": ("food_info", "good_diet_text"), "avoid_diet": ("food_info", "avoid_diet_text"),
}
_XYWY_LINKS = (
    ("gaishu_info", "has_complication", "ACCOMPANY_WITH", "Disease"),
    ("gaishu_info", "common_drug", "COMMON_DRUG", "Drug"),
    ("symptom_data", "symptoms", "HAS_SYMPTOM", "Symptom"),
    (None, "inspect_info", "NEED_CHECK", "Check"),
    ("food_info", "good_food", "DO_EAT", "Food"),
    ("food_info", "avoid_food", "NO_EAT", "Food"),
    ("food_info", "recommand_recipes", "RECOMMEND_EAT", "Food"),
)


def _section(record: dict[str, Any], name: str | None, location: SourceLocation) -> dict[str, Any]:
    if name is None:
        return record
    value = record.get(name) or {}
    if not isinstance(value, dict):
        raise KGFormatError(SourceLocation(location.file, location.line, name),
                            f"expected an object, got {type(value).__name__}")
    return value


def _xywy_unit(record: Any, location: SourceLocation) -> Unit:
    if not isinstance(record, dict):
        raise KGFormatError(location, f"expected a JSON object, got {type(record).__name__}")
    unit = Unit(location)
    gaishu = _section(record, "gaishu_info", location)
    disease = unit.concept("Disease", gaishu.get("name"), "gaishu_info.name")
    props: dict[str, Any] = {}
    for prop, (section, key) in _XYWY_TEXT.items():
        text = _text(_section(record, section, location), key, location)
        if text is not None:
            props[prop] = text
    cure_way = [str(item) for item in _items(gaishu, "treat_way", location)]
    if cure_way:
        props["cure_way"] = cure_way
    unit.concepts[0].props = props
    for section, key, relation, label in _XYWY_LINKS:
        for item in _items(_section(record, section, location), key, location):
            unit.link("Disease", disease, relation, label, item,
                      f"{section}.{key}" if section else key)
    _departments(unit, disease, _items(gaishu, "belongs_to_department", location),
                 "gaishu_info.belongs_to_department")
    return unit


def _read_xywy(path: Path, encoding: str | None) -> Iterator[Unit | KGFormatError]:
    raw = _read_bytes(path)
    try:
        text = raw.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        yield KGFormatError(SourceLocation(str(path), line),
                            f"not valid {encoding or 'UTF-8'} (byte {raw[exc.start]:#04x} at offset {exc.start}); "
                            "pass --encoding if the file uses another")
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield KGFormatError(SourceLocation(str(path), exc.lineno), f"malformed JSON ({json_problem(exc)})")
        return
    if not isinstance(data, dict):
        yield KGFormatError(SourceLocation(str(path), 1), "expected one JSON object keyed by index")
        return
    for key, record in data.items():
        location = SourceLocation(str(path), f"record {key}")
        try:
            yield _xywy_unit(record, location)
        except KGFormatError as exc:
            yield exc


# ----------------------------------------------------------------------------------------------
# triples

_TRIPLE_COLUMNS = ("head", "head_type", "relation", "tail", "tail_type", "source", "confidence")


def _label(value: str, location: SourceLocation) -> str:
    label = value.strip()
    if label not in CONCEPT_LABELS:
        raise KGFormatError(location, f"unknown concept type {label!r}; allowed: "
                                      f"{', '.join(sorted(CONCEPT_LABELS))}")
    return label


@dataclass
class _RecordSpan:
    """The physical lines the CSV reader consumed for the record being read."""

    start: int = 0
    end: int = 0
    bad: KGFormatError | None = None


def _record_lines(path: Path, encoding: str | None, span: _RecordSpan) -> Iterator[str]:
    """Lines for :func:`csv.reader`, noting in ``span`` where the current record starts and ends.

    The caller resets ``span.start`` to 0 before asking for a record; the first line pulled after
    that starts it. Blank and ``#`` comment lines are skipped only there, never inside a quoted field.
    """
    for number, line, bad in _decoded_lines(path, encoding):
        if not span.start:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            span.start = number
        span.end = number
        span.bad = span.bad or bad
        yield line


def _triple_records(path: Path, encoding: str | None) -> Iterator[tuple[list[str], SourceLocation, int]
                                                                    | KGFormatError]:
    """Every CSV/TSV record of a triples file, with where it starts and the line it ends on.

    The file is parsed as CSV, not line by line: a quoted field may hold a line break, and then the
    record spans lines. A record with an undecodable byte or malformed quoting comes back whole as
    one error at the line it starts on.
    """
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") or path.name.endswith(".tsv.gz") else ","
    kind = "TSV" if delimiter == "\t" else "CSV"
    span = _RecordSpan()
    reader = csv.reader(_record_lines(path, encoding, span), delimiter=delimiter, strict=True)
    while True:
        span.start, span.bad = 0, None
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            read = f" (the record starts here and was read to line {span.end})" if span.end > span.start else ""
            yield KGFormatError(SourceLocation(str(path), span.start), f"malformed {kind}: {exc}{read}")
            continue
        if span.bad is not None and span.bad.location.line != span.start:
            yield KGFormatError(SourceLocation(str(path), span.start),
                                f"on line {span.bad.location.line} of this record: {span.bad.reason}")
        else:
            yield span.bad or (row, SourceLocation(str(path), span.start), span.end)


def _triple_unit(row: list[str], location: SourceLocation, end: int) -> Unit:
    if len(row) not in (5, 6, 7):
        raise KGFormatError(location, f"expected 5 to 7 columns ({', '.join(_TRIPLE_COLUMNS)}), "
                                      f"got {len(row)}")
    cells = dict(zip(_TRIPLE_COLUMNS, row, strict=False))

    def at(name: str) -> SourceLocation:
        return SourceLocation(location.file, location.line, name)

    for name, value in cells.items():
        if "\n" in value or "\r" in value:
            what = "a concept name" if name in ("head", "tail") else f"the {name}"
            raise KGFormatError(at(name), f"a line break inside a quoted field (the record spans lines "
                                          f"{location.line}-{end}); {what} must be one line")
    head_label = _label(cells["head_type"], at("head_type"))
    tail_label = _label(cells["tail_type"], at("tail_type"))
    relation = cells["relation"].strip().upper()
    if relation not in RELATION_TYPES:
        raise KGFormatError(at("relation"), f"unknown relation {cells['relation']!r}; allowed: "
                                            f"{', '.join(sorted(RELATION_TYPES))}")
    heads, tails = (part.split("|") for part in RELATION_TYPES[relation])
    if head_label not in heads or tail_label not in tails:
        raise KGFormatError(at("relation"), f"{relation} connects {'/'.join(heads)} to "
                                            f"{'/'.join(tails)}, not {head_label} to {tail_label}")
    confidence = None
    if cells.get("confidence", "").strip():
        try:
            confidence = float(cells["confidence"])
        except ValueError:
            raise KGFormatError(at("confidence"), f"not a number: {cells['confidence']!r}") from None
        if not 0.0 <= confidence <= 1.0:
            raise KGFormatError(at("confidence"), f"must lie in [0, 1], got {confidence}")
    source = cells.get("source", "").strip() or None
    unit = Unit(location)
    head = unit.concept(head_label, cells["head"], "head")
    tail = unit.concept(tail_label, cells["tail"], "tail")
    unit.triples.append(TripleRow(head_label, head, relation, tail_label, tail, confidence, source))
    return unit


def _read_triples(path: Path, encoding: str | None) -> Iterator[Unit | KGFormatError]:
    first_row = True
    for record in _triple_records(path, encoding):
        if isinstance(record, KGFormatError):
            yield record
            continue
        row, location, end = record
        if first_row and row and row[0].strip().lower() == "head":
            first_row = False
            continue
        first_row = False
        try:
            yield _triple_unit(row, location, end)
        except KGFormatError as exc:
            yield exc


_READERS = {"qasystem": _read_qasystem, "xywy": _read_xywy, "triples": _read_triples}


def read_units(path: Path, fmt: str, encoding: str | None = None) -> Iterator[Unit | KGFormatError]:
    """Every unit of every file ``path`` stands for, in order.

    Args:
        path: a file, or a folder of files of the format.
        fmt: ``qasystem``, ``xywy`` or ``triples``.
        encoding: force an encoding; by default UTF-8, or GBK when the file is GBK.

    Raises:
        ValueError: unknown format, or ``cmekg`` (read by :class:`kgmodel.cmekg.CMeKGReader`, which
            checks the file's digest first).
        FileNotFoundError: nothing at ``path``.
    """
    if fmt == "cmekg":
        raise ValueError("cmekg pickles are read by kgmodel.cmekg.CMeKGReader, not read_units")
    if fmt not in _READERS:
        raise ValueError(f"unknown KG format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    for file in source_files(path, fmt):
        yield from _READERS[fmt](file, encoding)
