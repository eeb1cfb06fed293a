"""Vectors for concepts created after a run, without retraining: ``medkg embed refresh``.

A concept without a vector gets one by **fold-in** from its relationships to concepts whose vector
comes from the live run (``embeddings.foldin``): for each ``(new)-[r]->(e)`` the estimate
``e - o_r``, for each ``(e)-[r]->(new)`` the estimate ``e + o_r``, averaged, then put into the
model's entity constraint. ``o_r`` is the relation's entity-space offset, read from the live
``(:EmbeddingRun)`` node's ``relation_offsets`` JSON (for TransE, ``o_r`` is the relation vector
``r``: "``h + r`` for tails, ``t - r`` for heads"). The vector is written with
``kge_<model>_run = <live run id>`` and ``kge_<model>_folded = true``.

Rounds: a new concept whose only neighbours are new too gets its vector in a later round, after its
neighbours got theirs (``rounds`` bounds this). Concepts with no relationship to an embedded concept,
and relationship types the run did not train on, contribute nothing. Fold-in is defined for the
translation models (TransE, TransH, TransR); other models raise :class:`FoldInUnsupportedError`.

Example:
    >>> refresh_embeddings(client, "TransE").folded  # doctest: +SKIP
    3
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from core.progress import ProgressFactory
from embeddings.foldin import EntityConstraint, Evidence, fold_in
from graph.db.connection import GraphClient
from graph.kge.store import EmbeddingStoreError, LiveRun, PropertyNames, live_run

__all__ = ["FoldInUnsupportedError", "RefreshResult", "refresh_embeddings"]



class FoldInUnsupportedError(ValueError):
    """The live run's model has no fold-in (not a translation model)."""


@dataclass(frozen=True)
class RefreshResult:
    """What one refresh did."""

    model: str
    property: str
    run_id: str
    folded: int
    """Concepts that received a fold-in vector."""
    rounds: int
    """Rounds that wrote something."""
    without_vector: int
    """Concepts still without a vector: no relationship (of a trained type) to an embedded concept."""
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


def _evidence(rows: list[dict[str, Any]], relation_ids: dict[str, int]) -> dict[str, list[Evidence]]:
    found: dict[str, list[Evidence]] = {}
    for row in rows:
        items = [Evidence(relation_ids[e["relation"]], e["direction"], np.asarray(e["vector"], dtype=np.float64))
                 for e in row["evidence"] if e["vector"] is not None]
        found[row["id"]] = items
    return found


def _round(client: GraphClient, names: PropertyNames, run: LiveRun, offsets: np.ndarray,
           relation_ids: dict[str, int], constraint: EntityConstraint, batch_size: int) -> tuple[int, int]:
    rows = client.read("internal/stream_kge_foldin_candidates", property=names.value, run_property=names.run,
                       run_id=run.id, relations=sorted(relation_ids))
    evidence = _evidence(rows, relation_ids)
    updates = []
    for concept, items in evidence.items():
        vector = fold_in(items, offsets, constraint)
        if vector is not None and len(vector) == run.dim and np.all(np.isfinite(vector)):
            updates.append({"id": concept, "vector": vector.tolist()})
    if updates:
        client.write_batches("internal/write_kge_foldin", updates, batch_size=batch_size,
                             params={"run_id": run.id, **names.params()})
    return len(updates), len(evidence) - len(updates)  # (written, still without a vector)


def refresh_embeddings(client: GraphClient, model: str = "TransE", prop: str | None = None, *,
                       rounds: int = 3, batch_size: int = 5000,
                       progress: ProgressFactory | None = None) -> RefreshResult:
    """Fold in every concept that lacks a vector of the live run of ``prop`` (default ``kge_<model>``).

    Idempotent: concepts that have a vector are never touched, so a second refresh writes nothing.

    Raises:
        UnknownModelError: the model name resolves to nothing.
        ValueError: ``prop`` is not ``kge_`` + an identifier, or ``rounds`` < 1.
        EmbeddingStoreError: no finished run for the property (train first).
        FoldInUnsupportedError: the run's model has no fold-in.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    names = PropertyNames.for_model(model, prop)
    run = live_run(client, names)
    if run is None:
        raise EmbeddingStoreError(f"no finished embedding run for {names.value}; run medkg embed train first")
    if run.relation_offsets is None or run.fold_in is None:
        raise FoldInUnsupportedError(f"fold-in is defined for TransE, TransH and TransR, not {run.model}; retrain")
    started = time.perf_counter()
    relation_ids = {r: i for i, r in enumerate(sorted(run.relation_offsets))}
    offsets = np.asarray([run.relation_offsets[r] for r in sorted(run.relation_offsets)], dtype=np.float64)
    constraint = EntityConstraint(**run.fold_in)
    bar = progress("fold-in rounds", rounds) if progress else None
    folded, done_rounds, remaining = 0, 0, 0
    for _ in range(rounds):
        written, remaining = _round(client, names, run, offsets, relation_ids, constraint, batch_size)
        if bar:
            bar(1)
        if not written:
            break
        folded += written
        done_rounds += 1
    if done_rounds == rounds:  # the last round wrote: count who is still left
        remaining = len(client.read("internal/stream_kge_foldin_candidates", property=names.value,
                                    run_property=names.run, run_id=run.id, relations=sorted(relation_ids)))
    return RefreshResult(run.model, names.value, run.id, folded, done_rounds, remaining,
                         round(time.perf_counter() - started, 3))
