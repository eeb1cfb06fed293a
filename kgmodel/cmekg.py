"""The ``cmekg`` KG format: PyCMeKG's pickle, read without running code, as units of the loader.

PyCMeKG 0.2.5 (MIT) ships CMeKG as ``pyCMeKG/model/cmekg.pkl``: a dict ``subject -> {predicate:
[objects]}`` of 27,403 subjects and 967,409 facts over 469 predicates. Reading it:

1. the file's sha256 must be :data:`CMEKG_SHA256`, the digest of the file in PyCMeKG 0.2.5, unless
   the caller allows an unpinned file (``--allow-unpinned``: a newer CMeKG, a file of one's own);
2. it is unpickled by :class:`RestrictedUnpickler`, whose ``find_class`` refuses every global, so
   the pickle can build dicts, lists and strings but can never name a function to call;
3. the structure must be a dict of str -> dict of str -> list of str; a subject that is not is an
   error naming the subject and predicate (stop, or skip and count with ``--skip-invalid``).

A refusal in step 1 or 2 (:class:`CMeKGRefused`) is never skipped: nothing of the file is read into
the graph. Each subject then becomes one unit (its concept, the concepts it lists, its relationships,
aliases and ICD-10 codes) by the tables of :mod:`kgmodel.cmekg_schema`; :class:`CMeKGSummary`
counts what was typed how, and what was skipped.

Example:
    >>> reader = CMeKGReader(installed_pickle())  # doctest: +SKIP
    >>> units = list(reader.units())  # doctest: +SKIP
    >>> reader.summary.subject_types  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import io
import pickle
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kgmodel.cmekg_schema import (
    ALIAS_PREDICATES,
    CODE_PREDICATES,
    PLACEHOLDERS,
    RELATION_PREDICATES,
    infer_type,
)
from kgmodel.formats import Unit
from kgmodel.model import ConceptRow, KGFormatError, SourceLocation, TripleRow

__all__ = ["CMEKG_CONFIDENCE", "CMEKG_SHA256", "CMeKGReader", "CMeKGRefused", "CMeKGSummary",
           "RestrictedUnpickler", "installed_pickle", "read_pickle"]

#: sha256 of ``pyCMeKG/model/cmekg.pkl`` in PyCMeKG 0.2.5 (the version pinned in pyproject.toml).
CMEKG_SHA256 = "eb0ab98b384b4272feead720bbb5f262715973589004d8a5093c5020d954c4b5"

#: Default confidence of a CMeKG triple. Lower than a curated crawl's 0.8: CMeKG was extracted by
#: machine from textbooks, guidelines and drug labels and only partly reviewed, and its lists hold
#: fragments of sentences next to names (常见症状 '可发展为症状性脑梗死', 成份 '水').
CMEKG_CONFIDENCE = 0.7

_DISTRIBUTION = "PyCMeKG"
_PACKAGE_FILE = "pyCMeKG/model/cmekg.pkl"


class CMeKGRefused(ValueError):
    """The file is not one medkg will unpickle (wrong sha256, or a global inside); nothing was read."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that admits only what pickle builds without globals: containers and scalars.

    Every opcode that could reach code (``GLOBAL``, ``STACK_GLOBAL``, ``INST``, ``OBJ``, the
    extension registry) goes through :meth:`find_class`, which refuses; persistent ids are refused
    by :class:`pickle.Unpickler` itself when no ``persistent_load`` is defined.
    """

    def find_class(self, module: str, name: str) -> Any:  # noqa: D102 - documented on the class
        raise pickle.UnpicklingError(f"global {module}.{name} refused")


def installed_pickle() -> Path:
    """The pickle inside the installed PyCMeKG package (found through its metadata, never imported).

    Raises:
        FileNotFoundError: PyCMeKG is not installed, or its install lacks the pickle.
    """
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution(_DISTRIBUTION)
    except PackageNotFoundError:
        raise FileNotFoundError("no path given and PyCMeKG is not installed: install medkg's cmekg extra "
                                "(pip install -e '.[cmekg]' in the checkout: PyCMeKG==0.2.5), or pass the "
                                "path to cmekg.pkl") from None
    path = Path(str(dist.locate_file(_PACKAGE_FILE)))
    if not path.is_file():
        raise FileNotFoundError(f"PyCMeKG {dist.version} is installed but {path} is missing")
    return path


def read_pickle(path: Path, *, allow_unpinned: bool = False) -> tuple[Any, str]:
    """Check the file's digest, then unpickle it with :class:`RestrictedUnpickler`.

    The bytes are read once, so the file checked is the file unpickled.

    Returns:
        ``(data, sha256)``; ``data`` is not yet validated.

    Raises:
        CMeKGRefused: the digest differs from :data:`CMEKG_SHA256` (and ``allow_unpinned`` is off),
            or the pickle names a global, or it is not a pickle.
    """
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != CMEKG_SHA256 and not allow_unpinned:
        raise CMeKGRefused(f"{path}: sha256 {digest} is not the pinned CMeKG file ({CMEKG_SHA256}, PyCMeKG "
                           "0.2.5); refusing to unpickle it (--allow-unpinned reads it anyway, still "
                           "without running code)")
    try:
        return RestrictedUnpickler(io.BytesIO(data)).load(), digest
    except pickle.UnpicklingError as exc:
        raise CMeKGRefused(f"{path}: not a plain CMeKG pickle ({exc}); only dicts, lists and strings "
                           "are admitted, nothing was read into the graph") from None
    except (EOFError, ValueError, TypeError, IndexError, KeyError, MemoryError) as exc:
        raise CMeKGRefused(f"{path}: not a readable pickle ({type(exc).__name__}: {exc})") from None


@dataclass
class CMeKGSummary:
    """What the reader saw, typed, mapped and skipped."""

    sha256: str = ""
    pinned: bool = False
    subjects: int = 0
    facts: int = 0
    subject_types: dict[str, int] = field(default_factory=dict)
    mixed_subjects: int = 0
    untyped_subjects: int = 0
    mapped_facts: dict[str, int] = field(default_factory=dict)
    aliases: int = 0
    codes: int = 0
    placeholders: int = 0
    skipped_predicates: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, counters sorted by count."""
        out = asdict(self)
        for key in ("subject_types", "mapped_facts", "skipped_predicates"):
            out[key] = dict(sorted(out[key].items(), key=lambda kv: (-kv[1], kv[0])))
        return out


