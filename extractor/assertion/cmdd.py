"""CMDD (Chinese Medical Dialogue Dataset): symptom spans of paediatric dialogues with their certainty.

Each file ``$MEDKG_DATA_DIR/cmdd/<split>/*.json`` is one dialogue: ``dialogue-content`` is a list of sentences,
each with its ``speaker`` (医生 / 患者), ``sentence``, a BIO ``label`` string (one letter per character) and a
``type`` list, one value per symptom span in order: ``"1"`` the child has it (affirmed), ``"2"`` does not
(negated), ``"3"`` uncertain (possible). CMDD labels only certainty.

A span starts at ``B`` or at an ``I`` that follows ``O`` (conlleval's reading: ``IOOO`` over 发烧吗 is one
span, as its one type says) and runs over the ``I`` after it. A sentence whose span count differs from its
type count, or whose label is not one letter per character, cannot be paired: it is skipped and counted in
:class:`CmddStats` (with ``strict=True`` it raises :class:`CmddError`); either way its file and sentence index
are named.

The status of a span often hangs on the next or the previous turn (医生: 发烧吗 / 患者: 没有), so a span's
text can carry its neighbours (:data:`CONTEXTS`), each turn on its own line, prefixed by its speaker.

Example:
    >>> sentence = {"speaker": "患者", "sentence": "不烧，有点咳", "label": "OBOOOB", "type": ["2", "1"]}
    >>> [(s.text[s.start:s.end], s.certainty) for s in sentence_spans([sentence], 0, context="sentence")]
    [('烧', 'negated'), ('咳', 'affirmed')]
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from core.paths import default_data_dir

__all__ = ["CONTEXTS", "CmddError", "CmddSpan", "CmddStats", "Context", "cmdd_dir", "read_cmdd", "sentence_spans"]

log = logging.getLogger(__name__)

#: CMDD's ``type`` values as certainty.
TYPES = {"1": "affirmed", "2": "negated", "3": "possible"}
Context = Literal["sentence", "previous", "next", "both"]
#: What a span's text holds: its sentence alone, or with the previous turn, the next one, or both.
CONTEXTS: tuple[str, ...] = ("sentence", "previous", "next", "both")
_SPAN = re.compile(r"BI*|I+")


class CmddError(ValueError):
    """A CMDD sentence whose spans cannot be paired with its types (file and sentence index named)."""


@dataclass(frozen=True)
class CmddSpan:
    """One symptom span: its text (the sentence, perhaps with neighbours), offsets in that text, certainty.

    Attributes:
        text: The context text.
        start: Start of the span in ``text``.
        end: End (exclusive) of the span in ``text``.
        certainty: affirmed | negated | possible.
        file: The dialogue file's name.
        sentence: The sentence's index in the dialogue.
    """

    text: str
    start: int
    end: int
    certainty: str
    file: str = ""
    sentence: int = 0


@dataclass
class CmddStats:
    """What a read found: dialogues, sentences, spans kept, and the sentences skipped (``file#index: why``)."""

    dialogues: int = 0
    sentences: int = 0
    spans: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        """Counts for a report (the first few skipped sentences named)."""
        return {"dialogues": self.dialogues, "sentences": self.sentences, "spans": self.spans,
                "skipped_sentences": len(self.skipped), "skipped_examples": self.skipped[:5]}


def cmdd_dir(data_dir: str | Path | None = None) -> Path:
    """``<data_dir>/cmdd``: ``data_dir``, else ``$MEDKG_DATA_DIR``, else ``../shared/data`` beside the repository."""
    return (default_data_dir() if data_dir is None else Path(data_dir)) / "cmdd"


def _turn(sentence: dict[str, Any]) -> str:
    return f"{sentence.get('speaker', '')}：{sentence['sentence']}"


def sentence_spans(turns: Sequence[dict[str, Any]], index: int, *, context: Context = "previous", file: str = "",
                   strict: bool = False, stats: CmddStats | None = None) -> list[CmddSpan]:
    """The spans of sentence ``index`` of a dialogue's ``turns``, each with its context text.

    ``context="sentence"`` gives the bare sentence; the others put each turn on its own line after its
    speaker (医生：发烧吗, a line break, 患者：没有).

    Raises:
        CmddError: With ``strict``, a sentence whose spans and types cannot be paired.
    """
    turn = turns[index]
    sentence, label, types = turn["sentence"], turn.get("label", ""), turn.get("type", [])
    spans = [(m.start(), m.end()) for m in _SPAN.finditer(label)]
    problem = ""
    if len(label) != len(sentence):
        problem = f"label has {len(label)} letters for {len(sentence)} characters"
    elif len(spans) != len(types):
        problem = f"{len(spans)} spans in label {label!r} but {len(types)} types {types}"
    elif any(t not in TYPES for t in types):
        problem = f"unknown type in {types} (expected 1, 2 or 3)"
    if problem:
        where = f"{file}#{index}"
        if strict:
            raise CmddError(f"{where}: {problem}")
        log.warning("CMDD %s: %s; skipped", where, problem)
        if stats is not None:
            stats.skipped.append(f"{where}: {problem}")
        return []
    if context == "sentence":
        prefix, text = 0, sentence
    else:
        before = [_turn(turns[index - 1])] if context in ("previous", "both") and index > 0 else []
        after = [_turn(turns[index + 1])] if context in ("next", "both") and index + 1 < len(turns) else []
        head = "".join(f"{t}\n" for t in before) + f"{turn.get('speaker', '')}："
        prefix = len(head)
        text = head + sentence + "".join(f"\n{t}" for t in after)
    return [CmddSpan(text, prefix + s, prefix + e, TYPES[t], file, index) for (s, e), t in zip(spans, types,
                                                                                                strict=True)]


def read_cmdd(split: str, *, data_dir: str | Path | None = None, context: Context = "previous",
              strict: bool = False) -> tuple[list[CmddSpan], CmddStats]:
    """Every span of one CMDD split (``train``, ``dev`` or ``test``), in file-name order, and the counts.

    Raises:
        FileNotFoundError: No such split folder.
        CmddError: A file that is not a CMDD dialogue; with ``strict``, also an unpairable sentence.
    """
    stats = CmddStats()
    return list(iter_cmdd(split, data_dir=data_dir, context=context, strict=strict, stats=stats)), stats


def iter_cmdd(split: str, *, data_dir: str | Path | None = None, context: Context = "previous",
              strict: bool = False, stats: CmddStats | None = None) -> Iterator[CmddSpan]:
    """The spans of one split, one at a time (see :func:`read_cmdd`)."""
    if context not in CONTEXTS:
        raise ValueError(f"context: {context!r} is not one of {CONTEXTS}")
    folder = cmdd_dir(data_dir) / split
    if not folder.is_dir():
        raise FileNotFoundError(f"no CMDD split folder {folder}")
    stats = stats if stats is not None else CmddStats()
    for path in sorted(folder.glob("*.json"), key=_natural):
        try:
            turns = json.loads(path.read_text(encoding="utf-8"))["dialogue-content"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CmddError(f"{path.name}: not a CMDD dialogue ({exc.__class__.__name__}: {exc})") from None
        stats.dialogues += 1
        for index in range(len(turns)):
            stats.sentences += 1
            for span in sentence_spans(turns, index, context=context, file=path.name, strict=strict, stats=stats):
                stats.spans += 1
                yield span


def _natural(path: Path) -> tuple[str, int]:
    """``dev_2.json`` before ``dev_10.json``."""
    stem, _, number = path.stem.rpartition("_")
    return (stem, int(number)) if number.isdigit() else (path.stem, -1)
