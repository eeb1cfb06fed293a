"""What makes an EMR text processable, checked the same way at ingestion and by the watcher.

Offsets of every fact index the text exactly as stored, so texts are never altered: a text that
cannot be processed as it is is refused (ingestion) or fails its record (watcher) with a reason.

Example:
    >>> text_problem("患者男，62岁。", 100) is None
    True
    >>> text_problem("  ", 100)
    'text is empty or whitespace only'
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["ALLOWED_CONTROLS", "text_problem", "text_sha256"]

#: Control characters a clinical text may hold (layout); every other C0/C1 control is refused.
ALLOWED_CONTROLS = frozenset("\t\n\r")
# the Cc category (C0, DEL, C1) minus the allowed ones, and the surrogate range
_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def text_problem(text: object, max_chars: int) -> str | None:
    """Why ``text`` cannot be processed, or ``None`` when it can.

    Refused: a missing text or one that is not a string; empty or whitespace only; longer than
    ``max_chars``; a lone surrogate (not encodable, so not storable in Neo4j); control characters
    other than tab, line feed and carriage return. The reason names the offset and code point.
    """
    if text is None:
        return "text is missing"
    if not isinstance(text, str):
        return f"text must be a string, got {type(text).__name__}"
    if not text.strip():
        return "text is empty or whitespace only"
    if len(text) > max_chars:
        return f"text is {len(text):,} characters long, over the limit of {max_chars:,}"
    found = _BAD.search(text)
    if found is None:
        return None
    code = ord(found.group())
    kind = "lone surrogate" if 0xD800 <= code <= 0xDFFF else "control character"
    return f"{kind} U+{code:04X} at offset {found.start()}"


def text_sha256(text: str) -> str:
    """SHA-256 of the UTF-8 text: the record's version, part of every mention id."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