@dataclass
class _Counts:
    types: Counter[str] = field(default_factory=Counter)
    mapped: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    mixed: int = 0
    untyped: int = 0
    aliases: int = 0
    codes: int = 0
    placeholders: int = 0
    facts: int = 0


class CMeKGReader:
    """Units of one CMeKG pickle; :attr:`summary` is complete once :meth:`units` is exhausted.

    Args:
        path: the pickle.
        allow_unpinned: read a file whose sha256 is not :data:`CMEKG_SHA256`.
    """

    def __init__(self, path: Path, *, allow_unpinned: bool = False) -> None:
        self.path = path
        self.allow_unpinned = allow_unpinned
        self.summary = CMeKGSummary()
        self._counts = _Counts()

    def units(self) -> Iterator[Unit | KGFormatError]:
        """One unit per typed subject, in file order, or a :class:`KGFormatError` naming it.

        Raises:
            CMeKGRefused: see :func:`read_pickle`.
        """
        data, digest = read_pickle(self.path, allow_unpinned=self.allow_unpinned)
        self.summary = CMeKGSummary(sha256=digest, pinned=digest == CMEKG_SHA256)
        self._counts = _Counts()
        if not isinstance(data, dict):
            yield KGFormatError(SourceLocation(str(self.path), "top level"),
                                f"expected a dict of subjects, got {type(data).__name__}")
            return
        for subject, facts in data.items():
            try:
                unit = self._unit(subject, facts)
            except KGFormatError as exc:
                yield exc
                continue
            if unit is not None:
                yield unit
        self._finish(len(data))

    def _finish(self, subjects: int) -> None:
        counts = self._counts
        self.summary.subjects = subjects
        self.summary.facts = counts.facts
        self.summary.subject_types = dict(counts.types)
        self.summary.mixed_subjects = counts.mixed
        self.summary.untyped_subjects = counts.untyped
        self.summary.mapped_facts = dict(counts.mapped)
        self.summary.aliases = counts.aliases
        self.summary.codes = counts.codes
        self.summary.placeholders = counts.placeholders
        self.summary.skipped_predicates = dict(counts.skipped)

    def _unit(self, subject: Any, facts: Any) -> Unit | None:
        where = SourceLocation(str(self.path), f"subject {str(subject)[:60]!r}")
        if not isinstance(subject, str):
            raise KGFormatError(where, f"subject must be a string, got {type(subject).__name__}")
        lists = _validated(facts, where)
        self._counts.facts += sum(len(objects) for objects in lists.values())
        label, mixed = infer_type(lists)
        if label is None:
            self._counts.untyped += 1
            for predicate, objects in lists.items():
                self._counts.skipped[predicate] += len(objects)
            return None
        unit = Unit(where)
        name = unit.concept(label, subject, "subject")
        row = unit.concepts[0]
        staged = _Staged()
        for predicate, objects in lists.items():
            self._predicate(unit, row, staged, label, name, predicate, objects)
        # counted only once the whole subject is valid, so a skipped subject counts nowhere
        self._counts.types[label] += 1
        self._counts.mixed += int(mixed)
        self._counts.mapped.update(staged.mapped)
        self._counts.skipped.update(staged.skipped)
        self._counts.aliases += len(row.aliases)
        self._counts.codes += len(row.icd10)
        self._counts.placeholders += staged.placeholders
        return unit

    def _predicate(self, unit: Unit, row: ConceptRow, staged: _Staged, label: str, name: str,
                   predicate: str, objects: list[str]) -> None:
        rule = RELATION_PREDICATES.get(predicate, {}).get(label)
        if rule is None and predicate not in ALIAS_PREDICATES and predicate not in CODE_PREDICATES:
            staged.skipped[predicate] += len(objects)
            return
        at = SourceLocation(unit.location.file, unit.location.line, predicate)
        for raw in objects:
            if not raw.strip() or raw.strip() in PLACEHOLDERS:
                staged.placeholders += 1
                continue
            value = unit.name(raw, at)
            if rule is not None:
                unit.concepts.append(ConceptRow(rule.object_label, value))
                ends = ((rule.object_label, value), (label, name)) if rule.inverse else (
                    (label, name), (rule.object_label, value))
                unit.triples.append(TripleRow(ends[0][0], ends[0][1], rule.type, ends[1][0], ends[1][1]))
                staged.mapped[rule.type] += 1
            elif predicate in ALIAS_PREDICATES:
                if value != name and value not in row.aliases:
                    row.aliases.append(value)
            elif value not in row.icd10:
                row.icd10.append(value)


@dataclass
class _Staged:
    mapped: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    placeholders: int = 0


def _validated(facts: Any, where: SourceLocation) -> dict[str, list[str]]:
    """``facts`` if it is a dict of str -> list of str, else a :class:`KGFormatError` naming the spot."""
    if not isinstance(facts, dict):
        raise KGFormatError(where, f"expected a dict of predicates, got {type(facts).__name__}")
    for predicate, objects in facts.items():
        if not isinstance(predicate, str):
            raise KGFormatError(where, f"predicate must be a string, got {type(predicate).__name__}")
        at = SourceLocation(where.file, where.line, predicate)
        if not isinstance(objects, list):
            raise KGFormatError(at, f"expected a list of objects, got {type(objects).__name__}")
        for item in objects:
            if not isinstance(item, str):
                raise KGFormatError(at, f"objects must be strings, got {type(item).__name__}")
    return facts
