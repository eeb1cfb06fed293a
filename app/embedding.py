"""KG embeddings as ``medkg embed train`` and ``medkg embed import`` make them: graph, model, vectors and files.

:func:`train_from_graph` checks the model and property names, opens the graph, trains (the export, training,
write-back and index of :func:`graph.kge.workflow.train_graph_embeddings`) and saves the result folder when
asked; :func:`import_vector_file` reads a vector file and stores it as the graph's live run. Each reads its
input before it opens the graph, so bad input is refused without a server.

Example:
    >>> from embeddings.config import KGEConfig
    >>> from graph.kge.store import StoreConfig
    >>> train_from_graph(KGEConfig(model="TransE", dim=50), StoreConfig(), save=Path("run"))  # doctest: +SKIP
    {'run_id': ..., 'saved_to': 'run'}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.progress import ProgressFactory
from embeddings.config import KGEConfig
from extractor.kge_quick import load_kg_vectors
from graph.db.connection import GraphClient
from graph.kge.imports import import_kg_vectors
from graph.kge.store import PropertyNames, StoreConfig
from graph.kge.workflow import train_graph_embeddings

__all__ = ["import_vector_file", "train_from_graph"]


def train_from_graph(config: KGEConfig, store: StoreConfig, *, save: Path | None = None,
                     progress: ProgressFactory | None = None) -> dict[str, Any]:
    """Train embeddings of the graph's triples, write them into the graph, and save the result if asked.

    Args:
        config: The model and its training.
        store: How the vectors are written (the property: ``kge_<model>`` unless given).
        save: A folder for the training result (``graph_run.json``, ``result.json``, ``vectors.npz``).
        progress: ``progress(description, total)`` returns a callback taking the units just done.

    Returns:
        The run's :meth:`~graph.kge.workflow.GraphEmbeddingResult.to_dict`, with ``saved_to`` when ``save``
        is given.

    Raises:
        UnknownModelError, ValueError: The model or the property name is unknown or malformed (before the graph
            is opened).
        EmbeddingStoreError, EmptyTriplesError: The graph has nothing to train on.
    """
    PropertyNames.for_model(config.model, store.property)
    with GraphClient.from_environment() as client:
        result = train_graph_embeddings(client, config, store, progress=progress)
    payload = result.to_dict()
    if save is not None:
        payload["saved_to"] = str(result.save(save))
    return payload


def import_vector_file(path: Path, model: str = "TransE", prop: str | None = None) -> dict[str, Any]:
    """Store a KG vector file (``.npz``: ids, vectors, run) as the graph's live run of ``prop``.

    Args:
        path: The file (e.g. from ``kge-vectors``).
        model: The model whose default property (``kge_<model>``) receives the vectors.
        prop: Another property (``kge_`` + an identifier).

    Returns:
        What :func:`graph.kge.imports.import_kg_vectors` reports (``run_id``, counts).

    Raises:
        OSError, ValueError: The file cannot be read or is not a vector file (before the graph is opened), or
            the property name is malformed.
        EmbeddingStoreError: The file is empty, or none of its concept ids is in the graph.
    """
    vectors = load_kg_vectors(path)
    with GraphClient.from_environment() as client:
        return import_kg_vectors(client, vectors, model, prop)
