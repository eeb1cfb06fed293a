"""``medkg ingest``: EMR records from JSONL, CCKS 2019 or text files into ``(:EMR)`` nodes.

Formats:

- ``jsonl``: one JSON object per line, ``{"id": ..., "text": ..., "meta": {...}}`` (``meta`` optional,
  stored as a JSON string);
- ``ccks``: CCKS 2019 lines (``originalText``; ``id`` when present, else ``<file stem>-<line>``);
  gold ``entities`` are ignored;
- ``text``: a ``.txt`` file or a folder of them (recursively); the id is the path below the folder
  without the suffix.

The whole input is read and checked before anything is written (:func:`graph.watch.records.text_problem`,
duplicate ids, malformed lines), then every id is compared with the graph: the same id with the
same text is left alone (nothing changes), the same id with another text is refused unless
``replace``, which stores the new text and sets the record back to ``NEW`` so that its facts are
extracted again (the old ones are superseded by the watcher, not deleted). Records are written in
batches, one ``UNWIND`` MERGE per transaction.

Writers outside medkg may create records with just ``id`` and ``text`` (``CREATE (:EMR {id: $id,
text: $text})``); a record without ``status`` counts as ``NEW``.

Example:
    >>> result = ingest_path(client, Path("data/sample/emr.jsonl"), IngestConfig(format="ccks"))  # doctest: +SKIP
    >>> result.created  # doctest: +SKIP
    8
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from neo4j import ManagedTransaction, unit_of_work

from core.progress import ProgressFactory
from graph.db.connection import GraphClient, chunks
from graph.db.queries import query
from graph.watch.config import IngestConfig
from graph.watch.records import text_problem, text_sha256
from kgmodel.formats import json_problem

__all__ = ["IngestError", "IngestResult", "IngestRow", "ingest_path", "ingest_rows", "read_records"]

MAX_ID_LENGTH = 200


class IngestError(ValueError):
    """Input that cannot be ingested; the message names file, line and field."""

    def __init__(self, problems: list[str], message: str | None = None) -> None:
        shown = "; ".join(problems[:10]) + (f"; ... and {len(problems) - 10} more" if len(problems) > 10 else "")
        super().__init__(message or shown)
        self.problems = problems


@dataclass(frozen=True)
class IngestRow:
    """One record read from input."""

    id: str
    text: str
    meta: dict[str, Any] | None
    location: str

    def to_row(self, source: str) -> dict[str, Any]:
        """The ``$rows`` entry of the write statements."""
        return {"id": self.id, "text": self.text, "sha256": text_sha256(self.text), "source": source,
                "meta": json.dumps(self.meta, ensure_ascii=False, sort_keys=True) if self.meta else None}


@dataclass
class IngestResult:
    """What one ingestion did."""

    source: str
    format: str
    read: int = 0
    created: int = 0
    unchanged: int = 0
    replaced: int = 0
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self) | {"records_per_s": round(self.read / self.seconds, 1) if self.seconds else None}


def _check_id(raw: object, where: str) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ValueError(f"{where} field 'id': must be a string or an integer, got {type(raw).__name__}")
    value = str(raw).strip()
    if not value:
        raise ValueError(f"{where} field 'id': empty")
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"{where} field 'id': {len(value):,} characters long, over the limit of "
                         f"{MAX_ID_LENGTH} characters for an id")
    problem = text_problem(value, MAX_ID_LENGTH)
    if problem is not None:
        raise ValueError(f"{where} field 'id': not a usable id ({problem})")
    return value


def _not_utf8(data: bytes, exc: UnicodeDecodeError, offset: int = 0) -> str:
    """Why ``data`` (starting at byte ``offset`` of its file) is not UTF-8, and what to do about it."""
    hint = ""
    try:
        data.decode("gb18030")
        hint = " (the bytes read as GBK: iconv -f GBK -t UTF-8)"
    except UnicodeDecodeError:
        pass
    return (f"not UTF-8 (byte {data[exc.start]:#04x} at file offset {offset + exc.start}); "
            f"convert it to UTF-8{hint}")


def _json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """``(line number, object)``, or ``(line number, error message)`` for a line that is not an object.

    A JSON string holds no raw line break, so each record is exactly one line (ended by LF, CRLF or CR);
    lines are decoded one by one, so a line that is not UTF-8 is named with its first bad byte.
    """
    data = path.read_bytes()
    offset = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    for number, raw in enumerate(data[offset:].splitlines(keepends=True), start=1):
        start, offset = offset, offset + len(raw)
        raw = raw.rstrip(b"\r\n")
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, _not_utf8(raw, exc, start)
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"not JSON ({json_problem(exc)})"
            continue
        yield number, obj if isinstance(obj, dict) else f"expected a JSON object, got {type(obj).__name__}"


def _read_json(path: Path, fmt: str, max_chars: int) -> Iterator[IngestRow | str]:
    text_field = "text" if fmt == "jsonl" else "originalText"
    for number, obj in _json_lines(path):
        where = f"{path}:{number}"
        if isinstance(obj, str):
            yield f"{where}: {obj}"
            continue
        try:
            if fmt == "jsonl" or "id" in obj:
                if "id" not in obj:
                    raise ValueError(f"{where} field 'id': missing")
                rid = _check_id(obj["id"], where)
            else:
                rid = f"{path.stem}-{number}"
            text = obj.get(text_field)
            problem = text_problem(text, max_chars)
            if problem:
                raise ValueError(f"{where} field {text_field!r}: {problem}")
            meta = obj.get("meta") if fmt == "jsonl" else None
            if meta is not None and not isinstance(meta, dict):
                raise ValueError(f"{where} field 'meta': must be an object, got {type(meta).__name__}")
        except ValueError as exc:
            yield str(exc)
            continue
        yield IngestRow(rid, cast(str, text), meta, where)  # text_problem refused all but a string


def _read_texts(path: Path, max_chars: int) -> Iterator[IngestRow | str]:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*.txt") if p.is_file())
    if not files:
        yield f"{path}: no .txt files"
        return
    for file in files:
        rid = file.stem if file == path else file.relative_to(path).with_suffix("").as_posix()
        data = file.read_bytes()
        bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        try:
            text = data[bom:].decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[:bom + exc.start].count(b"\n") + 1
            yield f"{file}:{line}: {_not_utf8(data[bom:], exc, bom)}"
            continue
        problem = text_problem(text, max_chars)
        yield f"{file}: {problem}" if problem else IngestRow(rid, text, None, str(file))


def read_records(path: Path, config: IngestConfig) -> tuple[list[IngestRow], list[str]]:
    """Every record of ``path`` and the problems found, without touching the graph.

    Raises:
        FileNotFoundError: ``path`` does not exist.
    """
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if config.format == "text":
        items = _read_texts(path, config.max_text_chars)
    else:
        suffixes = (".jsonl", ".json", ".txt")
        files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.suffix in suffixes)
        items = (item for file in files for item in _read_json(file, config.format, config.max_text_chars))
    rows: list[IngestRow] = []
    problems: list[str] = []
    first: dict[str, IngestRow] = {}
    for item in items:
        if isinstance(item, str):
            problems.append(item)
        elif item.id in first:
            problems.append(f"{item.location} field 'id': duplicate id {item.id!r} "
                            f"(first at {first[item.id].location})")
        else:
            first[item.id] = item
            rows.append(item)
    return rows, problems


def ingest_path(client: GraphClient, path: Path, config: IngestConfig | None = None,
                progress: ProgressFactory | None = None) -> IngestResult:
    """Read, check and write one file or folder of records.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        IngestError: Bad lines (without ``skip_invalid``), or ids whose text changed (without ``replace``);
            the graph is untouched.
    """
    config = config or IngestConfig()
    started = time.perf_counter()
    rows, problems = read_records(path, config)
    if problems and not config.skip_invalid:
        raise IngestError(problems)
    source = config.source or path.name
    result = ingest_rows(client, rows, config, source, progress)
    result.skipped = problems
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def ingest_rows(client: GraphClient, rows: list[IngestRow], config: IngestConfig, source: str,
                progress: ProgressFactory | None = None) -> IngestResult:
    """Write checked rows: conflicts first (nothing written on a refusal), then batches of MERGEs.

    Raises:
        IngestError: Some ids exist with another text and ``config.replace`` is off.
    """
    result = IngestResult(source, config.format, read=len(rows))
    payload = [row.to_row(source) for row in rows]
    changed: set[str] = set()
    existing: set[str] = set()
    for batch in chunks(payload, 10_000):
        for found in client.read("internal/find_emr_versions", rows=batch):
            existing.add(found["id"])
            if found["differs"]:
                changed.add(found["id"])
    if changed and not config.replace:
        where = {row.id: row.location for row in rows}
        raise IngestError([f"{where[i]} field 'id': record {i!r} exists with another text (use --replace)"
                           for i in sorted(changed)])
    advance = progress("ingesting", len(payload)) if progress else None
    create, replace = query("internal/merge_emrs"), query("internal/replace_emrs")
    with client.session() as session:
        for number, batch in enumerate(chunks(payload, config.batch_size)):
            replaced = [row for row in batch if row["id"] in changed]

            @unit_of_work(metadata=client.metadata("internal/merge_emrs", batch=number, source=source))
            def work(tx: ManagedTransaction, batch: list[dict[str, Any]] = batch,
                     replaced: list[dict[str, Any]] = replaced) -> tuple[int, int]:
                created = tx.run(create, rows=batch).single(strict=True)["created"]
                redone = tx.run(replace, rows=replaced).single(strict=True)["replaced"] if replaced else 0
                return created, redone

            created, redone = session.execute_write(work)
            result.created += created
            result.replaced += redone
            if advance:
                advance(len(batch))
    result.unchanged = result.read - result.created - result.replaced
    return result
