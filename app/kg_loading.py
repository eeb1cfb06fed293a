"""The bulk KG load as ``medkg kg load --bulk`` runs it: the embedded server, its sources, the offline importer.

:func:`bulk_load_embedded` takes the sources as the command line names them (``PATH`` with its config, then
each ``--also FORMAT[=PATH]``), refuses a server named by ``NEO4J_URI`` (the importer writes the embedded
server's store files) and a malformed extra source before the server is touched, then hands them to
:func:`graph.kg.bulk.bulk_load`. A load through a running server (``medkg kg load`` without ``--bulk``) is
:func:`graph.kg.loader.load_kg` itself.

Example:
    >>> from graph.kg.loader import LoadConfig
    >>> also_source("cmekg", skip_invalid=False)[0] is None
    True
    >>> bulk_load_embedded(Path("data/sample/kg.tsv"), LoadConfig(format="triples"), ["cmekg"])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from core.progress import ProgressFactory
from graph.db.config import MedkgSettings, Neo4jTarget
from graph.db.server import LocalNeo4j
from graph.kg.bulk import BulkLoadError, BulkResult, bulk_load
from graph.kg.loader import LoadConfig
from kgmodel.formats import FORMATS

__all__ = ["also_source", "bulk_load_embedded"]


def also_source(spec: str, skip_invalid: bool) -> tuple[Path | None, LoadConfig]:
    """One extra source ``FORMAT`` or ``FORMAT=PATH`` (``cmekg`` alone reads the installed PyCMeKG).

    Args:
        spec: The source as ``--also`` gives it.
        skip_invalid: Whether its invalid records are skipped (as the first source's are).

    Raises:
        BulkLoadError: An unknown format, or a format other than ``cmekg`` without a path.
    """
    fmt, _, where = spec.partition("=")
    if fmt not in FORMATS:
        raise BulkLoadError(f"--also {spec!r}: unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if not where and fmt != "cmekg":
        raise BulkLoadError(f"--also {spec!r}: give the path as {fmt}=PATH")
    return Path(where) if where else None, LoadConfig(format=fmt, skip_invalid=skip_invalid)


def bulk_load_embedded(path: Path | None, config: LoadConfig, also: Sequence[str] = (), *,
                       progress: ProgressFactory | None = None) -> BulkResult:
    """Load ``path`` and then each ``also`` source into the empty database of the embedded server.

    Args:
        path: The first source (``None``: the installed PyCMeKG, for ``cmekg``).
        config: How to read the first source.
        also: Extra sources, ``FORMAT`` or ``FORMAT=PATH`` each (:func:`also_source`), in load order.
        progress: ``progress(description, total)`` returns a callback taking the units just done.

    Raises:
        BulkLoadError: ``NEO4J_URI`` names a server, an extra source is malformed (both before anything is
            read), the database holds data, or the importer failed.
        KGLoadError, CMeKGRefused, FileNotFoundError, LookupError: A source is bad; nothing was touched.
    """
    target = Neo4jTarget()
    if target.uri:
        raise BulkLoadError(f"--bulk writes the embedded server's store files and NEO4J_URI is set ({target.uri}): "
                            "load into that server without --bulk")
    sources: list[tuple[Path | None, LoadConfig]] = [(path, config)]
    sources += [also_source(spec, config.skip_invalid) for spec in also]
    return bulk_load(LocalNeo4j.from_settings(MedkgSettings()), sources, progress=progress)
