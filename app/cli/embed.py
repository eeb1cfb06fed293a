"""``medkg embed``: train KG embeddings from the graph, fold in new concepts, query neighbours.

Each command is a thin wrapper over one entry function (``app.embedding``, ``graph.kge.refresh``,
``graph.kge.search``, ``graph.kge.store``) and follows the CLI's conventions
(``app.cli.common``): ``--json`` prints one JSON object on stdout, bad input exits 2, other failures 1.

Examples::

    medkg embed train --model TransE --dim 100 --epochs 100 --json
    medkg embed refresh --model TransE
    medkg embed neighbours 糖尿病 --k 10 --type Disease --json
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli.common import JsonFlag, emit, fail, kv_table, out

__all__ = ["embed_app"]

embed_app = typer.Typer(help="KG embeddings (TransE, TransH, TransR, ...) trained from and stored in the graph.",
                        no_args_is_help=True)

ModelOption = Annotated[str, typer.Option("--model", help="TransE, TransH, TransR or any pykeen model name.")]
PropertyOption = Annotated[str | None, typer.Option("--property", help="Vector property (default kge_<model>).")]


def _bad_input() -> tuple[type[BaseException], ...]:
    from pydantic import ValidationError

    from embeddings.triples import EmptyTriplesError
    from graph.kge.store import EmbeddingStoreError

    return (ValidationError, ValueError, LookupError, EmbeddingStoreError, EmptyTriplesError)


def _message(exc: BaseException) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "config"
        return f"invalid option: {where}: {first['msg']}"
    return str(exc)


@embed_app.command("train")
def train(
    model: ModelOption = "TransE",
    dim: Annotated[int, typer.Option(help="Embedding dimension.")] = 100,
    epochs: Annotated[int, typer.Option(help="Most epochs (early stopping may end sooner).")] = 100,
    learning_rate: Annotated[float | None, typer.Option("--lr", help="Adam learning rate.")] = None,
    negatives: Annotated[int | None, typer.Option(help="Negatives per positive triple.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Training triples per step.")] = None,
    loss: Annotated[str | None, typer.Option(help="nssa (self-adversarial) or margin (pairwise).")] = None,
    margin: Annotated[float | None, typer.Option(help="Margin of the loss (nssa: gamma).")] = None,
    sampler: Annotated[str | None, typer.Option("--negative-sampler", help="bernoulli or basic.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of split, initialisation and sampling.")] = None,
    threads: Annotated[int | None, typer.Option(help="Torch threads (1 is fastest on a busy machine).")] = None,
    sparse: Annotated[bool | None, typer.Option(
        "--sparse/--dense", help="Sparse entity gradients and lazy Adam (for a large KG) or dense ones.")] = None,
    early_stopping: Annotated[bool, typer.Option("--early-stopping/--no-early-stopping",
                                                 help="Stop on the validation MRR.")] = True,
    prop: PropertyOption = None,
    save: Annotated[Path | None, typer.Option(help="Also save the training result to this folder.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Export triples, train, write vectors into kge_<model>, index them; report metrics.

    Options left out take the defaults of ``embeddings.KGEConfig``.
    """
    from app.embedding import train_from_graph
    from app.progress import progress_bars
    from embeddings.config import EarlyStoppingConfig, KGEConfig
    from graph.kge.store import StoreConfig

    given = {"learning_rate": learning_rate, "negatives_per_positive": negatives, "batch_size": batch_size,
             "loss": loss, "margin": margin, "negative_sampler": sampler, "seed": seed, "threads": threads,
             "sparse": sparse}
    try:
        # options left unset take KGEConfig's defaults: they are written there and nowhere else
        config = KGEConfig(model=model, dim=dim, epochs=epochs,
                           early_stopping=EarlyStoppingConfig(enabled=early_stopping),
                           **{key: value for key, value in given.items() if value is not None})
        with progress_bars(not as_json) as bars:
            result = train_from_graph(config, StoreConfig(property=prop), save=save, progress=bars)
    except _bad_input() as exc:
        fail(_message(exc), code=2, as_json=as_json)
    emit(result, as_json, _train_render)


