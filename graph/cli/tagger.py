"""``medkg pretrain``, ``medkg train``, ``medkg evaluate``, ``medkg kge-vectors``: the tagger commands.

They gather their data with :mod:`graph.tagging.data` (pretraining text, gazetteer concepts, KG
triples; never the CCKS 2019 test file for training) and call the entry functions of :mod:`extractor`.
Heavy imports (torch, extractor) stay inside the commands so `medkg --help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from core.paths import default_data_dir
from graph.cli.common import JsonFlag, emit, fail
from graph.tagging.data import (
    CCKS_TEST,
    CMEKG_LABELS,
    kg_concepts,
    kg_triples,
    models_home,
    pretraining_texts,
)

__all__ = ["COMMANDS"]


def _render(payload: dict[str, Any]) -> None:
    table = Table(show_header=False)
    for key, value in payload.items():
        if key not in ("per_type", "errors"):
            table.add_row(str(key), json.dumps(value, ensure_ascii=False, default=str)[:200])
    Console().print(table)
    per_type = payload.get("per_type")
    if isinstance(per_type, dict):
        types = Table("type", "P", "R", "F1", "gold", "pred")
        for name, row in per_type.items():
            types.add_row(name, f"{row['precision']:.4f}", f"{row['recall']:.4f}", f"{row['f1']:.4f}",
                          str(row["n_gold"]), str(row["n_pred"]))
        Console().print(types)


def _emit(payload: dict[str, Any], as_json: bool) -> None:
    emit(payload, as_json, _render)


def _fail(message: str, as_json: bool) -> NoReturn:
    fail(message, code=2, as_json=as_json)


def pretrain_command(
    kind: Annotated[str, typer.Option(help="emb: char+bigram skip-gram vectors; mlm: small char BERT; words: "
                                           "the SoftLexicon word lexicon (jieba + KG names, word2vec).")] = "emb",
    out: Annotated[Path | None, typer.Option(help="Output file (emb, words: .npz) or folder (mlm).")] = None,
    steps: Annotated[int, typer.Option(help="Optimiser steps.")] = 20_000,
    max_seconds: Annotated[float, typer.Option(help="Wall-clock budget; mlm saves and can resume.")] = 3600.0,
    threads: Annotated[int, typer.Option(help="torch threads (1 leaves a core for others).")] = 1,
    resume: Annotated[bool, typer.Option(help="mlm: continue from the folder's last state.")] = True,
    layers: Annotated[int, typer.Option(help="mlm: transformer layers.")] = 4,
    hidden: Annotated[int, typer.Option(help="mlm: hidden size.")] = 256,
    heads: Annotated[int, typer.Option(help="mlm: attention heads.")] = 4,
    seq_len: Annotated[int, typer.Option(help="mlm: characters per window.")] = 256,
    batch_size: Annotated[int, typer.Option(help="mlm: windows per step.")] = 32,
    warmup: Annotated[int, typer.Option(help="mlm: learning-rate warm-up steps.")] = 1000,
    cmekg: Annotated[Path | None, typer.Option(help="words: also take CMeKG's names and aliases from this pickle.")]
    = None,
    word_dim: Annotated[int, typer.Option(help="words: word vector size.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Pretrain character vectors, a small character BERT or word vectors on the medical text (never the test set)."""
    from graph.progress import progress_bars

    texts = pretraining_texts()
    if kind == "words":
        _pretrain_words(texts, out, cmekg, word_dim, threads, as_json)
    elif kind == "emb":
        from extractor.pretrain_emb import EmbeddingPretrainConfig, pretrain_char_vectors

        target = out or models_home() / "pretrained" / "char_vectors.npz"
        target.parent.mkdir(parents=True, exist_ok=True)
        with progress_bars(not as_json) as bars:
            vectors = pretrain_char_vectors(texts, EmbeddingPretrainConfig(steps=steps, max_seconds=max_seconds,
                                                                          threads=threads), progress=bars)
        vectors.save(target)
        _emit({"out": str(target), "chars": len(vectors.chars), "bigrams": len(vectors.bigrams), **vectors.meta},
              as_json)
    elif kind == "mlm":
        from extractor.pretrain_mlm import MlmConfig, pretrain_mlm

        target = out or models_home() / "pretrained" / "char_bert"
        mlm = MlmConfig(steps=steps, max_seconds=max_seconds, threads=threads, layers=layers, hidden=hidden,
                        heads=heads, seq_len=seq_len, batch_size=batch_size, warmup=warmup)
        with progress_bars(not as_json) as bars:
            result = pretrain_mlm(texts, target, mlm, resume=resume, progress=bars)
        _emit(result, as_json)
    else:
        _fail(f"--kind must be emb, mlm or words, got {kind!r}", as_json)


