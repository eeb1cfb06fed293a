"""The KG vocabulary medkg writes to Neo4j: labels, relationship types, and row types.

Labels and relationship types are closed allow-lists: nothing outside them reaches a Cypher
statement, so no label or type is ever taken from input text.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CONCEPT_LABELS",
    "DISEASE_TEXT_FIELDS",
    "MAX_NAME_LENGTH",
    "RELATION_TYPES",
    "ZERO_WIDTH_CHARACTERS",
    "ConceptRow",
    "KGFormatError",
    "SourceLocation",
    "TripleRow",
    "clean_name",
    "concept_id",
    "has_zero_width",
    "static_relationship_type",
]

#: Concept type labels (each concept node carries ``:Concept`` plus one of these).
CONCEPT_LABELS: frozenset[str] = frozenset({
    # KG types, as in the source KG
    "Disease", "Symptom", "Drug", "Check", "Department", "Food", "Producer",
    # NER types of CCKS 2019 that the KG lacks
    "Operation", "Anatomy", "LabTest", "ImagingExam",
    # labels the annotated corpora (CCKS 2017, CMeEE) need that neither KG has: their mentions link to
    # candidate concepts of these labels (linker/typemap.py maps every corpus type onto a label)
    "Procedure", "Equipment", "Microorganism",
})

#: Relationship types between concepts, with the (head, tail) labels each connects in the KG.
RELATION_TYPES: dict[str, tuple[str, str]] = {
    "BELONGS_TO": ("Disease|Department", "Department"),
    "COMMON_DRUG": ("Disease", "Drug"),
    "DRUGS_OF": ("Producer", "Drug"),
    "NEED_CHECK": ("Disease", "Check"),
    "RECOMMEND_DRUG": ("Disease", "Drug"),
    "HAS_SYMPTOM": ("Disease", "Symptom"),
    "ACCOMPANY_WITH": ("Disease", "Disease"),
    "DO_EAT": ("Disease", "Food"),
    "NO_EAT": ("Disease", "Food"),
    "RECOMMEND_EAT": ("Disease", "Food"),
    # the types a second KG adds (CMeKG, kgmodel/cmekg_schema.py). The first seven are the record
    # types of graph/kg/relations.py with the same signatures, so a KG fact and a record fact of one
    # meaning are one relationship; the last two are KG-only.
    "TREATED_WITH": ("Disease|Symptom", "Drug"),
    "TREATED_BY_OPERATION": ("Disease|Symptom", "Operation"),
    "TREATED_BY_PROCEDURE": ("Disease|Symptom", "Procedure"),
    "EXAMINED_BY_LAB_TEST": ("Disease|Symptom", "LabTest|Check"),
    "EXAMINED_BY_IMAGING": ("Disease|Symptom", "ImagingExam|Check"),
    "EXAMINED_BY_ENDOSCOPY": ("Disease|Symptom", "ImagingExam|Check"),
    "EXAMINED_BY": ("Disease|Symptom", "LabTest|ImagingExam|Check"),
    "LOCATED_AT": ("Disease|Symptom", "Anatomy"),
    "HAS_INGREDIENT": ("Drug", "Drug"),
    "HAS_ADVERSE_REACTION": ("Drug", "Symptom"),
}

#: Disease text properties (names follow the QASystemOnMedicalKG record schema).
DISEASE_TEXT_FIELDS: tuple[str, ...] = (
    "desc", "cause", "prevent", "nursing", "yibao_status", "get_prob", "easy_get", "get_way",
    "cure_lasttime", "cured_prob", "cost_money", "good_diet", "avoid_diet",
)
#: Disease list properties.
DISEASE_LIST_FIELDS: tuple[str, ...] = ("category", "cure_way")

#: Longest concept name accepted. Names are indexed (range and full-text), and a name this long is
#: a parsing accident (a description in the name column), not a concept.
MAX_NAME_LENGTH = 200

#: Invisible characters removed from names: ZERO WIDTH SPACE, ZERO WIDTH NON-JOINER, ZERO WIDTH JOINER,
#: WORD JOINER and ZERO WIDTH NO-BREAK SPACE (the byte-order mark). They render as nothing and mean
#: nothing in a concept name, and copying text leaves them in sources (PyCMeKG 0.2.5 has one U+200B in
#: a drug's ingredient). Every other control or format character still makes a name invalid: in the
#: xywy crawl a soft hyphen (U+00AD) is what marks a name of mojibake.
ZERO_WIDTH_CHARACTERS: frozenset[str] = frozenset("\u200b\u200c\u200d\u2060\ufeff")
_REMOVE_ZERO_WIDTH = dict.fromkeys(map(ord, ZERO_WIDTH_CHARACTERS))


@dataclass(frozen=True)
class SourceLocation:
    """Where a row came from: file, line (or record key) and, for errors, the field."""

    file: str
    line: int | str
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where} field {self.field!r}" if self.field else where


class KGFormatError(ValueError):
    """A KG file that cannot be read as its format says; names file, line and field."""

    def __init__(self, location: SourceLocation, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.reason = message


def clean_name(raw: Any, location: SourceLocation) -> str:
    """Validate and tidy one concept name.

    The zero-width characters of :data:`ZERO_WIDTH_CHARACTERS` are removed (readers count the names
    that had any, :func:`has_zero_width`), surrounding whitespace is removed and runs of inner whitespace
    become one space; the text is NFC-normalised but otherwise kept as written (quotes, backslashes and
    anything that looks like Cypher are plain data: every value reaches Neo4j as a parameter).

    Raises:
        KGFormatError: not a string, empty, longer than :data:`MAX_NAME_LENGTH`, or holding
            control or format characters other than the zero-width ones.
    """
    if raw is None:
        raise KGFormatError(location, "missing name")
    if not isinstance(raw, str):
        raise KGFormatError(location, f"name must be a string, got {type(raw).__name__}")
    name = " ".join(unicodedata.normalize("NFC", raw.translate(_REMOVE_ZERO_WIDTH)).split())
    if not name:
        raise KGFormatError(location, "missing name")
    if len(name) > MAX_NAME_LENGTH:
        raise KGFormatError(location, f"name is {len(name)} characters long (limit {MAX_NAME_LENGTH})")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise KGFormatError(location, "name contains control characters")
    return name


def has_zero_width(raw: Any) -> bool:
    """Whether ``raw`` is a string holding a character :func:`clean_name` removes as zero-width."""
    return isinstance(raw, str) and not ZERO_WIDTH_CHARACTERS.isdisjoint(raw)


def concept_id(label: str, name: str) -> str:
    """The business key of a concept: ``<Label>:<name>`` (e.g. ``Disease:糖尿病``).

    The same name under two labels is two concepts (头痛 is both a disease and a symptom in the
    xywy KG), so the label is part of the key.
    """
    return f"{label}:{name}"


@dataclass
class ConceptRow:
    """One concept to merge: label, name, (diseases) text properties, aliases and ICD-10 codes."""

    label: str
    name: str
    props: dict[str, Any] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    icd10: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        """Business key."""
        return concept_id(self.label, self.name)


@dataclass(frozen=True)
class TripleRow:
    """One relationship assertion from one source line."""

    head_label: str
    head: str
    relation: str
    tail_label: str
    tail: str
    confidence: float | None = None
    source: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """(head id, relation, tail id)."""
        return (concept_id(self.head_label, self.head), self.relation,
                concept_id(self.tail_label, self.tail))


_DYNAMIC_TYPE = "$(row.type)"


def static_relationship_type(text: str, row: dict[str, Any]) -> str:
    """Specialise a statement's dynamic relationship type ``$(row.type)`` to the row's type.

    The type must be in :data:`RELATION_TYPES`; nothing else ever reaches the statement.

    Raises:
        ValueError: the row's type is not in the allow-list, or the statement has no dynamic type.
    """
    rel_type = row.get("type")
    if rel_type not in RELATION_TYPES:
        raise ValueError(f"relationship type {rel_type!r} is not in the allow-list")
    return _specialised(text, rel_type)


@functools.lru_cache(maxsize=64)
def _specialised(text: str, rel_type: str) -> str:
    # called once per row by the batch writer; the statement text is the same for every row
    if _DYNAMIC_TYPE not in text:
        raise ValueError(f"statement has no {_DYNAMIC_TYPE} to specialise")
    return text.replace(_DYNAMIC_TYPE, f"`{rel_type}`")
