"""KG embeddings from the graph and back: :func:`train_graph_embeddings` (``medkg embed train``).

1. **Export** every ``(:Concept)-[r]->(:Concept)`` as ``(head id, type, tail id)`` by business key,
   streamed in one read transaction (``internal/stream_kge_triples``); never by element id.
2. **Train** with :func:`embeddings.train_embeddings` (the pure library: split, early stopping,
   filtered metrics against the popularity baseline).
3. **Write back** with :func:`graph.kge.store.store_embeddings`: vectors into
   ``kge_<model>`` with ``kge_<model>_run``, atomically for readers, recorded on an
   ``(:EmbeddingRun)`` node (see that module for the staging/single-transaction choice).
4. **Index**: the cosine vector index ``concept_kge_<model>`` is created, or dropped and recreated
   when the dimension changed (:func:`graph.kge.index.ensure_vector_index`).

Concepts with no relationship to another concept get no vector (``ExportSummary.isolated``);
concepts created after a run get one from ``medkg embed refresh`` (``graph.kge.refresh``).

Retraining on a schedule is a cron line (or an APScheduler job calling this function), e.g.::

    # every Sunday 03:00: retrain TransE; every 15 minutes: fold in concepts created since
    0 3 * * 0    cd /srv/medkg && .venv/bin/medkg embed train --model TransE --epochs 100 --json >>embed.log 2>&1
    */15 * * * * cd /srv/medkg && .venv/bin/medkg embed refresh --model TransE --json >>embed.log 2>&1

Example:
    >>> result = train_graph_embeddings(client, KGEConfig(model="TransE", dim=100))  # doctest: +SKIP
    >>> result.run_id, result.write.nodes_per_s  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import neo4j
from neo4j import ManagedTransaction, unit_of_work

from core.progress import ProgressFactory
from embeddings.config import KGEConfig
from graph.about import git_hash, medkg_version
from graph.db.connection import GraphClient
from graph.db.queries import query
from graph.kge.index import IndexSummary, ensure_vector_index
from graph.kge.store import EmbeddingStoreError, PropertyNames, StoreConfig, WriteSummary, store_embeddings

if TYPE_CHECKING:
    from embeddings.result import EmbeddingResult

__all__ = ["ExportSummary", "GraphEmbeddingResult", "export_triples", "train_graph_embeddings"]



@dataclass(frozen=True)
class ExportSummary:
    """What was exported from the graph."""

    triples: int
    concepts: int
    isolated: int
    """Concepts with no relationship to another concept: they get no vector."""
    seconds: float


@dataclass
class GraphEmbeddingResult:
    """One ``medkg embed train``: export, training summary, write-back and index."""

    run_id: str
    model: str
    property: str
    status: str
    export: ExportSummary
    training: dict[str, Any]
    """:meth:`embeddings.EmbeddingResult.to_dict` (metrics, losses, split, timings, config, versions)."""
    write: WriteSummary
    index: IndexSummary
    seconds: dict[str, float]
    version: str = field(default_factory=medkg_version)
    git_hash: str | None = field(default_factory=git_hash)
    embedding: EmbeddingResult | None = field(default=None, repr=False, compare=False)
    """The training result with the vectors (not part of :meth:`to_dict`)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (without the vectors)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name != "embedding"}

    def save(self, folder: str | Path) -> Path:
        """Write ``graph_run.json`` and the training result (``result.json``, ``vectors.npz``) to ``folder``."""
        folder = Path(folder)
        if self.embedding is not None:
            self.embedding.save(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "graph_run.json").write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1),
                                               encoding="utf-8")
        return folder


def _plain(value: Any) -> Any:
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value


def export_triples(client: GraphClient) -> list[tuple[str, str, str]]:
    """Every concept-to-concept relationship as ``(head id, type, tail id)``, in one read transaction.

    Records are consumed as they stream in (no list of record dicts in between).
    """
    text = query("internal/stream_kge_triples")

    @unit_of_work(metadata=client.metadata("internal/stream_kge_triples"))
    def work(tx: ManagedTransaction) -> list[tuple[str, str, str]]:
        return [(record[0], rel, tail) for record in tx.run(text) for rel, tail in record[1]]

    with client.session(default_access_mode=neo4j.READ_ACCESS) as session:
        return session.execute_read(work)


def _export(client: GraphClient) -> tuple[list[tuple[str, str, str]], ExportSummary]:
    started = time.perf_counter()
    counts = client.read("internal/count_kge_concepts")[0]
    triples = export_triples(client)
    summary = ExportSummary(len(triples), counts["concepts"], counts["isolated"],
                            round(time.perf_counter() - started, 3))
    if not triples:
        raise EmbeddingStoreError(
            f"nothing to train on: the graph holds {counts['concepts']} concepts and no relationships between "
            "them; load a KG first (medkg kg load)")
    return triples, summary


def train_graph_embeddings(client: GraphClient, config: KGEConfig | None = None,
                           store: StoreConfig | None = None,
                           progress: ProgressFactory | None = None) -> GraphEmbeddingResult:
    """Export the graph's triples, train a KGE model, write the vectors back and index them.

    Validation (model name, property name) happens before anything is read or written; a failure
    during export or training writes nothing, and a failure during write-back leaves the live
    vectors as they were.

    Raises:
        UnknownModelError: the model name resolves to nothing.
        ValueError: the property name is not ``kge_`` + an identifier.
        EmbeddingStoreError: the graph has no relationships between concepts.
    """
    from embeddings.train import train_embeddings  # torch and pykeen load only when training

    config = config or KGEConfig()
    store = store or StoreConfig()
    names = PropertyNames.for_model(config.model, store.property)
    started = time.perf_counter()
    triples, export = _export(client)
    result = train_embeddings(triples, config, progress=progress)
    trained = time.perf_counter()
    run_id, write = store_embeddings(client, result, store.model_copy(update={"property": names.value}), progress)
    index = ensure_vector_index(client, names, result.dim, store.index_timeout_s)
    finished = time.perf_counter()
    seconds = {"export": export.seconds, "train": round(trained - started - export.seconds, 3),
               "write_back": write.seconds, "index": index.seconds, "total": round(finished - started, 3)}
    return GraphEmbeddingResult(run_id, result.model, names.value, "done", export, result.to_dict(), write, index,
                                seconds, embedding=result)
