"""Writing KGE vectors to concept nodes, and the ``(:EmbeddingRun)`` records: :func:`store_embeddings`.

Write-back is atomic for readers (the choice documented here). First an
``(:EmbeddingRun {id, model, property, dim, epochs, metrics, config, relation_vectors,
relation_offsets, fold_in, created_at, status: 'writing'})`` node is merged (JSON strings hold the
metrics, the resolved config and, per relation type, the relation vector and the entity-space offset
that fold-in uses). Then, batches of ``UNWIND $rows`` keyed by ``MATCH (c:Concept {id: row.id})``:

- **single transaction** (default up to ``StoreConfig.single_transaction_max`` concepts): every
  batch goes straight into ``kge_<model>`` (with ``kge_<model>_run``) inside ONE managed write
  transaction that ends with ``internal/finish_kge_run``: vectors of other runs are removed, the
  previous 'done' run becomes 'superseded', this run 'done'. It commits whole or not at all.
- **staged** (larger graphs, whose vectors would not fit one transaction's memory): each batch is
  its own transaction writing ``kge_<model>_staging``/``kge_<model>_staging_run``, which no reader
  looks at; then one transaction publishes them into ``kge_<model>`` (``internal/publish_kge_run``)
  and finishes the run the same way.

Either way a reader sees the old run or the new one, never a mix; if anything fails, the run is
marked 'failed', staged vectors are removed and the live vectors are untouched. A node's
``kge_<model>_run`` always names the run its vector came from. One writer per property at a time:
a run that starts marks runs still 'writing' as abandoned.

Example:
    >>> run_id, write = store_embeddings(client, result)  # doctest: +SKIP
    >>> write.nodes_per_s  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from neo4j import ManagedTransaction, unit_of_work
from pydantic import Field

from core.config import FrozenConfig
from core.progress import ProgressFactory
from embeddings.registry import resolve_model
from graph.db.connection import GraphClient, chunks
from graph.db.queries import query

if TYPE_CHECKING:
    from embeddings.result import EmbeddingResult

__all__ = [
    "EmbeddingStoreError",
    "LiveRun",
    "PropertyNames",
    "RunRecord",
    "StoreConfig",
    "WriteSummary",
    "check_property_name",
    "list_runs",
    "live_run",
    "new_run_id",
    "property_name",
    "store_embeddings",
]


#: ``kge_`` + a lower-case identifier: the only shape of a vector property this package writes or reads.
_PROPERTY = re.compile(r"^kge_[a-z][a-z0-9_]{0,39}$")


class EmbeddingStoreError(RuntimeError):
    """The graph is not in a state an embedding operation needs (no relationships, no run, ...)."""


class StoreConfig(FrozenConfig):
    """How vectors are written to the graph."""

    property: str | None = None
    """Node property of the vectors; default ``kge_<model>`` (must be ``kge_`` + an identifier)."""

    batch_size: int = Field(default=5000, ge=1, le=100_000)
    """Concepts per ``UNWIND`` statement."""

    single_transaction_max: int = Field(default=200_000, ge=0)
    """Up to this many concepts, write all batches in one transaction; above it, stage and publish."""

    index_timeout_s: int = Field(default=600, ge=1)
    """How long to wait for the vector index to come online."""


def check_property_name(prop: str) -> str:
    """Validate a vector property name: ``kge_`` plus a lower-case identifier.

    Property names are pasted into schema statements (a vector index cannot name its property by
    parameter), so only names of this shape ever reach Cypher.

    Raises:
        ValueError: the name is not of that shape.
    """
    if not isinstance(prop, str) or not _PROPERTY.match(prop):
        raise ValueError(f"not a valid embedding property name: {prop!r} (expected kge_<lower-case identifier>)")
    return prop


def property_name(model: str) -> str:
    """``kge_<model key>`` for a model name (resolved, so aliases give the same property).

    Raises:
        embeddings.registry.UnknownModelError: ``model`` names no KGE model.
    """
    return check_property_name(f"kge_{resolve_model(model).key}")


@dataclass(frozen=True)
class PropertyNames:
    """The node properties and the index of one embedding property, all derived from a validated name."""

    value: str

    def __post_init__(self) -> None:
        check_property_name(self.value)

    @classmethod
    def for_model(cls, model: str, prop: str | None = None) -> PropertyNames:
        """Names for ``prop``, or for ``kge_<model key>``."""
        return cls(check_property_name(prop) if prop is not None else property_name(model))

    @property
    def run(self) -> str:
        """Run id of each node's vector."""
        return f"{self.value}_run"

    @property
    def folded(self) -> str:
        """True on vectors made by fold-in."""
        return f"{self.value}_folded"

    @property
    def staging(self) -> str:
        """Vectors being written by an unpublished run."""
        return f"{self.value}_staging"

    @property
    def staging_run(self) -> str:
        """Run id of staged vectors."""
        return f"{self.value}_staging_run"

    @property
    def index(self) -> str:
        """Name of the cosine vector index."""
        return f"concept_{self.value}"

    def params(self) -> dict[str, Any]:
        """The names as Cypher parameters (typed ``Any`` as the driver's ``**kwparameters`` are)."""
        return {"property": self.value, "run_property": self.run, "folded": self.folded,
                "staging": self.staging, "staging_run": self.staging_run}


