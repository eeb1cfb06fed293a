"""Vectors trained outside the graph (``medkg kge-vectors``) stored as an embedding run of the graph.

The tagger can be trained on a vector file made without a graph; for the watcher to fetch the same
vectors by linked node (``kg_source='graph'``), the graph needs them under the file's run id.
:func:`import_kg_vectors` writes them like a trained run (``(:EmbeddingRun)`` + ``kge_<model>`` and
``kge_<model>_run`` on each concept found, one transaction, the previous live run superseded) and
indexes them. Relation vectors are not in such files, so fold-in needs a run trained in the graph.

Example:
    >>> summary = import_kg_vectors(client, load_kg_vectors("transe.npz"), "TransE")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from typing import Any

from neo4j import ManagedTransaction, unit_of_work

from graph.db.connection import GraphClient, chunks
from graph.db.queries import query
from graph.kge.index import ensure_vector_index
from graph.kge.store import EmbeddingStoreError, PropertyNames

__all__ = ["import_kg_vectors"]


def import_kg_vectors(client: GraphClient, vectors: Any, model: str = "TransE",  # KgVectors
                      prop: str | None = None, batch_size: int = 5000) -> dict[str, Any]:
    """Store a :class:`extractor.kge_quick.KgVectors` as the live run of ``prop`` (default ``kge_<model>``).

    Raises:
        EmbeddingStoreError: The file is empty, or none of its concept ids is in the graph.
        ValueError: The property name is not ``kge_`` + an identifier.
    """
    names = PropertyNames.for_model(model, prop)
    if not vectors.vectors:
        raise EmbeddingStoreError("the vector file holds no vectors")
    started = time.perf_counter()
    run_id = str(vectors.run)
    client.write("internal/merge_embedding_run", id=run_id, model=model, property=names.value, dim=vectors.dim,
                 epochs=int(vectors.meta.get("epochs", 0) or 0), epochs_trained=int(vectors.meta.get("epochs", 0) or 0),
                 config=json.dumps({"imported": True}), metrics=json.dumps(vectors.meta, default=str),
                 relation_vectors=json.dumps({}), relation_offsets=None, fold_in=None,
                 versions=json.dumps({}), triples=int(vectors.meta.get("triples", 0) or 0),
                 triples_sha256=vectors.meta.get("triples_sha256"), entities=len(vectors.vectors))
    rows = [{"id": cid, "vector": vec.astype(float).tolist()} for cid, vec in vectors.vectors.items()]
    write, finish = query("internal/write_kge_vectors"), query("internal/finish_kge_run")

    @unit_of_work(metadata=client.metadata("internal/write_kge_vectors", run=run_id, imported=True))
    def work(tx: ManagedTransaction) -> dict[str, Any]:
        written = sum(tx.run(write, {"rows": batch, "run_id": run_id, **names.params()}).single(strict=True)[0]
                      for batch in chunks(rows, batch_size))
        if not written:
            raise EmbeddingStoreError(f"none of the {len(rows)} concept ids of run {run_id} is in the graph")
        done = tx.run(finish, run_id=run_id, nodes=written, **names.params()).single()
        if done is None:
            raise EmbeddingStoreError(f"run {run_id} was no longer 'writing' when it finished")
        return {"written": written, "cleared": done["cleared"], "superseded": done["superseded"]}

    try:
        with client.session() as session:
            outcome = session.execute_write(work)
    except BaseException as exc:
        client.write("internal/fail_embedding_run", run_id=run_id, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    index = ensure_vector_index(client, names, vectors.dim)
    return {"run_id": run_id, "property": names.value, "dim": vectors.dim, "vectors": len(rows),
            "not_in_graph": len(rows) - outcome["written"], **outcome, "index_seconds": index.seconds,
            "seconds": round(time.perf_counter() - started, 3)}
