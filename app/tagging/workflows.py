"""One function per tagger command: what ``medkg pretrain``, ``train``, ``kge-vectors`` and ``evaluate`` do.

Each takes a request (the command's options, with their defaults written once here), gathers its data
with :mod:`app.tagging.data` (the pretraining text, the gazetteer concepts, the KG triples; never the
CCKS 2019 test file for training), calls the entry functions of :mod:`extractor` and returns what the
command prints. Bad input raises :class:`TaggingInputError` with a message naming what was wrong; the
commands (:mod:`app.cli.tagger`) report it and exit with status 2. Heavy imports (torch, extractor)
stay inside the functions so that importing this module stays cheap.

Example:
    >>> request = TrainRequest(out=Path("model"), train=(Path("train.txt"),), kg=False)
    >>> result = train_from_files(request)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.progress import ProgressFactory
from app.tagging.data import CCKS_TEST, kg_triples, models_home, pretraining_texts
from app.tagging.inputs import TaggingInputError, gazetteer, load_kg, load_word_lexicon, with_char_vectors

if TYPE_CHECKING:
    from app.tagging.recipe import RecipeResult
    from extractor.config import TaggerConfig
    from extractor.corpus_check import Corpus
    from extractor.errors import ErrorBreakdown
    from extractor.train import TrainResult

__all__ = ["Evaluation", "EvaluateRequest", "KgeVectorsRequest", "PretrainRequest", "TaggingInputError",
           "TrainRequest", "evaluate", "kge_vectors", "pretrain", "train", "train_default_model", "train_from_files"]

Say = Callable[[str], None]

#: What ``medkg pretrain --kind`` makes: character vectors, a character BERT, the SoftLexicon word lexicon.
PRETRAIN_KINDS = ("emb", "mlm", "words")


@contextmanager
def _refused(*types: type[Exception]) -> Iterator[None]:
    """Re-raise the given exception types as :class:`TaggingInputError` with the same message."""
    try:
        yield
    except TaggingInputError:
        raise
    except types as exc:
        raise TaggingInputError(str(exc)) from exc


@dataclass(frozen=True)
class PretrainRequest:
    """What ``medkg pretrain`` makes and with what budget (the mlm-only fields are ignored by the others)."""

    kind: str = "emb"
    out: Path | None = None  # default: <MEDKG_HOME>/models/pretrained/<char_vectors.npz|char_bert|word_lexicon.npz>
    steps: int = 20_000
    max_seconds: float = 3600.0
    threads: int = 1
    resume: bool = True
    layers: int = 4
    hidden: int = 256
    heads: int = 4
    seq_len: int = 256
    batch_size: int = 32
    warmup: int = 1000
    cmekg: Path | None = None
    word_dim: int = 50


def pretrain(request: PretrainRequest, *, data_dir: Path | None = None, progress: ProgressFactory | None = None,
             say: Say | None = None) -> dict[str, Any]:
    """Pretrain character vectors, a small character BERT or word vectors on the medical text (never the test set).

    Args:
        request: The kind and its budget.
        data_dir: The research data (default ``core.paths.default_data_dir``).
        progress: Progress-bar factory (``app.progress.progress_bars``).
        say: Where the word lexicon's step messages go (default: nowhere).

    Returns:
        The file or folder written (``out``) with what the pretraining reports.

    Raises:
        TaggingInputError: An unknown kind; for ``words``, a missing vocabulary, a refused CMeKG pickle or
            a missing optional dependency.
    """
    if request.kind not in PRETRAIN_KINDS:
        raise TaggingInputError(f"--kind must be emb, mlm or words, got {request.kind!r}")
    texts = pretraining_texts(data_dir)
    if request.kind == "words":
        return _pretrain_words(texts, request, data_dir, say)
    if request.kind == "emb":
        from extractor.pretrain_emb import EmbeddingPretrainConfig, pretrain_char_vectors

        target = request.out or models_home() / "pretrained" / "char_vectors.npz"
        target.parent.mkdir(parents=True, exist_ok=True)
        vectors = pretrain_char_vectors(texts, EmbeddingPretrainConfig(
            steps=request.steps, max_seconds=request.max_seconds, threads=request.threads), progress=progress)
        vectors.save(target)
        return {"out": str(target), "chars": len(vectors.chars), "bigrams": len(vectors.bigrams), **vectors.meta}
    from extractor.pretrain_mlm import MlmConfig, pretrain_mlm

    mlm = MlmConfig(steps=request.steps, max_seconds=request.max_seconds, threads=request.threads,
                    layers=request.layers, hidden=request.hidden, heads=request.heads, seq_len=request.seq_len,
                    batch_size=request.batch_size, warmup=request.warmup)
    return dict(pretrain_mlm(texts, request.out or models_home() / "pretrained" / "char_bert", mlm,
                             resume=request.resume, progress=progress))


def _pretrain_words(texts: list[str], request: PretrainRequest, data_dir: Path | None,
                    say: Say | None) -> dict[str, Any]:
    from app.tagging.recipe import kg_word_lexicon
    from extractor.softlex import WordLexiconConfig

    target = request.out or models_home() / "pretrained" / "word_lexicon.npz"
    config = WordLexiconConfig(dim=request.word_dim, threads=max(request.threads, 1))
    with _refused(ImportError, ValueError, FileNotFoundError):  # CMeKGRefused is a ValueError
        lexicon = kg_word_lexicon(texts, config, data_dir=data_dir, cmekg=request.cmekg, say=say)
    lexicon.save(target)
    return {"out": str(target), **lexicon.meta}


@dataclass(frozen=True)
class KgeVectorsRequest:
    """Which KG, which model and budget ``medkg kge-vectors`` trains (``None``: the model's own default)."""

    model: str = "TransE"
    out: Path | None = None  # default: <MEDKG_HOME>/models/pretrained/<model>.npz
    epochs: int = 100
    dim: int = 100
    seed: int = 42
    source: Path | None = None  # default: the xywy KG in the data folder
    fmt: str = "xywy"
    cmekg: Path | None = None
    max_test_triples: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    sparse: bool = False


def kge_vectors(request: KgeVectorsRequest, *, data_dir: Path | None = None,
                progress: ProgressFactory | None = None) -> dict[str, Any]:
    """KG vectors of a KG source as an ``.npz`` for tagger training, without a graph.

    The pykeen models are trained by ``embeddings.train_embeddings`` (:func:`app.tagging.recipe.train_kg_vectors`),
    the same code ``medkg embed train`` runs against the graph; ``quick`` is the small torch TransE.

    Returns:
        The file written (``out``), the run id and the training's figures.

    Raises:
        TaggingInputError: A malformed or empty source, an unknown model, a refused setting.
    """
    from app.tagging.recipe import train_kg_vectors
    from embeddings.registry import UnknownModelError
    from extractor.kge_quick import save_kg_vectors

    model = request.model
    name = "transe_quick" if model == "quick" else model.lower()
    target = request.out or models_home() / "pretrained" / f"{name}.npz"
    target.parent.mkdir(parents=True, exist_ok=True)
    with _refused(ValueError, FileNotFoundError):
        triples = kg_triples(data_dir, source=request.source, fmt=request.fmt, cmekg=request.cmekg)
    if not triples:
        raise TaggingInputError(f"no triples in {request.source or 'the xywy KG'}")
    with _refused(UnknownModelError, ValueError):
        kg = train_kg_vectors(triples, model, request.epochs, request.dim, request.seed, progress,
                              max_test_triples=request.max_test_triples, batch_size=request.batch_size,
                              learning_rate=request.learning_rate, sparse=request.sparse)
    save_kg_vectors(kg, target)
    return {"out": str(target), "run": kg.run, **{k: v for k, v in kg.meta.items() if k != "config"}}


@dataclass(frozen=True)
class TrainRequest:
    """What ``medkg train`` trains: CCKS-format files with a config and its overrides, or the default model.

    Without ``train`` files only ``out``, ``seed``, ``epochs``, ``threads`` and ``register`` apply (the default
    recipe, :mod:`app.tagging.recipe`); with them every ``None`` leaves the config's value.
    """

    out: Path
    train: tuple[Path, ...] = ()
    config: Path | None = None  # a TaggerConfig JSON or a checkpoint's config.json
    pretrained: Path | None = None
    kg_vectors: Path | None = None
    kg: bool | None = None
    bioes: bool | None = None
    category: bool | None = None
    semantic: bool | None = None
    lexicon: bool | None = None
    word_lexicon: Path | None = None
    cmekg: Path | None = None
    lstm_layers: int | None = None
    lstm_hidden: int | None = None
    batch_size: int | None = None
    max_seconds: float | None = None
    epochs: int | None = None
    seed: int | None = None
    threads: int | None = None
    resume: bool = False
    register: bool = True

    def recipe_only(self) -> list[str]:
        """The options given that need ``train`` files, as the command spells them (``--kg-vectors``)."""
        open_to_recipe = ("out", "train", "epochs", "seed", "threads", "resume", "register", "max_seconds")
        return [f"--{f.name.replace('_', '-')}" for f in fields(self)
                if f.name not in open_to_recipe and getattr(self, f.name) is not None]


def train(request: TrainRequest, *, progress: ProgressFactory | None = None, say: Say | None = None) -> dict[str, Any]:
    """``medkg train``: :func:`train_from_files` with ``train`` files, else :func:`train_default_model`.

    Returns:
        The training result without its config (from files), or the recipe's result (default model).

    Raises:
        TaggingInputError: See both functions; also options that need ``train`` files given without them.
    """
    if request.train:
        result = train_from_files(request, progress=progress)
        return {k: v for k, v in result.__dict__.items() if k != "config"}
    given = request.recipe_only()
    if given:
        raise TaggingInputError(f"{', '.join(given)} need --train; without --train `medkg train --out DIR` builds "
                                "the default model (only --seed, --epochs, --threads, --max-seconds and "
                                "--no-register apply)")
    return train_default_model(request, progress=progress, say=say).to_dict()


def _train_config(request: TrainRequest) -> TaggerConfig:
    """The config file's (or the defaults') TaggerConfig with the request's overrides."""
    import json

    from extractor.config import TaggerConfig

    data = json.loads(request.config.read_text(encoding="utf-8")) if request.config else {}
    data = data.get("config", data)  # a checkpoint's config.json works too
    overrides: dict[str, dict[str, Any]] = {
        "features": {"kg": request.kg, "bioes": request.bioes, "category": request.category,
                     "semantic": request.semantic, "lexicon": request.lexicon,
                     "softlexicon": True if request.word_lexicon else None,
                     "word_lexicon": str(request.word_lexicon) if request.word_lexicon else None},
        "head": {"lstm_layers": request.lstm_layers, "lstm_hidden": request.lstm_hidden},
        "train": {"epochs": request.epochs, "batch_size": request.batch_size, "seed": request.seed,
                  "threads": request.threads, "max_seconds": request.max_seconds}}
    for section, values in overrides.items():
        data.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
    return TaggerConfig.model_validate(data)


def train_from_files(request: TrainRequest, *, data_dir: Path | None = None,
                     progress: ProgressFactory | None = None) -> TrainResult:
    """Train the CBT-KG tagger on CCKS-format files; the best model on the validation split goes to ``out``.

    Args:
        request: The files, the config and its overrides, the pretrained inputs.
        data_dir: Where the gazetteer's vocabulary is read (default ``core.paths.default_data_dir``).
        progress: Progress-bar factory (``app.progress.progress_bars``).

    Raises:
        TaggingInputError: The CCKS 2019 test file among the training files; an unreadable config or
            training file; a feature on without its input (word lexicon, KG vectors); missing vocabulary
            files or a refused CMeKG pickle.
    """
    from extractor.data import read_ccks
    from extractor.train import train_tagger
    from kgmodel.cmekg import CMeKGRefused

    if not request.train:
        raise TaggingInputError("no training files: pass --train FILE")
    if any(p.resolve().name == Path(CCKS_TEST).name for p in request.train):
        raise TaggingInputError("the CCKS 2019 test file is for final evaluation only; it cannot be trained on")
    with _refused(ValueError, FileNotFoundError):  # pydantic's ValidationError is a ValueError
        config = _train_config(request)
        examples = [ex for path in request.train for ex in read_ccks(path)]
    words = load_word_lexicon(config)
    config, vectors = with_char_vectors(config, request.pretrained)
    kg = load_kg(config, request.kg_vectors)
    with _refused(CMeKGRefused, FileNotFoundError):
        config, concepts, _summary = gazetteer(config, data_dir, request.cmekg)
    return train_tagger(config, examples, request.out, concepts=concepts, kg=kg, pretrained=vectors,
                        resume=request.resume, progress=progress, word_lexicon=words)


def train_default_model(request: TrainRequest, *, progress: ProgressFactory | None = None,
                        say: Say | None = None) -> RecipeResult:
    """The default model from scratch (:func:`app.tagging.recipe.build_default_model`) into ``request.out``.

    Raises:
        TaggingInputError: Missing research data or optional dependencies, a refused registration, or a
            database that cannot be started or reached (the registration needs it).
    """
    from neo4j.exceptions import DriverError, Neo4jError

    from app.tagging.recipe import RecipeConfig, build_default_model
    from graph.db.server import LauncherBuildError, Neo4jServerError
    from graph.watch.plugins import PluginError

    budgets = {"seed": request.seed, "epochs": request.epochs, "threads": request.threads,
               "train_seconds": request.max_seconds}
    recipe = RecipeConfig(register_plugin=request.register, **{k: v for k, v in budgets.items() if v is not None})
    if request.max_seconds is not None:  # the tagger's own budget, as given, instead of the recipe's whole one
        recipe = recipe.model_copy(update={"total_seconds": None})
    with _refused(FileNotFoundError, ImportError, PluginError, Neo4jError, DriverError, LauncherBuildError,
                  Neo4jServerError):
        return build_default_model(request.out, recipe, progress=progress, say=say)


@dataclass(frozen=True)
class EvaluateRequest:
    """Which checkpoint(s) ``medkg evaluate`` scores on which gold corpus, and what else it reports."""

    models: tuple[Path, ...]
    test: Path  # a CCKS 2019 JSON Lines file, a CMeEE line file or a CCKS 2017 folder
    fmt: str | None = None  # ccks2019, ccks2017 or cmeee; None: told from the path
    split: str | None = None  # CCKS 2017 folder only: test (Test/ + test_gold.csv, the default here) or train
    skip_invalid: bool = False  # leave out (and count) bad spans and records of the gold corpus
    kg_vectors: Path | None = None  # instead of the stored ones
    batch_size: int = 32
    predictions: Path | None = None  # also write the predictions here, in the test corpus's own format
    threads: int = 0
    min_votes: int | None = None  # ensemble: models that must agree on a span (None: a majority)
    errors: bool = False


@dataclass
class Evaluation:
    """The scores ``medkg evaluate`` prints (``payload``), with the error breakdown when it was asked for."""

    payload: dict[str, Any]
    breakdown: ErrorBreakdown | None = None


def _read_gold(request: EvaluateRequest) -> tuple[Corpus, str | None]:
    """The gold corpus (format named or told from the path) and its split: a CCKS 2017 folder's ``test`` by default."""
    from extractor.corpora import detect_format, read_corpus

    fmt = request.fmt or detect_format(request.test)
    split = request.split if request.split is not None or fmt != "ccks2017" else "test"
    return read_corpus(request.test, fmt, split=split, skip_invalid=request.skip_invalid), split


def evaluate(request: EvaluateRequest) -> Evaluation:
    """Strict micro P/R/F1, per type and for nested and flat spans apart, of one model or a span-voting ensemble.

    The gold corpus (any format :func:`extractor.corpora.read_corpus` reads) is scored against the model
    head of its own schema, in its own type names; a span head decodes at its calibrated threshold and
    nesting margin, which the payload shows (``span_head``).

    Raises:
        TaggingInputError: A folder that is not a checkpoint, unreadable KG vectors, a gold corpus that cannot
            be read (a ``CorpusError`` names ``file:line field``), a model without a head for the corpus's
            schema, or predictions its format cannot hold.
    """
    from extractor.checkpoint import CheckpointError, load_tagger
    from extractor.corpus_write import write_corpus
    from extractor.data import Example
    from extractor.ensemble import VotingEnsemble
    from extractor.evaluate import SchemaMismatch, evaluate_corpus
    from extractor.kge_quick import load_kg_vectors
    from extractor.predict import Tagger

    models = request.models
    with _refused(CheckpointError, ValueError, FileNotFoundError):  # CorpusError is a ValueError
        taggers = [load_tagger(m, load_kg_vectors(request.kg_vectors) if request.kg_vectors else None,
                               threads=request.threads) for m in models]
        single = len(taggers) == 1 and request.min_votes is None
        tagger = taggers[0] if single else VotingEnsemble(taggers, request.min_votes)
        corpus, split = _read_gold(request)
    try:
        result = evaluate_corpus(tagger, corpus, batch_size=request.batch_size)
    except SchemaMismatch as exc:
        raise TaggingInputError(f"{', '.join(map(str, models))}: {exc}") from exc
    examples = corpus.examples
    if request.predictions:
        with _refused(ValueError):
            write_corpus([Example(ex.id, ex.text, tuple(p)) for ex, p in zip(examples, result.predictions,
                                                                             strict=True)],
                         corpus.schema, request.predictions)
    runs = [t.kg_run for t in taggers]
    decision = ({"span_head": {"threshold": tagger.span_threshold(corpus.schema),
                               "nest_margin": tagger.span_nest_margin(corpus.schema)}}
                if isinstance(tagger, Tagger) and corpus.schema in tagger.schemas and tagger.nested(corpus.schema)
                else {})
    payload = {"model": str(models[0]) if len(models) == 1 else [str(m) for m in models], "test": str(request.test),
               "format": corpus.schema, **({"split": split} if split else {}), **decision,
               **({"skipped": dict(corpus.skipped)} if request.skip_invalid else {}),
               "kg_run": runs[0] if len(models) == 1 else runs,
               **({"min_votes": tagger.min_votes} if isinstance(tagger, VotingEnsemble) else {}), **result.to_dict()}
    evaluation = Evaluation(payload)
    if request.errors:
        from extractor.errors import error_breakdown

        evaluation.breakdown = error_breakdown([ex.spans for ex in examples], result.predictions,
                                               [ex.text for ex in examples])
        payload["errors"] = evaluation.breakdown.to_dict()
    return evaluation