@dataclass(frozen=True)
class WriteSummary:
    """What a write-back did."""

    mode: str
    """``single_transaction`` or ``staged``."""
    nodes: int
    """Concepts that received a vector."""
    missing: int
    """Trained entities not found in the graph any more (deleted since the export)."""
    cleared: int
    """Vectors of earlier runs removed from concepts this run has no vector for."""
    superseded: int
    batches: int
    seconds: float
    nodes_per_s: float


@dataclass(frozen=True)
class LiveRun:
    """The 'done' run whose vectors a property holds."""

    id: str
    model: str
    dim: int
    nodes: int | None
    relation_offsets: dict[str, list[float]] | None
    """Entity-space offset per relation type (fold-in), ``None`` for models without fold-in."""
    fold_in: dict[str, Any] | None
    """The model's entity constraint (``embeddings.foldin.EntityConstraint`` fields)."""


@dataclass(frozen=True)
class RunRecord:
    """One ``(:EmbeddingRun)`` node."""

    id: str
    model: str
    property: str
    dim: int
    epochs: int
    epochs_trained: int | None
    status: str
    nodes: int | None
    metrics: dict[str, Any]
    config: dict[str, Any]
    created_at: str
    finished_at: str | None
    error: str | None


def live_run(client: GraphClient, names: PropertyNames) -> LiveRun | None:
    """The live run of a property, or ``None`` when no run has finished."""
    rows = client.read("internal/latest_embedding_run", property=names.value)
    if not rows:
        return None
    row = rows[0]
    offsets = json.loads(row["relation_offsets"]) if row["relation_offsets"] else None
    fold_in = json.loads(row["fold_in"]) if row["fold_in"] else None
    return LiveRun(row["id"], row["model"], int(row["dim"]), row["nodes"], offsets, fold_in)


def list_runs(client: GraphClient, prop: str | None = None) -> list[RunRecord]:
    """Every embedding run (of one property, if given), newest first."""
    if prop is not None:
        check_property_name(prop)
    rows = client.read("internal/list_embedding_runs", property=prop)
    return [RunRecord(r["id"], r["model"], r["property"], r["dim"], r["epochs"], r["epochs_trained"], r["status"],
                      r["nodes"], json.loads(r["metrics"] or "{}"), json.loads(r["config"] or "{}"),
                      str(r["created_at"]), str(r["finished_at"]) if r["finished_at"] else None, r["error"])
            for r in rows]


def new_run_id(key: str) -> str:
    """A sortable, unique run id: ``<model>-<UTC time>-<random>``."""
    return f"{key}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _run_params(result: EmbeddingResult, names: PropertyNames, run_id: str) -> dict[str, Any]:
    offsets = None
    if result.relation_offsets is not None:
        offsets = json.dumps({r: v.tolist() for r, v in zip(result.relations, result.relation_offsets, strict=True)})
    metrics = {"evaluation": result.evaluation.to_dict() if result.evaluation else None,
               "training": asdict(result.training), "split": asdict(result.split), "timings": result.timings,
               "losses": result.losses}
    return {
        "id": run_id, "model": result.model, "property": names.value, "dim": result.dim,
        "epochs": result.config["epochs"], "epochs_trained": result.training.epochs_trained,
        "config": json.dumps(result.config), "metrics": json.dumps(metrics, ensure_ascii=False),
        "relation_vectors": json.dumps({r: v.tolist() for r, v in result.relation_embeddings.items()},
                                       ensure_ascii=False),
        "relation_offsets": offsets,
        "fold_in": json.dumps(asdict(result.constraint)) if result.constraint else None,
        "versions": json.dumps(result.versions), "triples": result.split.triples,
        "triples_sha256": result.triples_sha256, "entities": len(result.entities),
    }


