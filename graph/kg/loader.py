"""Loading a medical KG into Neo4j: :func:`load_kg`.

The whole source is read and validated before anything is written, so a bad line stops the load
with the graph untouched (or, with ``skip_invalid``, is skipped and counted). Concepts and triples
are then de-duplicated and written in fixed-size batches, one ``UNWIND $rows`` per managed write
transaction, every write a MERGE on a uniquely constrained key.

Confidence rule: a source asserts each of its triples with a confidence (default
:attr:`LoadConfig.confidence`, or the row's own in a triples file). A relationship's ``confidence``
is the noisy-OR of the confidences of the sources that assert it, ``1 - prod(1 - c_s)``: every
independent source raises it, and loading the same source again changes nothing.

Example:
    >>> from graph.kg.loader import LoadConfig, load_kg
    >>> result = load_kg(client, "data/sample_kg.tsv", LoadConfig(format="triples"))  # doctest: +SKIP
    >>> result.relationships_total  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from core.config import ClosedConfig
from core.progress import ProgressFactory
from graph.about import git_hash, medkg_version
from graph.db.connection import GraphClient, WriteTotals
from kgmodel.cmekg import CMEKG_CONFIDENCE, CMeKGReader, installed_pickle
from kgmodel.formats import KGFormat, Unit, read_units, source_files
from kgmodel.model import ConceptRow, KGFormatError, TripleRow, static_relationship_type

__all__ = ["KGLoadError", "LoadConfig", "LoadResult", "ParsedKG", "file_digests", "load_kg", "parse_kg",
           "relationship_rows", "resolve_path"]



class LoadConfig(ClosedConfig):
    """How to load one KG source."""

    format: KGFormat
    """Source format: ``qasystem``, ``xywy``, ``triples`` or ``cmekg``."""

    source: str | None = Field(default=None, min_length=1, max_length=100)
    """Source name recorded on every node and relationship; default: the format name for
    ``qasystem``/``xywy``, the file stem for ``triples`` (a triples row may name its own)."""

    confidence: float = Field(default=0.8, ge=0.0, le=1.0)
    """Confidence with which this source asserts each triple (rows may override it); when not given,
    0.8, and 0.7 for ``cmekg`` (:data:`kgmodel.cmekg.CMEKG_CONFIDENCE`)."""

    encoding: str | None = None
    """Force an encoding; by default UTF-8, or GBK when the file is GBK."""

    skip_invalid: bool = False
    """Skip unreadable lines/records (counted and listed in the result) instead of stopping."""

    batch_size: int = Field(default=10_000, ge=1, le=100_000)
    """Rows per write transaction."""

    allow_unpinned: bool = False
    """``cmekg`` only: read a pickle whose sha256 is not the pinned PyCMeKG 0.2.5 file's (still
    with the restricted unpickler, so still without running code)."""

    @model_validator(mode="before")
    @classmethod
    def _format_default_confidence(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("confidence") is None:
            data = {key: value for key, value in data.items() if key != "confidence"}
            if data.get("format") == "cmekg":
                data["confidence"] = CMEKG_CONFIDENCE
        return data

    @model_validator(mode="after")
    def _unpinned_is_cmekg_only(self) -> LoadConfig:
        if self.allow_unpinned and self.format != "cmekg":
            raise ValueError("allow_unpinned applies to format cmekg only")
        return self


class KGLoadError(ValueError):
    """The source has invalid records and ``skip_invalid`` is off; nothing was written."""

    def __init__(self, error: KGFormatError, more: int) -> None:
        extra = f" (and {more} more invalid records; --skip-invalid skips and counts them)" if more else (
            " (--skip-invalid skips and counts such records)")
        super().__init__(f"{error}{extra}")
        self.error = error
        self.more = more


@dataclass
class ParsedKG:
    """A source read and de-duplicated in memory, ready to write."""

    source: str
    files: list[Path]
    concepts: dict[str, ConceptRow]
    triples: dict[tuple[str, str, str, str], float]  # (head id, type, tail id, source) -> confidence
    concept_sources: dict[str, set[str]]  # concept id -> sources that mention it
    units: int
    errors: list[KGFormatError]
    summary: dict[str, Any] = field(default_factory=dict)  # what a format reports of itself (cmekg)
    names_cleaned: int = 0  # names of valid units that lost zero-width characters (kgmodel.model.clean_name)


def _default_source(config: LoadConfig, path: Path) -> str:
    if config.source:
        return config.source
    return path.stem.split(".")[0] if config.format == "triples" else config.format


def resolve_path(path: str | Path | None, fmt: str) -> Path:
    """The path to read: ``path``, or for ``cmekg`` without one the installed PyCMeKG's pickle.

    Raises:
        ValueError: no path, and the format is not ``cmekg``.
        FileNotFoundError: ``cmekg`` without a path and PyCMeKG is not installed.
    """
    if path is not None:
        return Path(path)
    if fmt != "cmekg":
        raise ValueError(f"a path is required for format {fmt!r}; only cmekg finds its file itself "
                         "(in the installed PyCMeKG package)")
    return installed_pickle()


def _cmekg_reader(path: Path, config: LoadConfig) -> CMeKGReader:
    files = source_files(path, "cmekg")
    if len(files) != 1:
        raise FileNotFoundError(f"{path}: {len(files)} .pkl files in this folder; pass the CMeKG pickle itself")
    return CMeKGReader(files[0], allow_unpinned=config.allow_unpinned)


def parse_kg(path: Path, config: LoadConfig) -> ParsedKG:
    """Read, validate and de-duplicate a whole source.

    Raises:
        KGLoadError: on the first bad line, unless ``config.skip_invalid``.
        kgmodel.cmekg.CMeKGRefused: a ``cmekg`` pickle that is not the pinned file (unless
            ``config.allow_unpinned``) or holds a global; never skipped.
    """
    source = _default_source(config, path)
    concepts: dict[str, ConceptRow] = {}
    triples: dict[tuple[str, str, str, str], float] = {}
    concept_sources: dict[str, set[str]] = {}
    errors: list[KGFormatError] = []
    units = cleaned = 0
    reader = _cmekg_reader(path, config) if config.format == "cmekg" else None
    stream: Iterator[Unit | KGFormatError] = (
        reader.units() if reader is not None else read_units(path, config.format, config.encoding))
    for unit in stream:
        if isinstance(unit, KGFormatError):
            errors.append(unit)
            continue
        units += 1
        cleaned += unit.names_cleaned
        # a concept belongs to the sources of the rows that mention it (a triples row may name one)
        unit_sources = {triple.source or source for triple in unit.triples} or {source}
        for concept in unit.concepts:
            _merge_concept(concepts, concept)
            concept_sources.setdefault(concept.id, set()).update(unit_sources)
        for triple in unit.triples:
            _merge_triple(triples, triple, source, config.confidence)
    if errors and not config.skip_invalid:
        raise KGLoadError(errors[0], len(errors) - 1)
    files = source_files(path, config.format)
    summary = reader.summary.to_dict() if reader is not None else {}
    return ParsedKG(source, files, concepts, triples, concept_sources, units, errors, summary, cleaned)


def _merge_concept(concepts: dict[str, ConceptRow], concept: ConceptRow) -> None:
    known = concepts.get(concept.id)
    if known is None:
        concepts[concept.id] = ConceptRow(concept.label, concept.name, dict(concept.props),
                                          list(concept.aliases), list(concept.icd10))
        return
    for key, value in concept.props.items():  # first record that has a field wins
        known.props.setdefault(key, value)
    known.aliases.extend(alias for alias in concept.aliases if alias not in known.aliases)
    known.icd10.extend(code for code in concept.icd10 if code not in known.icd10)


def _merge_triple(triples: dict[tuple[str, str, str, str], float], triple: TripleRow,
                  source: str, confidence: float) -> None:
    head, relation, tail = triple.key
    key = (head, relation, tail, triple.source or source)
    value = triple.confidence if triple.confidence is not None else confidence
    triples[key] = max(value, triples.get(key, 0.0))


def relationship_rows(triples: dict[tuple[str, str, str, str], float]) -> list[dict[str, Any]]:
    """One row per relationship: its sources, their confidences and the noisy-OR of them.

    Rows are sorted by type, so a batch runs one statement per type.
    """
    grouped: dict[tuple[str, str, str], dict[str, float]] = {}
    for (head, rel_type, tail, source), confidence in triples.items():
        grouped.setdefault((rel_type, head, tail), {})[source] = confidence
    rows = []
    for (rel_type, head, tail), by_source in sorted(grouped.items()):
        sources = sorted(by_source)
        confidences = [by_source[s] for s in sources]
        rows.append({"head": head, "type": rel_type, "tail": tail, "sources": sources,
                     "confidences": confidences, "confidence": 1.0 - math.prod(1.0 - c for c in confidences)})
    return rows


@dataclass
class LoadResult:
    """What a load did, with timings and the resolved config; :meth:`save` writes it as JSON."""

    source: str
    format: str
    files: list[dict[str, str]]
    units_read: int
    units_skipped: int
    errors: list[str]
    concepts: dict[str, int]
    relationships: dict[str, int]
    written: dict[str, int]
    seconds: dict[str, float]
    rates: dict[str, float]
    config: dict[str, Any]
    names_cleaned: int = 0
    """Names that had zero-width characters, removed by :func:`kgmodel.model.clean_name`."""
    format_summary: dict[str, Any] = field(default_factory=dict)
    """What the format reports of itself; for ``cmekg`` the digest, subject types, mixed and
    untyped subjects, facts per relationship type, aliases, codes and skipped facts per predicate."""
    version: str = field(default_factory=medkg_version)
    git_hash: str | None = field(default_factory=git_hash)

    @property
    def relationships_total(self) -> int:
        """Distinct (head, type, tail, source) assertions in the source."""
        return sum(self.relationships.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self) | {"relationships_total": self.relationships_total}

    def save(self, path: Path) -> None:
        """Write the result as JSON."""
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_digests(files: list[Path]) -> list[dict[str, str]]:
    """``{"path", "sha256"}`` of each source file, as the ``KGSource`` node records them."""
    return [{"path": str(f), "sha256": _sha256(f)} for f in files]


def _no_progress(description: str, total: int) -> Callable[[int], None]:
    return lambda advance: None


def load_kg(client: GraphClient, path: str | Path | None, config: LoadConfig,
            progress: ProgressFactory | None = None) -> LoadResult:
    """Load one KG source into the graph, idempotently.

    Args:
        client: where to write.
        path: a file, or a folder of files of ``config.format``; for ``cmekg``, ``None`` reads the
            installed PyCMeKG package's pickle.
        config: format, source name, confidence, encoding, skipping, batch size.
        progress: ``progress(description, total)`` returns a callback taking the rows just
            written; the CLI passes a rich progress bar.

    Returns:
        Counts in the source, counters of what was written, timings and rates.

    Raises:
        FileNotFoundError: nothing at ``path`` (or, for ``cmekg`` without one, no PyCMeKG installed).
        ValueError: no path for a format other than ``cmekg``.
        KGLoadError: an invalid line and ``skip_invalid`` off; nothing was written.
        kgmodel.cmekg.CMeKGRefused: a ``cmekg`` pickle medkg will not unpickle; nothing was written.
    """
    path = resolve_path(path, config.format)
    started = time.perf_counter()
    parsed = parse_kg(path, config)
    source = parsed.source
    parse_done = time.perf_counter()
    client.apply_schema()
    make_bar = progress or _no_progress

    concept_rows = [{"id": c.id, "name": c.name, "label": c.label, "source": concept_source}
                    for c in parsed.concepts.values()
                    for concept_source in sorted(parsed.concept_sources[c.id])]
    nodes = client.write_batches("internal/merge_concepts", concept_rows, batch_size=config.batch_size,
                                 on_batch=make_bar("concepts", len(concept_rows)))
    detail_rows = [{"id": c.id, "props": c.props} for c in parsed.concepts.values() if c.props]
    details = client.write_batches("internal/set_disease_details", detail_rows,
                                   batch_size=max(1, config.batch_size // 10),
                                   on_batch=make_bar("disease details", len(detail_rows)))
    alias_rows = [{"id": c.id, "aliases": c.aliases, "icd10": c.icd10} for c in parsed.concepts.values()
                  if c.aliases or c.icd10]
    aliases = WriteTotals()
    if alias_rows:  # only cmekg has aliases and codes; other formats show no empty progress bar
        aliases = client.write_batches("internal/merge_concept_aliases", alias_rows, batch_size=config.batch_size,
                                       on_batch=make_bar("aliases and codes", len(alias_rows)))
    nodes_done = time.perf_counter()
    rel_rows = relationship_rows(parsed.triples)
    rels = client.write_batches("internal/merge_relationships", rel_rows, batch_size=config.batch_size,
                                on_batch=make_bar("relationships", len(rel_rows)),
                                specialise=static_relationship_type)
    finished = time.perf_counter()

    files = file_digests(parsed.files)
    client.write("internal/merge_kg_source", id=source, format=config.format,
                 files=[f["path"] for f in files], sha256=[f["sha256"] for f in files],
                 concepts=len(concept_rows), relationships=len(rel_rows), skipped=len(parsed.errors))
    return _result(parsed, config, source, files, (nodes, details, aliases, rels),
                   (started, parse_done, nodes_done, finished))


def _result(parsed: ParsedKG, config: LoadConfig, source: str, files: list[dict[str, str]],
            totals: tuple[WriteTotals, WriteTotals, WriteTotals, WriteTotals],
            marks: tuple[float, float, float, float]) -> LoadResult:
    nodes, details, aliases, rels = totals
    started, parse_done, nodes_done, finished = marks
    write_seconds = finished - parse_done
    node_seconds, rel_seconds = nodes_done - parse_done, finished - nodes_done
    return LoadResult(
        source=source,
        format=config.format,
        files=files,
        units_read=parsed.units,
        units_skipped=len(parsed.errors),
        errors=[str(e) for e in parsed.errors[:50]],
        concepts=dict(sorted(Counter(c.label for c in parsed.concepts.values()).items())),
        relationships=dict(sorted(Counter(key[1] for key in parsed.triples).items())),
        written={
            "nodes_created": nodes.nodes_created,
            "labels_added": nodes.labels_added,
            "relationships_created": rels.relationships_created,
            "properties_set": (nodes.properties_set + details.properties_set + aliases.properties_set
                               + rels.properties_set),
            "batches": nodes.batches + details.batches + aliases.batches + rels.batches,
        },
        seconds={"parse": round(parse_done - started, 3), "nodes": round(node_seconds, 3),
                 "relationships": round(rel_seconds, 3), "write": round(write_seconds, 3),
                 "total": round(finished - started, 3)},
        rates={"nodes_per_s": round(len(parsed.concepts) / node_seconds, 1) if node_seconds else 0.0,
               "relationships_per_s": round(len(parsed.triples) / rel_seconds, 1) if rel_seconds else 0.0},
        config=config.model_dump(),
        names_cleaned=parsed.names_cleaned,
        format_summary=parsed.summary,
    )
