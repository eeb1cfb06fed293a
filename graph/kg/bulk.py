"""The first load of an empty embedded database through Neo4j's offline bulk importer: :func:`bulk_load`.

``medkg kg load --bulk`` reads and validates every source the way :func:`graph.kg.loader.load_kg`
does (nothing is touched when one is bad), then computes in memory the graph that loading the
sources one after the other with the MERGE path would leave: concepts merged by id, sources
appended, the first source's disease texts kept, aliases and ICD-10 codes appended in order,
relationships with their per-source confidences and the noisy-OR of them, one ``KGSource`` node per
source. That graph is written as CSV files and handed to ``neo4j-admin database import full``
(``org.neo4j.cli.AdminTool`` from ``org.neo4j:neo4j-import-tool``, on the launcher's classpath) with
the server stopped; the server is started again, the schema applied and the empty alias lists set.
The MERGE path stays the way to load anything into a database that already holds data.

Refused: a server given by ``NEO4J_URI`` (the importer writes the store files, which only the embedded
server has here), and a database that holds any node.

Example:
    >>> result = bulk_load(LocalNeo4j.from_settings(MedkgSettings()),
    ...                    [(Path("xywy"), LoadConfig(format="xywy")), (None, LoadConfig(format="cmekg"))])
    ... # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.progress import ProgressFactory
from graph.about import git_hash, medkg_version
from graph.db.connection import GraphClient
from graph.db.server import LocalNeo4j, _java_executable
from graph.kg.loader import LoadConfig, ParsedKG, file_digests, parse_kg, relationship_rows, resolve_path
from kgmodel.model import DISEASE_LIST_FIELDS, DISEASE_TEXT_FIELDS, RELATION_TYPES

__all__ = ["BulkLoadError", "BulkResult", "GraphImage", "bulk_load", "graph_image"]


#: The importer's array delimiter: the ASCII unit separator, which no validated name or alias holds.
ARRAY_DELIMITER = "\x1f"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
_STAGE = re.compile(r"^\((\d)/(\d)\) (.+?) \d{4}-")


class BulkLoadError(RuntimeError):
    """The bulk load was refused (not the embedded server, a database with data) or the importer failed."""


@dataclass
class _Node:
    id: str
    label: str
    name: str
    sources: list[str]
    aliases: list[str] = field(default_factory=list)
    icd10: list[str] | None = None
    props: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Rel:
    sources: list[str]
    confidences: list[float]

    @property
    def confidence(self) -> float:
        return 1.0 - math.prod(1.0 - c for c in self.confidences)


@dataclass
class _Source:
    id: str
    format: str
    files: list[str]
    sha256: list[str]
    concepts: int
    relationships: int
    skipped: int
    loads: int = 0


@dataclass
class GraphImage:
    """The graph the MERGE path would leave after loading the sources in order (see the module doc)."""

    nodes: dict[str, _Node] = field(default_factory=dict)
    rels: dict[tuple[str, str, str], _Rel] = field(default_factory=dict)  # (type, head, tail)
    sources: dict[str, _Source] = field(default_factory=dict)
    dropped_relationships: int = 0
    """Rows whose head or tail is no concept (the MERGE path's MATCH finds nothing and skips them)."""

    def add(self, parsed: ParsedKG, config: LoadConfig, files: list[dict[str, str]]) -> None:
        """Apply one source as ``load_kg`` would."""
        for concept in parsed.concepts.values():  # internal/merge_concepts
            for source in sorted(parsed.concept_sources[concept.id]):
                node = self.nodes.get(concept.id)
                if node is None:
                    node = self.nodes[concept.id] = _Node(concept.id, concept.label, concept.name, [])
                if source not in node.sources:
                    node.sources.append(source)
        for concept in parsed.concepts.values():  # internal/set_disease_details: the first value wins
            node = self.nodes[concept.id]
            for key in (*DISEASE_TEXT_FIELDS, *DISEASE_LIST_FIELDS):
                if node.props.get(key) is None and concept.props.get(key) is not None:
                    node.props[key] = concept.props[key]
        for concept in parsed.concepts.values():  # internal/merge_concept_aliases
            node = self.nodes[concept.id]
            node.aliases += [a for a in concept.aliases if a != node.name and a not in node.aliases]
            codes = [c for c in concept.icd10 if c not in (node.icd10 or [])]
            if codes:
                node.icd10 = (node.icd10 or []) + codes
        rows = relationship_rows(parsed.triples)
        for row in rows:  # internal/merge_relationships
            if row["head"] not in self.nodes or row["tail"] not in self.nodes:
                self.dropped_relationships += 1
                continue
            rel_key = (row["type"], row["head"], row["tail"])
            rel = self.rels.get(rel_key)
            if rel is None:
                self.rels[rel_key] = _Rel(list(row["sources"]), list(row["confidences"]))
                continue
            pairs = set(zip(rel.sources, rel.confidences, strict=True))
            if all(pair in pairs for pair in zip(row["sources"], row["confidences"], strict=True)):
                continue
            keep = [i for i, s in enumerate(rel.sources) if s not in row["sources"]]
            rel.sources = [rel.sources[i] for i in keep] + list(row["sources"])
            rel.confidences = [rel.confidences[i] for i in keep] + list(row["confidences"])
        concept_rows = sum(len(parsed.concept_sources[c]) for c in parsed.concepts)
        known = self.sources.get(parsed.source)  # internal/merge_kg_source
        self.sources[parsed.source] = _Source(parsed.source, config.format, [f["path"] for f in files],
                                              [f["sha256"] for f in files], concept_rows, len(rows),
                                              len(parsed.errors), (known.loads if known else 0) + 1)


def graph_image(sources: Sequence[tuple[ParsedKG, LoadConfig, list[dict[str, str]]]]) -> GraphImage:
    """The merged graph of parsed sources, applied in order."""
    image = GraphImage()
    for parsed, config, files in sources:
        image.add(parsed, config, files)
    return image


@dataclass
class BulkResult:
    """What a bulk load did: per source, what the graph holds, timings, rates and memory."""

    sources: list[dict[str, Any]]
    concepts: dict[str, int]
    relationships: dict[str, int]
    nodes_imported: int
    relationships_imported: int
    dropped_relationships: int
    seconds: dict[str, float]
    rates: dict[str, float]
    memory_mb: dict[str, float]
    import_log: str
    version: str = field(default_factory=medkg_version)
    git_hash: str | None = field(default_factory=git_hash)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


def _q(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _array(values: Iterable[Any] | None, what: str) -> str:
    if values is None:
        return ""
    out = []
    for value in values:
        text = str(value)
        if ARRAY_DELIMITER in text:
            raise BulkLoadError(f"{what}: a value holds the array delimiter U+001F: {text[:60]!r}")
        out.append(text)
    return _q(ARRAY_DELIMITER.join(out)) if out else ""


def _text(value: Any) -> str:
    return "" if value is None else _q(str(value))


def _write_csv(folder: Path, image: GraphImage, now: str, tick: Callable[[int], None]) -> list[str]:
    """Node and relationship CSV files (header inside each); returns the importer's file arguments."""
    args = []
    text_fields = list(DISEASE_TEXT_FIELDS)
    header = ([":ID", "id", "name", "aliases:string[]", "sources:string[]", "status", "created_at:datetime",
               "icd10:string[]"] + text_fields + [f"{f}:string[]" for f in DISEASE_LIST_FIELDS] + [":LABEL"])
    path = folder / "concepts.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(header) + "\n")
        for node in image.nodes.values():
            where = f"concept {node.id[:60]!r}"
            cells = [_q(node.id), _q(node.id), _q(node.name), _array(node.aliases, where),
                     _array(node.sources, where), _q("curated"), now, _array(node.icd10, where)]
            cells += [_text(node.props.get(f)) for f in text_fields]
            cells += [_array(node.props.get(f), where) for f in DISEASE_LIST_FIELDS]
            cells.append(_q(ARRAY_DELIMITER.join(("Concept", node.label))))
            fh.write(",".join(cells) + "\n")
            tick(1)
    args.append(f"--nodes={path}")
    path = folder / "sources.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(":ID,id,format,files:string[],sha256:string[],concepts:long,relationships:long,skipped:long,"
                 "first_loaded_at:datetime,loaded_at:datetime,loads:long,:LABEL\n")
        for s in image.sources.values():
            where = f"source {s.id!r}"
            fh.write(",".join([_q("KGSource:" + s.id), _q(s.id), _q(s.format), _array(s.files, where),
                               _array(s.sha256, where), str(s.concepts), str(s.relationships), str(s.skipped),
                               now, now, str(s.loads), _q("KGSource")]) + "\n")
    args.append(f"--nodes={path}")
    path = folder / "relationships.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(":START_ID,:END_ID,:TYPE,sources:string[],source_confidence:double[],evidence_count:long,"
                 "confidence:double,created_at:datetime,updated_at:datetime\n")
        for (rel_type, head, tail), rel in image.rels.items():
            if rel_type not in RELATION_TYPES:  # the MERGE path's allow-list, here too
                raise BulkLoadError(f"relationship type {rel_type!r} is not allow-listed")
            where = f"relationship {head[:40]!r}-[{rel_type}]->{tail[:40]!r}"
            fh.write(",".join([_q(head), _q(tail), rel_type, _array(rel.sources, where),
                               _array((repr(c) for c in rel.confidences), where), str(len(rel.sources)),
                               repr(rel.confidence), now, now]) + "\n")
            tick(1)
    args.append(f"--relationships={path}")
    return args