def _rows(result: EmbeddingResult) -> Iterator[dict[str, Any]]:
    vectors = result.entity_vectors.astype(np.float64).tolist()  # one C-level conversion, not one per row
    for entity, vector in zip(result.entities, vectors, strict=True):
        yield {"id": entity, "vector": vector}


def _finish(tx: ManagedTransaction, run_id: str, names: PropertyNames, nodes: int) -> dict[str, Any]:
    rows = [r.data() for r in tx.run(query("internal/finish_kge_run"), run_id=run_id, nodes=nodes, **names.params())]
    if not rows:  # raising inside the transaction function rolls the whole transaction back
        raise EmbeddingStoreError(f"run {run_id} was no longer 'writing' when it finished "
                                  "(another run of this property started meanwhile)")
    return rows[0] | {"nodes": nodes}


def _single_transaction(client: GraphClient, result: EmbeddingResult, names: PropertyNames, run_id: str,
                        batch_size: int, bar: Callable[[int], None] | None) -> tuple[dict[str, Any], int]:
    text = query("internal/write_kge_vectors")
    batches = list(chunks(_rows(result), batch_size))

    @unit_of_work(metadata=client.metadata("internal/write_kge_vectors", run=run_id, batches=len(batches)))
    def work(tx: ManagedTransaction) -> dict[str, Any]:
        written = 0
        for batch in batches:
            written += tx.run(text, {"rows": batch, "run_id": run_id, **names.params()}).single(strict=True)[0]
            if bar is not None:
                bar(len(batch))
        return _finish(tx, run_id, names, written)

    with client.session() as session:
        return session.execute_write(work), len(batches)


def _staged(client: GraphClient, result: EmbeddingResult, names: PropertyNames, run_id: str,
            batch_size: int, bar: Callable[[int], None] | None) -> tuple[dict[str, Any], int]:
    batches = client.write_batches("internal/write_kge_staging", _rows(result), batch_size=batch_size,
                                   params={"run_id": run_id, **names.params()}, on_batch=bar).batches
    publish = query("internal/publish_kge_run")

    @unit_of_work(metadata=client.metadata("internal/publish_kge_run", run=run_id))
    def work(tx: ManagedTransaction) -> dict[str, Any]:
        written = tx.run(publish, run_id=run_id, **names.params()).single(strict=True)[0]
        return _finish(tx, run_id, names, written)

    with client.session() as session:
        return session.execute_write(work), batches


def store_embeddings(client: GraphClient, result: EmbeddingResult, config: StoreConfig | None = None,
                     progress: ProgressFactory | None = None) -> tuple[str, WriteSummary]:
    """Write an :class:`embeddings.EmbeddingResult` into concept nodes, atomically for readers.

    The vector index is not touched here (``graph.kge.index.ensure_vector_index``).

    Returns:
        The run id and the write summary.

    Raises:
        ValueError: the property name is not ``kge_`` + an identifier.
        EmbeddingStoreError: the run could not finish (nothing of it is visible).
    """
    config = config or StoreConfig()
    names = PropertyNames.for_model(result.model, config.property)
    run_id = new_run_id(result.key)
    started = time.perf_counter()
    client.run("internal/reset_kge_staging", run_id=run_id, **names.params())
    client.write("internal/merge_embedding_run", **_run_params(result, names, run_id))
    single = len(result.entities) <= config.single_transaction_max
    try:
        bar = progress("write-back", len(result.entities)) if progress else None
        write = _single_transaction if single else _staged
        done, batches = write(client, result, names, run_id, config.batch_size, bar)
    except BaseException as exc:
        _abort(client, run_id, names, exc)
        raise
    seconds = time.perf_counter() - started
    nodes = done["nodes"]
    return run_id, WriteSummary("single_transaction" if single else "staged", nodes, len(result.entities) - nodes,
                                done["cleared"], done["superseded"], batches, round(seconds, 3),
                                round(nodes / seconds, 1) if nodes else 0.0)


def _abort(client: GraphClient, run_id: str, names: PropertyNames, exc: BaseException) -> None:
    try:
        client.write("internal/fail_embedding_run", run_id=run_id, error=f"{type(exc).__name__}: {exc}"[:2000])
        client.run("internal/reset_kge_staging", run_id=run_id, **names.params())
    except Exception:  # the original error is what the caller needs to see
        pass
