"""A record's text cut into pieces for the record page: plain text, and text inside one or more mentions.

Mentions may nest or overlap (a drug inside a longer treatment span). The text is cut at every mention boundary;
each piece lists the mentions covering it, innermost (shortest) first, and takes its colour, assertion mark and
link from the innermost. The pieces are plain strings: the template escapes them.

Example:
    >>> pieces = segments("无发热，咳嗽", [{"start": 1, "end": 3, "type": "Symptom"}, {"start": 4, "end": 6,
    ...                                                                      "type": "Symptom"}])
    >>> [(p.text, len(p.mentions)) for p in pieces]
    [('无', 0), ('发热', 1), ('，', 0), ('咳嗽', 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Piece", "segments"]


@dataclass(frozen=True)
class Piece:
    """A stretch of the text and the mentions covering all of it (innermost first)."""

    text: str
    mentions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mention(self) -> dict[str, Any] | None:
        """The innermost mention, or ``None`` for plain text."""
        return self.mentions[0] if self.mentions else None


def segments(text: str, mentions: Sequence[dict[str, Any]]) -> list[Piece]:
    """``text`` cut at every boundary of ``mentions`` (each ``{start, end, ...}``; bad offsets are ignored)."""
    usable = [m for m in mentions if isinstance(m.get("start"), int) and isinstance(m.get("end"), int)
              and 0 <= m["start"] < m["end"] <= len(text)]
    cuts = sorted({0, len(text), *(m["start"] for m in usable), *(m["end"] for m in usable)})
    pieces = []
    for begin, end in zip(cuts, cuts[1:], strict=False):
        covering = sorted((m for m in usable if m["start"] <= begin and end <= m["end"]),
                          key=lambda m: (m["end"] - m["start"], m["start"]))
        pieces.append(Piece(text[begin:end], covering))
    return pieces