def _require_empty(server: LocalNeo4j) -> None:
    """Refuse a database with any node; a server that never created its ``neo4j`` store is empty as it is."""
    was_running = server.status().running
    if not was_running and not (server.data_dir / "databases" / "neo4j").exists():
        return
    server.start()
    with GraphClient(server.uri, server.auth) as client:
        nodes = client.read("internal/count_all_nodes")[0]["nodes"]
    if nodes:
        if not was_running:
            server.stop()
        raise BulkLoadError(f"--bulk needs an empty database, and {server.uri} holds {nodes:,} nodes: load "
                            "into it without --bulk (the MERGE path merges into what is there)")


def _run_import(server: LocalNeo4j, files: list[str], log_path: Path, heap: str,
                stage: Callable[[int], None]) -> tuple[int, int]:
    """Run ``neo4j-admin database import full`` on the stopped server's store.

    Returns:
        The importer's exit code and its peak resident memory in bytes (sampled every 0.2 s).
    """
    conf = server.home / "conf"
    conf.mkdir(exist_ok=True)
    (conf / "neo4j.conf").touch()
    env = {**os.environ, "NEO4J_HOME": str(server.home), "NEO4J_CONF": str(conf)}
    cmd = [_java_executable(), f"-Xmx{heap}", "-cp", os.pathsep.join(str(p) for p in server.build()), ADMIN_TOOL,
           "database", "import", "full", "neo4j", *files, "--overwrite-destination=true",
           "--array-delimiter=U+001F", "--multiline-fields=true", "--high-parallel-io=on",
           f"--report-file={log_path.with_suffix('.report')}"]
    done, peak = 0, [0]
    with log_path.open("w", encoding="utf-8") as log, subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=server.home) as proc:
        stop = threading.Event()
        sampler = threading.Thread(target=_sample_rss, args=(proc.pid, stop, peak), daemon=True)
        sampler.start()
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            match = _STAGE.match(line)
            if match and int(match.group(1)) > done:
                stage(int(match.group(1)) - done)
                done = int(match.group(1))
        code = proc.wait()
        stop.set()
        sampler.join()
    return code, peak[0]


