"""Records written back in their corpus's own format, so that :func:`extractor.corpora.read_corpus` reads them.

- ``ccks2019``: JSON Lines (:func:`extractor.data.write_ccks`: Chinese labels, end exclusive);
- ``cmeee``: one record a line, ``text|||start    end    type|||`` (end inclusive, nested spans kept);
- ``ccks2017``: the layout of the test gold file (``test_gold.csv``): one CSV row per record,
  ``id,section,mention start end type;...`` (end inclusive), the record id ``"<id>/<section>"`` split in two.
  Put next to the ``Test/`` folder of the same records as ``test_gold.csv``, it reads back as the test split.

A record or span the format cannot hold (a CMeEE text with a line break or ``|||``, a CCKS 2017 mention
with ``;`` or a line break, a CCKS 2017 id that is not ``<id>/<section>``) raises ``ValueError`` naming
it, before anything is written.

Example:
    >>> ex = Example("train:1", "胃癌术后", (Span(0, 2, "dis"), Span(0, 4, "dis")))
    >>> cmeee_line(ex)
    '胃癌术后|||0    1    dis|||0    3    dis|||'
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from extractor.data import Example, Span, write_ccks

__all__ = ["WRITABLE", "ccks2017_row", "cmeee_line", "write_corpus"]

#: The formats :func:`write_corpus` writes (every format :func:`extractor.corpora.read_corpus` reads).
WRITABLE = ("ccks2019", "ccks2017", "cmeee")


def cmeee_line(example: Example) -> str:
    """One CMeEE line: ``text|||start    end    type|||...`` with the end inclusive.

    Raises:
        ValueError: The text holds a line break or ``|||``.
    """
    text = example.text
    if "\n" in text or "\r" in text or "|||" in text:
        raise ValueError(f"record {example.id}: a CMeEE line cannot hold a text with a line break or '|||'")
    return "|||".join([text, *(f"{s.start}    {s.end - 1}    {s.type}" for s in example.spans)]) + "|||"


def _ccks2017_entity(example: Example, span: Span) -> str:
    mention = example.text[span.start:span.end]
    if ";" in mention or "\n" in mention or "\r" in mention:
        raise ValueError(f"record {example.id}: span {span.start}-{span.end} ({mention!r}) holds ';' or a line "
                         "break, which the CCKS 2017 gold file cannot hold")
    return f"{mention} {span.start} {span.end - 1} {span.type}"


def ccks2017_row(example: Example) -> str:
    """One ``test_gold.csv`` row (without its line end) for a record with id ``"<id>/<section>"``.

    Raises:
        ValueError: The id is not ``<id>/<section>``, or a mention holds ``;`` or a line break.
    """
    rid, slash, section = example.id.partition("/")
    if not (slash and rid.isdigit() and section):
        raise ValueError(f"record {example.id}: a CCKS 2017 record id is '<id>/<section>'")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(
        [rid, section, ";".join(_ccks2017_entity(example, s) for s in example.spans)])
    return buffer.getvalue()


def write_corpus(examples: Sequence[Example], fmt: str, path: str | Path) -> None:
    """Write records as a ``fmt`` file (UTF-8, one record a line); every line is built before the file is opened.

    Args:
        examples: The records, spans ``[start, end)`` typed with the corpus's own names.
        fmt: ``ccks2019``, ``ccks2017`` or ``cmeee``.
        path: The file (for ``ccks2017``, the gold CSV).

    Raises:
        ValueError: An unknown format, or a record or span the format cannot hold.
    """
    if fmt not in WRITABLE:
        raise ValueError(f"unknown corpus format {fmt!r}; expected one of: {', '.join(WRITABLE)}")
    if fmt == "ccks2019":
        write_ccks(list(examples), path)
        return
    line = cmeee_line if fmt == "cmeee" else ccks2017_row
    lines = [line(ex) for ex in examples]
    Path(path).write_text("".join(f"{text}\n" for text in lines), encoding="utf-8")