def _train_render(payload: dict[str, Any]) -> None:
    evaluation = payload["training"]["evaluation"]
    summary = {"run": payload["run_id"], "property": payload["property"], "index": payload["index"]["name"],
               "triples": payload["export"]["triples"], "nodes written": payload["write"]["nodes"],
               "write-back nodes/s": payload["write"]["nodes_per_s"],
               "epochs trained": payload["training"]["training"]["epochs_trained"],
               "seconds": payload["seconds"]["total"]}
    if evaluation:
        summary |= {"MRR": round(evaluation["model"]["both"]["mrr"], 4),
                    "Hits@10": round(evaluation["model"]["both"]["hits_at_10"], 4),
                    "baseline MRR": round(evaluation["baseline"]["both"]["mrr"], 4)}
    out.print(kv_table(f"embed train {payload['model']}", summary))


@embed_app.command("refresh")
def refresh(
    model: ModelOption = "TransE",
    prop: PropertyOption = None,
    rounds: Annotated[int, typer.Option(help="Fold-in rounds (new concepts next to new concepts).")] = 3,
    as_json: JsonFlag = False,
) -> None:
    """Give concepts that lack a vector one by fold-in from their embedded neighbours (no retraining)."""
    from app.progress import progress_bars
    from graph.db.connection import GraphClient
    from graph.kge.refresh import refresh_embeddings

    try:
        with GraphClient.from_environment() as client, progress_bars(not as_json) as bars:
            result = refresh_embeddings(client, model, prop, rounds=rounds, progress=bars)
    except _bad_input() as exc:
        fail(_message(exc), code=2, as_json=as_json)
    emit(result.to_dict(), as_json, lambda p: out.print(kv_table("embed refresh", p)))


@embed_app.command("neighbours")
def neighbours(
    name: Annotated[str, typer.Argument(help="Concept id (Disease:糖尿病) or exact name (糖尿病).")],
    k: Annotated[int, typer.Option("--k", help="How many neighbours.")] = 10,
    concept_type: Annotated[str | None, typer.Option("--type", help="Only concepts of this label.")] = None,
    model: ModelOption = "TransE",
    prop: PropertyOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Nearest concepts by the vector index of kge_<model>, with cosine scores."""
    from graph.db.connection import GraphClient
    from graph.kge.search import find_neighbours

    try:
        with GraphClient.from_environment() as client:
            result = find_neighbours(client, name, k=k, type=concept_type, model=model, prop=prop)
    except _bad_input() as exc:
        fail(_message(exc), code=2, as_json=as_json)
    emit(result.to_dict(), as_json, _neighbours_render)


def _neighbours_render(payload: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"neighbours of {payload['query']['id']} ({payload['property']})")
    for column in ("id", "name", "type", "score", "folded"):
        table.add_column(column)
    for row in payload["neighbours"]:
        table.add_row(row["id"], row["name"], row["type"] or "", f"{row['score']:.4f}", str(row["folded"]))
    out.print(table)


@embed_app.command("runs")
def runs(
    prop: PropertyOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Embedding runs (newest first) with status, dimension and test MRR."""
    from dataclasses import asdict

    from graph.db.connection import GraphClient
    from graph.kge.store import list_runs

    try:
        with GraphClient.from_environment() as client:
            found = list_runs(client, prop)
    except _bad_input() as exc:
        fail(_message(exc), code=2, as_json=as_json)
    emit({"runs": [asdict(run) for run in found]}, as_json, _runs_render)


def _runs_render(payload: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title="embedding runs")
    for column in ("id", "property", "dim", "status", "nodes", "test MRR", "baseline MRR"):
        table.add_column(column)
    for run in payload["runs"]:
        evaluation = (run["metrics"] or {}).get("evaluation") or {}
        mrr = evaluation.get("model", {}).get("both", {}).get("mrr")
        base = evaluation.get("baseline", {}).get("both", {}).get("mrr")
        table.add_row(run["id"], run["property"], str(run["dim"]), run["status"], str(run["nodes"]),
                      f"{mrr:.4f}" if mrr is not None else "", f"{base:.4f}" if base is not None else "")
    out.print(table)


@embed_app.command("import")
def import_vectors(
    path: Annotated[Path, typer.Argument(help="A KG vector file (.npz: ids, vectors, run), e.g. from kge-vectors.")],
    model: ModelOption = "TransE",
    prop: PropertyOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Store a vector file as the graph's live embedding run (so the tagger can fetch them by node)."""
    from app.embedding import import_vector_file
    from graph.kge.store import EmbeddingStoreError

    try:
        summary = import_vector_file(path, model, prop)
    except (OSError, ValueError, EmbeddingStoreError) as exc:
        fail(f"{path}: {exc}" if str(path) not in str(exc) else str(exc), code=2, as_json=as_json)
    emit(summary, as_json, lambda p: out.print(kv_table(f"imported {p['run_id']}", p)))
