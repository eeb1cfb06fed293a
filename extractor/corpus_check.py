r"""What the corpus readers (:mod:`extractor.corpora`) share: the schemas, the error, the corpus and the checks.

Every file is read as bytes and decoded line by line (:func:`raw_lines`, :func:`decode_line`), so a line
that is not UTF-8 is an error naming its line. :func:`check_span` turns one span of a file into a
``Span`` ``[start, end)`` (end exclusive) or raises :class:`CorpusError` (``file:line field: reason``);
:class:`Issues` raises it, or with ``skip_invalid`` counts it per reason and lets the reader go on.

Example:
    >>> check_span("胃癌术后", "0", "1", "dis", schema="cmeee", inclusive=True, path=Path("f"), number=1)
    Span(start=0, end=2, type='dis', score=1.0)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from extractor.data import CCKS_TYPES, NER_TYPES, Example, Span

__all__ = [
    "CORPUS_TYPES",
    "INT",
    "LABELS",
    "SCHEMAS",
    "Corpus",
    "CorpusError",
    "Issues",
    "check_span",
    "check_text",
    "decode_line",
    "make_example",
    "parse_offset",
    "raw_lines",
]

#: The known type set of each schema, in a fixed order (the names stay the corpus's own).
CORPUS_TYPES: dict[str, tuple[str, ...]] = {
    "ccks2017": ("症状和体征", "检查和检验", "身体部位", "治疗", "疾病和诊断"),
    "cmeee": ("dis", "sym", "pro", "equ", "dru", "ite", "bod", "dep", "mic"),
    "ccks2019": NER_TYPES,
}

#: The format names :func:`read_corpus` accepts; each names its schema too.
SCHEMAS: tuple[str, ...] = tuple(CORPUS_TYPES)

#: Label in the file -> stored type; CCKS 2019 files say 疾病和诊断, read_ccks stores Disease (and
#: accepts the English names too).
LABELS: dict[str, dict[str, str]] = {
    "ccks2017": {t: t for t in CORPUS_TYPES["ccks2017"]},
    "cmeee": {t: t for t in CORPUS_TYPES["cmeee"]},
    "ccks2019": {**CCKS_TYPES, **{t: t for t in NER_TYPES}},
}

_BOM = b"\xef\xbb\xbf"
INT = re.compile(r"-?\d+")


class CorpusError(ValueError):
    """A corpus file that cannot be read as its format says: ``file:line field: reason``.

    Attributes:
        path: The file.
        line: The 1-based line, or ``None`` for a problem of the whole file or folder.
        field: What was wrong: ``start``, ``end``, ``type``, ``mention``, ``text``, ``encoding``, ...
        reason: Why, in words.
        key: The reason's short name, the key :attr:`Corpus.skipped` counts it under.
    """

    def __init__(self, path: Path, line: int | None, field: str, reason: str, key: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where} {field}: {reason}")
        self.path, self.line, self.field, self.reason, self.key = path, line, field, reason, key


@dataclass(frozen=True)
class Corpus:
    """One read corpus: its ``name``, ``schema`` (a key of :data:`CORPUS_TYPES`) and records.

    Attributes:
        name: The file name (``train_data_all.txt``), or ``<folder>/<split>`` for CCKS 2017.
        schema: ``ccks2017``, ``cmeee`` or ``ccks2019``.
        types: The schema's type names (spans use exactly these).
        examples: The records, spans ``[start, end)`` sorted by ``(start, end)``, nested ones kept.
        skipped: With ``skip_invalid``, how many spans or records were left out, per reason key.
    """

    name: str
    schema: str
    types: tuple[str, ...]
    examples: tuple[Example, ...]
    skipped: dict[str, int] = field(default_factory=dict)


class Issues:
    """Raises the first problem, or (``skip``) counts each one and lets the reader go on."""

    def __init__(self, skip: bool) -> None:
        self.skip = skip
        self.counts: Counter[str] = Counter()

    def add(self, error: CorpusError) -> None:
        """Raise ``error``, or count it under its key when skipping."""
        if not self.skip:
            raise error
        self.counts[error.key] += 1


# --- lines and spans -------------------------------------------------------------------------------


def raw_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """The file's lines as bytes, numbered from 1, without their line ends and the file's BOM."""
    data = path.read_bytes()
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    for number, raw in enumerate(data.split(b"\n"), start=1):
        yield number, raw.removesuffix(b"\r")


def decode_line(path: Path, number: int, raw: bytes) -> str:
    """Line ``number`` of ``path`` as text, or a ``CorpusError`` (field ``encoding``) if it is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start]
        raise CorpusError(path, number, "encoding",
                          f"not valid UTF-8 (byte 0x{bad:02x} at byte {exc.start} of the line)", "not UTF-8") from exc


def parse_offset(value: object, name: str, path: Path, number: int) -> int:
    """An integer offset (an int, or a string of digits); anything else is an error on field ``name``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and INT.fullmatch(value.strip()):
        return int(value)
    raise CorpusError(path, number, name, f"not an integer offset: {value!r}", "malformed")


def check_span(text: str, start_raw: object, end_raw: object, label: object, *, schema: str, inclusive: bool,
               path: Path, number: int, mention: str | None = None) -> Span:
    """One checked span ``[start, end)``; the file's end is inclusive when ``inclusive``."""
    start = parse_offset(start_raw, "start", path, number)
    end = parse_offset(end_raw, "end", path, number)
    kind = LABELS[schema].get(label) if isinstance(label, str) else None
    if kind is None:
        known = ", ".join(LABELS[schema])
        raise CorpusError(path, number, "type", f"unknown type {label!r} for {schema} (known: {known})", "unknown type")
    stop = end + 1 if inclusive else end
    if start < 0:
        raise CorpusError(path, number, "start", f"{start} is outside the text ({len(text)} characters)",
                          "outside text")
    if stop <= start:
        relation = "after end" if inclusive else "not before end"
        raise CorpusError(path, number, "start", f"{start} is {relation} {end} (an empty span)", "start > end")
    if stop > len(text):
        convention = "inclusive" if inclusive else "exclusive"
        raise CorpusError(path, number, "end", f"{end} ({convention}) is outside the text ({len(text)} characters)",
                          "outside text")
    if mention is not None and text[start:stop] != mention:
        raise CorpusError(path, number, "mention",
                          f"{mention!r} is not the text at {start}-{end} ({text[start:stop]!r})", "mention mismatch")
    return Span(start, stop, kind)


def make_example(rid: str, text: str, spans: list[Span]) -> Example:
    """The record with its spans sorted by ``(start, end)``; nested, overlapping and equal spans all kept."""
    return Example(rid, text, tuple(sorted(spans, key=lambda s: (s.start, s.end))))


def check_text(text: str, path: Path, number: int) -> None:
    """Refuse an empty (or blank) record text: field ``text``."""
    if not text.strip():
        raise CorpusError(path, number, "text", "empty record text", "empty text")