def _pretrain_words(texts: list[str], out: Path | None, cmekg: Path | None, dim: int, threads: int,
                    as_json: bool) -> None:
    from extractor.softlex import WordLexiconConfig
    from graph.tagging.recipe import kg_word_lexicon

    target = out or models_home() / "pretrained" / "word_lexicon.npz"
    say = (lambda _m: None) if as_json else (lambda m: typer.echo(m, err=True))
    try:  # CMeKGRefused is a ValueError, DataMissingError a FileNotFoundError
        lexicon = kg_word_lexicon(texts, WordLexiconConfig(dim=dim, threads=max(threads, 1)), cmekg=cmekg, say=say)
    except (ImportError, ValueError, FileNotFoundError) as exc:
        _fail(str(exc), as_json)
    lexicon.save(target)
    _emit({"out": str(target), **lexicon.meta}, as_json)


def kge_vectors_command(
    model: Annotated[str, typer.Option(help="TransE, TransH, TransR (pykeen, embeddings/) or quick (torch TransE).")]
    = "TransE",
    out: Annotated[Path | None, typer.Option(help="Output .npz (ids + vectors + run).")] = None,
    epochs: Annotated[int, typer.Option(help="Most epochs (pykeen models stop early on validation MRR).")] = 100,
    dim: Annotated[int, typer.Option(help="Vector size.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of split, initialisation and sampling.")] = 42,
    source: Annotated[Path | None, typer.Option(help="KG file or folder; default: the xywy KG in the data dir.")]
    = None,
    fmt: Annotated[str, typer.Option("--format", help="Format of --source: xywy, qasystem or triples.")] = "xywy",
    cmekg: Annotated[Path | None, typer.Option(help="Add CMeKG's triples (this cmekg.pkl): the merged KG.")] = None,
    max_test_triples: Annotated[int | None, typer.Option(
        help="Evaluate link prediction on at most this many test triples (a seeded sample).")] = None,
    batch_size: Annotated[int | None, typer.Option(
        help="Training triples per step (default 1024); larger is much faster on a large KG.")] = None,
    learning_rate: Annotated[float | None, typer.Option(help="Adam learning rate (default 0.002).")] = None,
    sparse: Annotated[bool, typer.Option(
        "--sparse/--dense", help="Sparse entity gradients and lazy Adam (each step moves only its batch's "
        "entities; for a large KG such as the merged one) or pykeen's dense ones.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """KG vectors of a KG source (default: the xywy KG) as a file for tagger training, without a graph.

    The pykeen models are trained by ``embeddings.train_embeddings``, the same code ``medkg embed train``
    runs against the graph; ``quick`` is the small torch TransE kept for comparison.
    """
    from extractor.kge_quick import save_kg_vectors

    target = out or models_home() / "pretrained" / f"{'transe_quick' if model == 'quick' else model.lower()}.npz"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        triples = kg_triples(source=source, fmt=fmt, cmekg=cmekg)
    except (ValueError, FileNotFoundError) as exc:
        _fail(str(exc), as_json)
    if not triples:
        _fail(f"no triples in {source or 'the xywy KG'}", as_json)
    from embeddings.registry import UnknownModelError
    from graph.progress import progress_bars
    from graph.tagging.recipe import train_kg_vectors

    try:
        with progress_bars(not as_json) as bars:
            kg = train_kg_vectors(triples, model, epochs, dim, seed, bars, max_test_triples=max_test_triples,
                                  batch_size=batch_size, learning_rate=learning_rate, sparse=sparse)
    except (UnknownModelError, ValueError) as exc:
        _fail(str(exc), as_json)
    save_kg_vectors(kg, target)
    _emit({"out": str(target), "run": kg.run, **{k: v for k, v in kg.meta.items() if k != "config"}}, as_json)


def _train_config(base: Path | None, overrides: dict[str, dict[str, Any]]) -> Any:
    from extractor.config import TaggerConfig

    data = json.loads(base.read_text(encoding="utf-8")) if base else {}
    data = data.get("config", data)  # a checkpoint's config.json works too
    for section, values in overrides.items():
        data.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
    return TaggerConfig.model_validate(data)


def train_command(
    out: Annotated[Path, typer.Option(help="Checkpoint folder.")],
    train: Annotated[list[Path] | None, typer.Option(
        help="CCKS-format training file(s); repeat the option. Without it: the default model from scratch "
             "(pretraining, word lexicon, KG vectors, training on CCKS 2019, registration for the watcher).")]
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
    max_seconds: Annotated[float | None, typer.Option(help="Stop after the epoch crossing this.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from OUT/trainer_state.pt.")] = False,
    register: Annotated[bool, typer.Option("--register/--no-register",
                                           help="Default model: register it as the watcher's cbt-kg-tagger.")] = True,
    progress: Annotated[bool, typer.Option(
        help="Progress on stderr: bars on a terminal, else a plain line every few seconds.")] = True,
    as_json: JsonFlag = False,
) -> None:
    """Train the CBT-KG tagger; the best model on the validation split is saved to --out.

    With only ``--out`` (``--seed``, ``--epochs``, ``--threads``, ``--no-register`` allowed) it builds the
    default model from scratch (:mod:`graph.tagging.recipe`).
    """
    from pydantic import ValidationError

    from extractor.data import read_ccks
    from extractor.kge_quick import load_kg_vectors
    from extractor.pretrain_emb import CharVectors
    from extractor.softlex import WordLexicon
    from extractor.train import train_tagger
    from graph.kg.cmekg import CMeKGRefused
    from graph.progress import progress_bars

    if not train:
        extra = {"--config": config, "--pretrained": pretrained, "--kg-vectors": kg_vectors, "--kg": kg,
                 "--bioes": bioes, "--category": category, "--semantic": semantic, "--lexicon": lexicon,
                 "--word-lexicon": word_lexicon, "--cmekg": cmekg, "--lstm-layers": lstm_layers,
                 "--lstm-hidden": lstm_hidden, "--batch-size": batch_size, "--max-seconds": max_seconds}
        given = [name for name, value in extra.items() if value is not None]
        if given:
            _fail(f"{', '.join(given)} need --train; without --train `medkg train --out DIR` builds the default "
                  "model (only --seed, --epochs, --threads and --no-register apply)", as_json)
        _default_model(out, seed, epochs, threads, register, progress, as_json)
        return
    if any(p.resolve().name == Path(CCKS_TEST).name for p in train):
        _fail("the CCKS 2019 test file is for final evaluation only; it cannot be trained on", as_json)
    try:
        cfg = _train_config(config, {
            "features": {"kg": kg, "bioes": bioes, "category": category, "semantic": semantic,
                         "lexicon": lexicon, "softlexicon": True if word_lexicon else None,
                         "word_lexicon": str(word_lexicon) if word_lexicon else None},
            "head": {"lstm_layers": lstm_layers, "lstm_hidden": lstm_hidden},
            "train": {"epochs": epochs, "batch_size": batch_size, "seed": seed, "threads": threads,
                      "max_seconds": max_seconds}})
        examples = [ex for path in train for ex in read_ccks(path)]
    except (ValidationError, ValueError, FileNotFoundError) as exc:
        _fail(str(exc), as_json)
    words = None
    if cfg.features.softlexicon:
        if not cfg.features.word_lexicon:
            _fail("features.softlexicon is on: pass --word-lexicon FILE.npz (medkg pretrain --kind words)", as_json)
        try:
            words = WordLexicon.load(cfg.features.word_lexicon)
        except (ValueError, FileNotFoundError) as exc:
            _fail(str(exc), as_json)
    vectors = CharVectors.load(pretrained) if pretrained else None
    if vectors is not None:
        cfg = cfg.model_copy(update={"encoder": cfg.encoder.model_copy(update={
            "dim": vectors.char_vectors.shape[1], "pretrained_vectors": str(pretrained)})})
    kgv = load_kg_vectors(kg_vectors) if kg_vectors and cfg.features.kg else None
    if cfg.features.kg and kgv is None:
        _fail("KG fusion is on: pass --kg-vectors FILE.npz, or --no-kg", as_json)
    needs_gazetteer = cfg.features.kg or cfg.features.bioes or cfg.features.category
    concepts: list = []
    if needs_gazetteer:
        try:
            concepts, _summary = kg_concepts(default_data_dir(), cmekg)
        except (CMeKGRefused, FileNotFoundError) as exc:
            _fail(str(exc), as_json)
    if cmekg is not None:
        wanted = tuple(dict.fromkeys((*cfg.features.kg_types, *CMEKG_LABELS)))
        cfg = cfg.model_copy(update={"features": cfg.features.model_copy(update={"kg_types": wanted})})
    with progress_bars(progress and not as_json) as bars:
        result = train_tagger(cfg, examples, out, concepts=concepts, kg=kgv, pretrained=vectors, resume=resume,
                              progress=bars, word_lexicon=words)
    _emit({k: v for k, v in result.__dict__.items() if k != "config"}, as_json)


def _default_model(out: Path, seed: int | None, epochs: int | None, threads: int | None, register: bool,
                   progress: bool, as_json: bool) -> None:
    from neo4j.exceptions import DriverError, Neo4jError

    from graph.db.server import LauncherBuildError, Neo4jServerError
    from graph.progress import progress_bars
    from graph.tagging.recipe import RecipeConfig, build_default_model
    from graph.watch.plugins import PluginError

    recipe = RecipeConfig(register_plugin=register, **{k: v for k, v in
                                                {"seed": seed, "epochs": epochs, "threads": threads}.items()
                                                if v is not None})
    say = (lambda _m: None) if as_json else (lambda m: typer.echo(m, err=True))
    try:
        with progress_bars(progress and not as_json) as bars:
            result = build_default_model(out, recipe, progress=bars, say=say)
    except (FileNotFoundError, ImportError, PluginError, Neo4jError, DriverError, LauncherBuildError,
            Neo4jServerError) as exc:
        _fail(str(exc), as_json)
    _emit(result.to_dict(), as_json)


def evaluate_command(
    model: Annotated[list[Path], typer.Option(
        help="Checkpoint folder; repeat it for a span-voting ensemble of several models.")],
    test: Annotated[Path, typer.Option(help="CCKS-format gold file.")],
    kg_vectors: Annotated[Path | None, typer.Option(help="KG vectors to use instead of the stored ones.")] = None,
    batch_size: Annotated[int, typer.Option(help="Windows per batch.")] = 32,
    predictions: Annotated[Path | None, typer.Option(help="Also write predictions (CCKS format).")] = None,
    threads: Annotated[int, typer.Option(help="torch threads (0: every core; use 1 on a busy machine).")] = 0,
    min_votes: Annotated[int | None, typer.Option(
        help="Ensemble: models that must agree on a span (default: a majority).")] = None,
    errors: Annotated[bool, typer.Option(
        help="Also break the errors down per type: type, boundary, boundary+type, missed, spurious, "
             "with their most frequent surface forms (extractor/errors.py).")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Strict entity-level micro P/R/F1 and a per-type table (of one model, or of a voting ensemble)."""
    from extractor.checkpoint import CheckpointError, load_tagger
    from extractor.data import Example, read_ccks, write_ccks
    from extractor.ensemble import VotingEnsemble
    from extractor.evaluate import evaluate_tagger
    from extractor.kge_quick import load_kg_vectors

    try:
        taggers = [load_tagger(m, load_kg_vectors(kg_vectors) if kg_vectors else None, threads=threads)
                   for m in model]
        tagger = taggers[0] if len(taggers) == 1 and min_votes is None else VotingEnsemble(taggers, min_votes)
        examples = read_ccks(test)
    except (CheckpointError, ValueError, FileNotFoundError) as exc:
        _fail(str(exc), as_json)
    result = evaluate_tagger(tagger, examples, batch_size=batch_size)
    if predictions:
        write_ccks([Example(ex.id, ex.text, tuple(p)) for ex, p in zip(examples, result.predictions, strict=True)],
                   predictions)
    runs = [t.kg_run for t in taggers]
    payload = {"model": str(model[0]) if len(model) == 1 else [str(m) for m in model], "test": str(test),
               "kg_run": runs[0] if len(model) == 1 else runs,
               **({"min_votes": tagger.min_votes} if isinstance(tagger, VotingEnsemble) else {}), **result.to_dict()}
    breakdown = None
    if errors:
        from extractor.errors import error_breakdown

        breakdown = error_breakdown([ex.spans for ex in examples], result.predictions, [ex.text for ex in examples])
        payload["errors"] = breakdown.to_dict()
    _emit(payload, as_json)
    if breakdown is not None and not as_json:
        Console().print(breakdown.markdown())


#: (command name, function) pairs that :mod:`graph.cli` registers on the ``medkg`` app.
COMMANDS: tuple[tuple[str, Any], ...] = (
    ("pretrain", pretrain_command), ("train", train_command), ("evaluate", evaluate_command),
    ("kge-vectors", kge_vectors_command),
)
