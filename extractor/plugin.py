"""The extraction-plugin protocol: records in, typed spans, links and relations out.

A plugin has a ``name``, a ``version``, a ``kind`` (``ner``, ``assertion``, ``link`` or ``relation``),
a JSON-serialisable ``config`` and ``extract(records) -> results``: one :class:`RecordResult` per input
record, in order. The watcher runs plugins in kind order and hands each plugin what the earlier kinds
found: an ``assertion`` plugin sees the record's merged NER spans and says, per span, what the record
asserts about it (:class:`AssertionResult`: negated, possible, hypothetical, historical, family ...); a
``link`` plugin sees the spans and their assertions, a ``relation`` plugin spans, assertions and links.

Spans are identified by ``(start, end, type)`` (:attr:`SpanResult.key`); links and relations name the
spans they are about by that key, so no plugin depends on another's object identity.

Built-in plugins live in :mod:`extractor.plugins`; third-party ones arrive through the
``medkg.plugins`` entry-point group (see :mod:`extractor.plugins.registry`).

Example:
    >>> rec = ExtractionRecord("emr-1", "患者因胃癌入院")
    >>> span = SpanResult(3, 5, "Disease", 0.9, "胃癌")
    >>> span.key
    (3, 5, 'Disease')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from extractor.assertion.schema import DIMENSIONS, Assertion

__all__ = [
    "KIND_ORDER",
    "AssertionResult",
    "ExtractionPlugin",
    "ExtractionRecord",
    "LinkResultItem",
    "PluginKind",
    "PluginOutputError",
    "RecordResult",
    "RelationResult",
    "SpanResult",
    "as_record",
    "validate_result",
]

PluginKind = Literal["ner", "assertion", "link", "relation"]

#: The order in which the watcher runs plugin kinds.
KIND_ORDER: tuple[PluginKind, ...] = ("ner", "assertion", "link", "relation")

SpanKey = tuple[int, int, str]


@dataclass(frozen=True)
class SpanResult:
    """A typed mention: ``text == record.text[start:end]``; ``score`` in 0..1."""

    start: int
    end: int
    type: str
    score: float
    text: str

    @property
    def key(self) -> SpanKey:
        """``(start, end, type)``: how links and relations refer to this span."""
        return (self.start, self.end, self.type)


@dataclass(frozen=True)
class LinkResultItem:
    """A span linked to a concept, or (``nil``) to a proposed candidate concept.

    Attributes:
        span: The linked span's key ``(start, end, type)``.
        concept_id: KG business key (``Disease:糖尿病``) or, for NIL, ``candidate:<Type>:<text>``.
        concept_type: The concept's type label (the KG label, or for NIL the mention's type).
        concept_name: Preferred name (the normalised mention text for NIL).
        score: Link confidence in 0..1.
        method: The linker step that decided (``exact``, ``alias``, ..., ``nil``).
        nil: True when no KG concept was accepted.
    """

    span: SpanKey
    concept_id: str
    concept_type: str
    concept_name: str
    score: float
    method: str
    nil: bool = False


@dataclass(frozen=True)
class RelationResult:
    """A relation between two spans of one record: ``subject --predicate--> object``.

    ``predicate`` is the extractor's own name (CMeIE's, e.g. ``药物治疗``); the graph maps it to an
    allow-listed relationship type with a signature.
    """

    subject: SpanKey
    object: SpanKey
    predicate: str
    score: float


@dataclass(frozen=True)
class AssertionResult:
    """What a record asserts about one span (:class:`extractor.assertion.schema.Assertion`), by its key."""

    span: SpanKey
    assertion: Assertion


@dataclass(frozen=True)
class ExtractionRecord:
    """One record handed to plugins: id, text, and what earlier plugin kinds found.

    ``assertions`` maps a span's key to its assertion; it is empty when no ``assertion`` plugin is
    enabled, and a span missing from it counts as affirmed, current and the patient's (as before
    assertions existed).
    """

    id: str
    text: str
    spans: tuple[SpanResult, ...] = ()
    links: tuple[LinkResultItem, ...] = ()
    assertions: Mapping[SpanKey, Assertion] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class RecordResult:
    """What a plugin found in one record."""

    record_id: str
    spans: tuple[SpanResult, ...] = ()
    links: tuple[LinkResultItem, ...] = ()
    relations: tuple[RelationResult, ...] = ()
    assertions: tuple[AssertionResult, ...] = ()


@runtime_checkable
class ExtractionPlugin(Protocol):
    """What the watcher runs."""

    name: str
    version: str
    kind: PluginKind

    @property
    def config(self) -> dict[str, Any]:
        """JSON-serialisable settings (stored on the ``(:Extractor)`` node)."""
        ...

    def extract(self, records: Sequence[ExtractionRecord]) -> list[RecordResult]:
        """One result per record, in input order."""
        ...


class PluginOutputError(ValueError):
    """A plugin returned something that breaks the protocol (wrong record, offsets outside the text)."""


def as_record(obj: object) -> ExtractionRecord:
    """An :class:`ExtractionRecord` from a record, a mapping with ``id``/``text`` or an object with both."""
    if isinstance(obj, ExtractionRecord):
        return obj
    if isinstance(obj, Mapping):
        return ExtractionRecord(str(obj["id"]), obj["text"])
    return ExtractionRecord(str(obj.id), obj.text)  # type: ignore[attr-defined]  # duck-typed: any object with both


def _check_score(value: object, what: str) -> None:
    if not isinstance(value, int | float) or value != value or not 0.0 <= float(value) <= 1.0:
        raise PluginOutputError(f"{what}: score must be a number in 0..1, got {value!r}")


def _check_assertions(record: ExtractionRecord, result: RecordResult, kind: PluginKind,
                      known_spans: frozenset[SpanKey]) -> None:
    seen: set[SpanKey] = set()
    for item in result.assertions:
        if kind != "assertion" or not isinstance(item, AssertionResult):
            raise PluginOutputError(f"record {record.id!r}: unexpected assertion output from a {kind} plugin")
        key = tuple(item.span)
        if key not in known_spans:
            raise PluginOutputError(f"record {record.id!r}: assertion of an unknown span {item.span}")
        if key in seen:
            raise PluginOutputError(f"record {record.id!r}: two assertions of the span {item.span}")
        seen.add(key)
        if not isinstance(item.assertion, Assertion):
            raise PluginOutputError(f"record {record.id!r} span {item.span}: expected an Assertion, got "
                                    f"{type(item.assertion).__name__}")
        for dimension, value in item.assertion.values().items():
            if value not in DIMENSIONS[dimension]:
                raise PluginOutputError(f"record {record.id!r} span {item.span}: {dimension} {value!r} is not one "
                                        f"of {', '.join(DIMENSIONS[dimension])}")
        for start, end in item.assertion.cue_spans:
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(record.text)):
                raise PluginOutputError(f"record {record.id!r} span {item.span}: cue offsets {start}-{end} outside "
                                        f"the text (length {len(record.text)})")


def validate_result(record: ExtractionRecord, result: object, kind: PluginKind,
                    known_spans: frozenset[SpanKey] = frozenset()) -> RecordResult:
    """Check one plugin result against its record; the watcher calls this on everything it writes.

    Args:
        record: The record the result is for.
        result: What the plugin returned for it.
        kind: The plugin's kind (a ``ner`` plugin may only return spans, and so on).
        known_spans: Keys of the record's spans, which assertions, links and relations must refer to.

    Raises:
        PluginOutputError: Another record's result, a wrong type, offsets outside the text, a span
            whose ``text`` is not ``record.text[start:end]``, a score outside 0..1, a reference to an
            unknown span, two assertions of one span or an assertion value outside its dimension.
    """
    if not isinstance(result, RecordResult):
        raise PluginOutputError(f"record {record.id!r}: expected a RecordResult, got {type(result).__name__}")
    if result.record_id != record.id:
        raise PluginOutputError(f"record {record.id!r}: the plugin returned the result of {result.record_id!r}")
    n = len(record.text)
    for span in result.spans:
        where = f"record {record.id!r} span {getattr(span, 'start', '?')}-{getattr(span, 'end', '?')}"
        if kind != "ner":
            raise PluginOutputError(f"record {record.id!r}: a {kind} plugin returned spans")
        if not isinstance(span, SpanResult):
            raise PluginOutputError(f"{where}: expected a SpanResult, got {type(span).__name__}")
        if not (isinstance(span.start, int) and isinstance(span.end, int) and 0 <= span.start < span.end <= n):
            raise PluginOutputError(f"{where}: offsets outside the text (length {n})")
        if span.text != record.text[span.start:span.end]:
            raise PluginOutputError(f"{where}: span text {span.text!r} is not the record's text at those offsets")
        if not isinstance(span.type, str) or not span.type:
            raise PluginOutputError(f"{where}: missing type")
        _check_score(span.score, where)
    for link in result.links:
        if kind != "link" or not isinstance(link, LinkResultItem):
            raise PluginOutputError(f"record {record.id!r}: unexpected link output from a {kind} plugin")
        if tuple(link.span) not in known_spans:
            raise PluginOutputError(f"record {record.id!r}: link to an unknown span {link.span}")
        _check_score(link.score, f"record {record.id!r} link {link.span}")
    _check_assertions(record, result, kind, known_spans)
    for rel in result.relations:
        if kind != "relation" or not isinstance(rel, RelationResult):
            raise PluginOutputError(f"record {record.id!r}: unexpected relation output from a {kind} plugin")
        for end in (rel.subject, rel.object):
            if tuple(end) not in known_spans:
                raise PluginOutputError(f"record {record.id!r}: relation {rel.predicate!r} refers to an "
                                        f"unknown span {end}")
        _check_score(rel.score, f"record {record.id!r} relation {rel.predicate!r}")
    return result
