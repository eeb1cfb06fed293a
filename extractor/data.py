"""CCKS 2019 records, typed spans and the NER type map.

A record is one EMR text with gold spans; offsets are Python string indices (one per Unicode code
point), ``text[start:end]`` is the mention. CCKS files are JSON Lines (``originalText``,
``entities`` with ``start_pos``/``end_pos``/``label_type``); part 1 of the training set starts with a
BOM, so files are read as ``utf-8-sig``.

Example:
    >>> ex = Example("r1", "胃癌术后", (Span(0, 2, "Disease"),))
    >>> ex.text[ex.spans[0].start:ex.spans[0].end]
    '胃癌'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from linker.typemap import CCKS_LABELS, NER_TYPES

__all__ = ["CCKS_TYPES", "NER_TYPES", "Example", "Span", "read_ccks", "write_ccks"]

#: CCKS 2019 Chinese labels -> the graph model's NER types (DESIGN.md); one table, the linker's.
CCKS_TYPES: dict[str, str] = CCKS_LABELS


@dataclass(frozen=True, slots=True)
class Span:
    """A typed character span ``[start, end)`` with a confidence ``score`` (1.0 for gold)."""

    start: int
    end: int
    type: str
    score: float = field(default=1.0, compare=False)


@dataclass(frozen=True)
class Example:
    """One record: ``id``, ``text`` and its (gold or predicted) spans in text order."""

    id: str
    text: str
    spans: tuple[Span, ...] = ()


def read_ccks(path: str | Path, *, strict: bool = True) -> list[Example]:
    """Read a CCKS 2019 JSON Lines file (with or without BOM).

    Args:
        path: The file.
        strict: Raise on a span outside its text or an unknown label; otherwise skip such spans.

    Returns:
        The records, ids ``<file stem>:<line number>``.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: On malformed JSON, a missing field, or (strict) a bad span or label.
    """
    path = Path(path)
    out: list[Example] = []
    with path.open(encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
                text = row["originalText"]
                raw = row.get("entities", [])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{where}: not a CCKS record ({exc})") from exc
            spans = []
            for ent in raw:
                start, end, label = int(ent["start_pos"]), int(ent["end_pos"]), ent["label_type"]
                kind = CCKS_TYPES.get(label, label if label in NER_TYPES else None)
                if kind is None or not 0 <= start < end <= len(text):
                    if strict:
                        raise ValueError(f"{where}: bad entity {ent!r} for a text of {len(text)} chars")
                    continue
                spans.append(Span(start, end, kind))
            spans.sort(key=lambda s: (s.start, s.end))
            out.append(Example(f"{path.stem}:{number}", text, tuple(spans)))
    return out


def write_ccks(examples: list[Example], path: str | Path) -> None:
    """Write records in the CCKS format (Chinese labels, UTF-8 without BOM)."""
    back = {v: k for k, v in CCKS_TYPES.items()}
    with Path(path).open("w", encoding="utf-8") as fh:
        for ex in examples:
            ents = [{"start_pos": s.start, "end_pos": s.end, "label_type": back.get(s.type, s.type)}
                    for s in ex.spans]
            fh.write(json.dumps({"originalText": ex.text, "entities": ents}, ensure_ascii=False) + "\n")