def _sample_rss(pid: int, stop: threading.Event, peak: list[int]) -> None:
    import psutil

    try:
        process = psutil.Process(pid)
        while not stop.wait(0.2):
            peak[0] = max(peak[0], process.memory_info().rss)
    except psutil.Error:  # the importer has exited
        return


def _no_progress(description: str, total: int) -> Callable[[int], None]:
    return lambda advance: None


def bulk_load(server: LocalNeo4j, sources: Sequence[tuple[str | Path | None, LoadConfig]], *,
              progress: ProgressFactory | None = None, heap: str = "2g") -> BulkResult:
    """Load KG sources into the empty database of the embedded server with the offline importer.

    Args:
        server: The embedded server (stopped during the import, running afterwards).
        sources: (path, config) per source, in load order (``None`` path: the installed CMeKG).
        progress: ``progress(description, total)`` returns a callback taking the units just done.
        heap: The importer's Java heap.

    Raises:
        KGLoadError, CMeKGRefused, FileNotFoundError: A source is bad; nothing was touched.
        BulkLoadError: The database holds data (nothing touched), or the importer failed (its log is
            named; the server is left stopped, ``medkg db start`` brings it back).
    """
    make_bar = progress or _no_progress
    started = time.perf_counter()
    parsed = []
    for path, config in sources:
        resolved = resolve_path(path, config.format)
        kg = parse_kg(resolved, config)
        parsed.append((kg, config, file_digests(kg.files)))
    image = graph_image(parsed)
    parse_done = time.perf_counter()
    _require_empty(server)
    server.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    logs = server.home / "logs"
    logs.mkdir(exist_ok=True)
    log_path = logs / f"bulk-import-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.log"
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with tempfile.TemporaryDirectory(prefix="medkg-bulk-", dir=server.home) as tmp:
        files = _write_csv(Path(tmp), image, now, make_bar("CSV files", len(image.nodes) + len(image.rels)))
        csv_done = time.perf_counter()
        server.stop()
        stopped = time.perf_counter()
        code, peak_rss = _run_import(server, files, log_path, heap, make_bar("neo4j-admin import", 4))
        import_done = time.perf_counter()
    if code != 0:
        raise BulkLoadError(f"neo4j-admin database import failed (exit code {code}); its log: {log_path}. "
                            "The server is stopped; `medkg db start` brings it back.")
    server.start()
    restarted = time.perf_counter()
    with GraphClient(server.uri, server.auth) as client:
        client.apply_schema()
        client.run("internal/fill_empty_aliases")
    finished = time.perf_counter()
    rel_seconds = import_done - stopped
    return BulkResult(
        sources=[{"source": kg.source, "format": config.format, "files": files_, "units_read": kg.units,
                  "units_skipped": len(kg.errors), "names_cleaned": kg.names_cleaned,
                  "errors": [str(e) for e in kg.errors[:20]],
                  "format_summary": kg.summary} for kg, config, files_ in parsed],
        concepts=dict(sorted(Counter(n.label for n in image.nodes.values()).items())),
        relationships=dict(sorted(Counter(k[0] for k in image.rels).items())),
        nodes_imported=len(image.nodes) + len(image.sources), relationships_imported=len(image.rels),
        dropped_relationships=image.dropped_relationships,
        seconds={"parse": round(parse_done - started, 3), "csv": round(csv_done - parse_done, 3),
                 "stop": round(stopped - csv_done, 3), "import": round(import_done - stopped, 3),
                 "start": round(restarted - import_done, 3), "schema": round(finished - restarted, 3),
                 "total": round(finished - started, 3)},
        rates={"relationships_per_s_import": round(len(image.rels) / rel_seconds, 1) if rel_seconds else 0.0,
               "relationships_per_s_overall": round(len(image.rels) / (finished - started), 1)},
        memory_mb={"python_peak_rss": round(_self_peak_kb() / 1024, 1),
                   "importer_peak_rss": round(peak_rss / 2**20, 1)},
        import_log=str(log_path),
    )


def _self_peak_kb() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
