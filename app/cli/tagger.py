"""``medkg pretrain``, ``medkg train``, ``medkg evaluate``, ``medkg kge-vectors``: the tagger commands.

Each parses its options into a request of :mod:`app.tagging.workflows`, calls that module's one function
for it and prints the result; the defaults are the requests'. A :class:`~app.tagging.workflows.TaggingInputError`
is reported with exit status 2. Heavy imports (torch, extractor) stay inside the workflows so `medkg --help`
stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from app.cli.common import JsonFlag, emit, fail
from app.progress import progress_bars
from app.tagging import workflows
from app.tagging.workflows import EvaluateRequest, KgeVectorsRequest, PretrainRequest, TaggingInputError, TrainRequest

__all__ = ["COMMANDS"]

def _render(payload: dict[str, Any]) -> None:
    table = Table(show_header=False)
    for key, value in payload.items():
        if key not in ("per_type", "errors"):
            table.add_row(str(key), json.dumps(value, ensure_ascii=False, default=str)[:200])
    Console().print(table)
    per_type = payload.get("per_type")
    if isinstance(per_type, dict):
        _print_scores("type", per_type)


def _print_scores(first: str, rows: dict[str, dict[str, Any]]) -> None:
    """One row of P/R/F1 and span counts per key of ``rows`` (``PRF.to_dict`` values)."""
    table = Table(first, "P", "R", "F1", "gold", "pred")
    for name, row in rows.items():
        table.add_row(name, f"{row['precision']:.4f}", f"{row['recall']:.4f}", f"{row['f1']:.4f}",
                      str(row["n_gold"]), str(row["n_pred"]))
    Console().print(table)


def _emit(payload: dict[str, Any], as_json: bool) -> None:
    emit(payload, as_json, _render)


def _fail(message: str, as_json: bool) -> NoReturn:
    fail(message, code=2, as_json=as_json)


def _say(as_json: bool) -> Callable[[str], None]:
    """Step messages on stderr, none with ``--json``."""
    return (lambda _m: None) if as_json else (lambda m: typer.echo(m, err=True))


def pretrain_command(
    kind: Annotated[str, typer.Option(help="emb: char+bigram skip-gram vectors; mlm: small char BERT; words: "
                                           "the SoftLexicon word lexicon (jieba + KG names, word2vec).")]
    = PretrainRequest.kind,
    out: Annotated[Path | None, typer.Option(help="Output file (emb, words: .npz) or folder (mlm).")] = None,
    steps: Annotated[int, typer.Option(help="Optimiser steps.")] = PretrainRequest.steps,
    max_seconds: Annotated[float, typer.Option(help="Wall-clock budget; mlm saves and can resume.")]
    = PretrainRequest.max_seconds,
    threads: Annotated[int, typer.Option(help="torch threads (1 leaves a core for others).")] = PretrainRequest.threads,
    resume: Annotated[bool, typer.Option(help="mlm: continue from the folder's last state.")] = PretrainRequest.resume,
    layers: Annotated[int, typer.Option(help="mlm: transformer layers.")] = PretrainRequest.layers,
    hidden: Annotated[int, typer.Option(help="mlm: hidden size.")] = PretrainRequest.hidden,
    heads: Annotated[int, typer.Option(help="mlm: attention heads.")] = PretrainRequest.heads,
    seq_len: Annotated[int, typer.Option(help="mlm: characters per window.")] = PretrainRequest.seq_len,
    batch_size: Annotated[int, typer.Option(help="mlm: windows per step.")] = PretrainRequest.batch_size,
    warmup: Annotated[int, typer.Option(help="mlm: learning-rate warm-up steps.")] = PretrainRequest.warmup,
    cmekg: Annotated[Path | None, typer.Option(help="words: also take CMeKG's names and aliases from this pickle.")]
    = None,
    word_dim: Annotated[int, typer.Option(help="words: word vector size.")] = PretrainRequest.word_dim,
    as_json: JsonFlag = False,
) -> None:
    """Pretrain character vectors, a small character BERT or word vectors on the medical text (never the test set)."""
    request = PretrainRequest(kind=kind, out=out, steps=steps, max_seconds=max_seconds, threads=threads,
                              resume=resume, layers=layers, hidden=hidden, heads=heads, seq_len=seq_len,
                              batch_size=batch_size, warmup=warmup, cmekg=cmekg, word_dim=word_dim)
    try:
        with progress_bars(not as_json) as bars:
            result = workflows.pretrain(request, progress=bars, say=_say(as_json))
    except TaggingInputError as exc:
        _fail(str(exc), as_json)
    _emit(result, as_json)


def kge_vectors_command(
    model: Annotated[str, typer.Option(help="TransE, TransH, TransR (pykeen, embeddings/) or quick (torch TransE).")]
    = KgeVectorsRequest.model,
    out: Annotated[Path | None, typer.Option(help="Output .npz (ids + vectors + run).")] = None,
    epochs: Annotated[int, typer.Option(help="Most epochs (pykeen models stop early on validation MRR).")]
    = KgeVectorsRequest.epochs,
    dim: Annotated[int, typer.Option(help="Vector size.")] = KgeVectorsRequest.dim,
    seed: Annotated[int, typer.Option(help="Seed of split, initialisation and sampling.")] = KgeVectorsRequest.seed,
    source: Annotated[Path | None, typer.Option(help="KG file or folder; default: the xywy KG in the data dir.")]
    = None,
    fmt: Annotated[str, typer.Option("--format", help="Format of --source: xywy, qasystem or triples.")]
    = KgeVectorsRequest.fmt,
    cmekg: Annotated[Path | None, typer.Option(help="Add CMeKG's triples (this cmekg.pkl): the merged KG.")] = None,
    max_test_triples: Annotated[int | None, typer.Option(
        help="Evaluate link prediction on at most this many test triples (a seeded sample).")] = None,
    batch_size: Annotated[int | None, typer.Option(
        help="Training triples per step (default 1024); larger is much faster on a large KG.")] = None,
    learning_rate: Annotated[float | None, typer.Option(help="Adam learning rate (default 0.002).")] = None,
    sparse: Annotated[bool, typer.Option(
        "--sparse/--dense", help="Sparse entity gradients and lazy Adam (each step moves only its batch's "
        "entities; for a large KG such as the merged one) or pykeen's dense ones.")] = KgeVectorsRequest.sparse,
    as_json: JsonFlag = False,
) -> None:
    """KG vectors of a KG source (default: the xywy KG) as a file for tagger training, without a graph.

    The pykeen models are trained by ``embeddings.train_embeddings``, the same code ``medkg embed train``
    runs against the graph; ``quick`` is the small torch TransE kept for comparison.
    """
    request = KgeVectorsRequest(model=model, out=out, epochs=epochs, dim=dim, seed=seed, source=source, fmt=fmt,
                                cmekg=cmekg, max_test_triples=max_test_triples, batch_size=batch_size,
                                learning_rate=learning_rate, sparse=sparse)
    try:
        with progress_bars(not as_json) as bars:
            result = workflows.kge_vectors(request, progress=bars)
    except TaggingInputError as exc:
        _fail(str(exc), as_json)
    _emit(result, as_json)


def train_command(
    out: Annotated[Path, typer.Option(help="Checkpoint folder.")],
    train: Annotated[list[Path] | None, typer.Option(
        help="CCKS-format training file(s); repeat the option. Without it: the default model from scratch "
             "(pretraining, word lexicon, KG vectors, the tagger on the CCKS 2019, CCKS 2017 and CMeEE training "
             "records, the relation model on CMeIE, registration of both for the watcher).")]
    = None,
    config: Annotated[Path | None, typer.Option(help="TaggerConfig JSON (or a checkpoint's config.json).")] = None,
    pretrained: Annotated[Path | None, typer.Option(help="Char/bigram vectors .npz (medkg pretrain).")] = None,
    kg_vectors: Annotated[Path | None, typer.Option(help="KG vectors .npz (ids + vectors).")] = None,
    kg: Annotated[bool | None, typer.Option("--kg/--no-kg", help="KG fusion.")] = None,
    bioes: Annotated[bool | None, typer.Option("--bioes/--no-bioes", help="Gazetteer BIOES feature.")] = None,
    category: Annotated[bool | None, typer.Option("--category/--no-category", help="Category feature.")] = None,
    semantic: Annotated[bool | None, typer.Option("--semantic/--no-semantic", help="Bigram feature.")] = None,
    lexicon: Annotated[bool | None, typer.Option("--lexicon/--no-lexicon",
                                                 help="Training-record entity lexicon feature.")] = None,
    word_lexicon: Annotated[Path | None, typer.Option(
        help="SoftLexicon word features from this word lexicon .npz (medkg pretrain --kind words).")] = None,
    cmekg: Annotated[Path | None, typer.Option(
        help="Gazetteer over the xywy + CMeKG names (this cmekg.pkl), with CMeKG's labels as categories.")] = None,
    lstm_layers: Annotated[int | None, typer.Option(help="BiLSTM layers.")] = None,
    lstm_hidden: Annotated[int | None, typer.Option(help="BiLSTM size per direction.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Maximum epochs.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Windows per step.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (split, init, batches).")] = None,
    threads: Annotated[int | None, typer.Option(help="torch threads (0: default).")] = None,
    max_seconds: Annotated[float | None, typer.Option(
        help="Stop after the epoch crossing this (default model: the tagger's budget, in place of the "
             "recipe's 1 h 55 min in all).")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from OUT/trainer_state.pt.")] = TrainRequest.resume,
    register: Annotated[bool, typer.Option("--register/--no-register",
                                           help="Default model: register it as the watcher's cbt-kg-tagger.")]
    = TrainRequest.register,
    progress: Annotated[bool, typer.Option(
        help="Progress on stderr: bars on a terminal, else a plain line every few seconds.")] = True,
    as_json: JsonFlag = False,
) -> None:
    """Train the CBT-KG tagger; the best model on the validation split is saved to --out.

    With only ``--out`` (``--seed``, ``--epochs``, ``--threads``, ``--max-seconds``, ``--no-register`` allowed)
    it builds the default model from scratch (:mod:`app.tagging.recipe`): the tagger with a head per annotated
    corpus (CCKS 2019, CCKS 2017, CMeEE) and the learned relation model, both registered for the watcher.
    """
    request = TrainRequest(
        out=out, train=tuple(train or ()), config=config, pretrained=pretrained, kg_vectors=kg_vectors, kg=kg,
        bioes=bioes, category=category, semantic=semantic, lexicon=lexicon, word_lexicon=word_lexicon, cmekg=cmekg,
        lstm_layers=lstm_layers, lstm_hidden=lstm_hidden, batch_size=batch_size, max_seconds=max_seconds,
        epochs=epochs, seed=seed, threads=threads, resume=resume, register=register)
    try:
        with progress_bars(progress and not as_json) as bars:
            result = workflows.train(request, progress=bars, say=_say(as_json))
    except TaggingInputError as exc:
        _fail(str(exc), as_json)
    _emit(result, as_json)


def _render_evaluation(payload: dict[str, Any]) -> None:
    """The settings, then P/R/F1 of all, nested and flat spans, then the per-type table."""
    scores = {"all": "micro", "nested": "nested", "flat": "flat"}
    _render({k: v for k, v in payload.items() if k not in (*scores.values(), "per_type")})
    _print_scores("spans", {label: payload[key] for label, key in scores.items()})
    _print_scores("type", payload["per_type"])


def evaluate_command(
    model: Annotated[list[Path], typer.Option(
        help="Checkpoint folder; repeat it for a span-voting ensemble of several models.")],
    test: Annotated[Path, typer.Option(
        help="Gold corpus: a CCKS 2019 JSON Lines file, a CMeEE line file (text|||start end type|||) or a "
             "CCKS 2017 folder (Test/ + test_gold.csv); scored against the model head of its schema.")],
    fmt: Annotated[str | None, typer.Option(
        "--format", help="ccks2019, ccks2017 or cmeee (default: told from --test).")] = EvaluateRequest.fmt,
    split: Annotated[str | None, typer.Option(
        help="CCKS 2017 folder only: test (Test/ + test_gold.csv, the default) or train.")] = EvaluateRequest.split,
    skip_invalid: Annotated[bool, typer.Option(
        help="Leave out bad gold spans and records, and count them (default: the first one is an error "
             "naming file:line field).")] = EvaluateRequest.skip_invalid,
    kg_vectors: Annotated[Path | None, typer.Option(help="KG vectors to use instead of the stored ones.")] = None,
    batch_size: Annotated[int, typer.Option(help="Windows per batch.")] = EvaluateRequest.batch_size,
    predictions: Annotated[Path | None, typer.Option(
        help="Also write the predictions in the gold corpus's format (CCKS 2019 JSON Lines, CMeEE lines, or "
             "the CCKS 2017 test_gold.csv layout).")] = None,
    threads: Annotated[int, typer.Option(help="torch threads (0: every core; use 1 on a busy machine).")]
    = EvaluateRequest.threads,
    min_votes: Annotated[int | None, typer.Option(
        help="Ensemble: models that must agree on a span (default: a majority).")] = None,
    errors: Annotated[bool, typer.Option(
        help="Also break the errors down per type: type, boundary, boundary+type, missed, spurious, "
             "with their most frequent surface forms (extractor/errors.py).")] = EvaluateRequest.errors,
    as_json: JsonFlag = False,
) -> None:
    """Strict micro P/R/F1, for nested and flat spans apart, and a per-type table (one model or a voting ensemble)."""
    request = EvaluateRequest(models=tuple(model), test=test, fmt=fmt, split=split, skip_invalid=skip_invalid,
                              kg_vectors=kg_vectors, batch_size=batch_size, predictions=predictions, threads=threads,
                              min_votes=min_votes, errors=errors)
    try:
        result = workflows.evaluate(request)
    except TaggingInputError as exc:
        _fail(str(exc), as_json)
    emit(result.payload, as_json, _render_evaluation)
    if result.breakdown is not None and not as_json:
        Console().print(result.breakdown.markdown())


#: (command name, function) pairs that :mod:`app.cli` registers on the ``medkg`` app.
COMMANDS: tuple[tuple[str, Any], ...] = (
    ("pretrain", pretrain_command), ("train", train_command), ("evaluate", evaluate_command),
    ("kge-vectors", kge_vectors_command),
)
