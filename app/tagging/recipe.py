"""The default tagger from scratch in one call: ``medkg train --out DIR`` with nothing else.

Steps, each skipped when its file is already in ``<MEDKG_HOME>/models/pretrained`` (so a rerun after an
interruption picks up where it stopped, and several models share the inputs):

1. character + bigram skip-gram vectors on the medical text (``char_vectors.npz``);
2. the SoftLexicon word lexicon: jieba's dictionary + the KG names (xywy, and CMeKG when PyCMeKG is
   installed), word2vec on the jieba-segmented text (``word_lexicon.npz``);
3. TransH KG vectors of the xywy KG (pykeen; ``transh.npz``);
4. the tagger: char embeddings + KG fusion + gazetteer features (xywy names) + bigram + SoftLexicon,
   1 x 128 BiLSTM, then one output head per annotation schema, learnt at once from the *training* records
   of CCKS 2019 (six types, CRF), CCKS 2017 (symptoms and signs among its five, CRF) and CMeEE's train part
   (nine nested types, a span head) (:func:`multi_schema`; never a test file, nor CMeEE's validation part);
5. the learned relation classifier (``entity-marker-relations``, the shared pairing of RESULTS.md) on
   CMeIE's train split, into ``<out>/relations``;
6. registration of both for the watcher: ``cbt-kg-tagger`` and ``entity-marker-relations``, enabled.

The encoder and features are the best single model of ``extractor/RESULTS.md`` (the quality push:
``char-kg-transh-softlex``), seed 1. ``RecipeConfig(schemas=("ccks2019",))`` is the earlier one-schema
model (CCKS 2019's six types, one CRF).

Example:
    >>> result = build_default_model(Path("~/models/cbt-kg"))  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from app.progress import ProgressFactory
from app.tagging.data import kg_concepts, kg_triples, models_home, pretraining_texts, training_corpora
from app.tagging.inputs import gazetteer, load_kg, load_word_lexicon, with_char_vectors
from core.config import ClosedConfig

__all__ = [
    "DEFAULT_EMIT",
    "RecipeConfig",
    "RecipeResult",
    "build_default_model",
    "default_tagger_config",
    "multi_schema",
    "schema_config",
    "train_kg_vectors",
]

Schema = Literal["ccks2019", "ccks2017", "cmeee"]

#: What each corpus's head adds to the merged output (``None``: every type). CCKS 2019's six types come
#: from its own head (the EMR schema, best measured there); CCKS 2017 adds symptoms and signs; CMeEE
#: the types neither EMR corpus has (procedures, equipment, microorganisms, departments).
DEFAULT_EMIT: dict[str, tuple[str, ...] | None] = {
    "ccks2019": None,
    "ccks2017": ("症状和体征",),
    "cmeee": ("pro", "equ", "mic", "dep"),
}

#: The output side per schema of ``output="mixed"``: a CRF for the flat EMR corpora, a span head for
#: CMeEE's nested annotations.
MIXED_OUTPUT: dict[str, Literal["crf", "span"]] = {"ccks2019": "crf", "ccks2017": "crf", "cmeee": "span"}


class RecipeConfig(ClosedConfig):
    """Budgets of the default recipe (the defaults are the ones RESULTS.md's rows were trained with)."""

    emb_steps: int = Field(default=20_000, ge=1)
    """Skip-gram steps of the character vectors."""
    emb_seconds: float = Field(default=900.0, gt=0)
    """Wall-clock budget of the character vectors."""
    word_dim: int = Field(default=50, ge=1)
    """Word vector size of the SoftLexicon lexicon."""
    word_epochs: int = Field(default=5, ge=1)
    """word2vec epochs."""
    word_min_count: int = Field(default=2, ge=1)
    """Tokens seen fewer times get no vector."""
    kge_model: str = "TransH"
    """KG embedding model (pykeen)."""
    kge_epochs: int = Field(default=100, ge=1)
    """Most KGE epochs (early stopping on validation MRR)."""
    kge_dim: int = Field(default=100, ge=1)
    """KG vector size."""
    cmekg: bool = True
    """Add CMeKG's names and aliases to the word lexicon when PyCMeKG is installed."""
    cmekg_gazetteer: bool = False
    """Also match CMeKG's concepts in the gazetteer, with its four labels as categories (measured: no gain
    over the xywy gazetteer with SoftLexicon on, see extractor/RESULTS.md)."""
    softlexicon: bool = True
    """SoftLexicon word features (and the word-lexicon step)."""
    epochs: int = Field(default=20, ge=1)
    """Most tagger epochs."""
    seed: int = 1
    """Seed of the tagger (split, init, batches)."""
    threads: int = Field(default=0, ge=0)
    """torch threads (0: torch's default, every core)."""
    register_plugin: bool = True
    """Register the checkpoints as the watcher's ``cbt-kg-tagger`` and ``entity-marker-relations`` (needs the
    database)."""
    schemas: tuple[Schema, ...] = Field(default=("ccks2019", "ccks2017", "cmeee"), min_length=1)
    """The annotated corpora the tagger learns, one output head each (one: the earlier one-schema model)."""
    output: Literal["mixed", "crf", "span", "shared"] = "mixed"
    """Output side with several schemas: ``mixed`` (:data:`MIXED_OUTPUT`), a CRF or a span head per
    schema, or one span head shared by all (partial annotation: a type a corpus lacks is unknown there)."""
    train_seconds: float | None = Field(default=3600.0, gt=0)
    """Tagger wall-clock budget (the epoch that crosses it is the last, unless ``total_seconds`` is set)."""
    total_seconds: float | None = Field(default=6900.0, gt=0)
    """Wall-clock budget of the whole recipe (None: only the steps' own budgets): the tagger gets what the
    inputs before it left, less ``relation_reserve`` (and at most ``train_seconds``), and starts no epoch
    that would end past it; the relation model gets what is left then (at most ``relation_seconds``). The
    default keeps the recipe under 2 hours whatever the machine's speed: a slow machine trains fewer epochs."""
    relation_reserve: float = Field(default=600.0, ge=0)
    """Seconds of ``total_seconds`` kept for the relation model and the registration."""
    relations: bool = True
    """Train the learned relation classifier too (and register it with ``register_plugin``)."""
    relation_epochs: int = Field(default=10, ge=1)
    """Most relation-classifier epochs."""
    relation_seconds: float = Field(default=1200.0, gt=0)
    """Relation-classifier wall-clock budget."""


@dataclass
class RecipeResult:
    """What the recipe made and reused, with the tagger's result and the registered plugin."""

    out_dir: str
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    plugin: dict[str, Any] | None = None
    relations: dict[str, Any] | None = None
    relation_plugin: dict[str, Any] | None = None
    budgets: dict[str, float | None] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


def _threads(recipe: RecipeConfig) -> int:
    """The thread count of a step that needs one: ``recipe.threads``, or with 0 what torch uses by default."""
    import torch

    return recipe.threads or torch.get_num_threads()


def tagger_budget(recipe: RecipeConfig, elapsed: float) -> tuple[float | None, bool]:
    """The tagger's wall-clock budget ``elapsed`` seconds into the recipe, and whether it keeps to whole epochs.

    With ``total_seconds``: what is left of it less the relation reserve (at least a minute: one epoch always
    runs), at most ``train_seconds``; without it, ``train_seconds`` and the epoch that crosses it is the last.
    """
    if recipe.total_seconds is None:
        return recipe.train_seconds, False
    reserve = recipe.relation_reserve if recipe.relations else 0.0
    left = max(recipe.total_seconds - elapsed - reserve, 60.0)
    return (left if recipe.train_seconds is None else min(recipe.train_seconds, left)), True


def relation_budget(recipe: RecipeConfig, elapsed: float) -> float:
    """The relation model's wall-clock budget ``elapsed`` seconds into the recipe (at least a minute)."""
    if recipe.total_seconds is None:
        return recipe.relation_seconds
    return min(recipe.relation_seconds, max(recipe.total_seconds - elapsed, 60.0))


def default_tagger_config(word_lexicon: str, kg_types: tuple[str, ...], recipe: RecipeConfig) -> Any:
    """The TaggerConfig of the default model (the fast head of RESULTS.md, SoftLexicon on)."""
    from extractor.config import FeatureConfig, HeadConfig, TaggerConfig, TrainConfig

    features = FeatureConfig(kg_types=kg_types, softlexicon=recipe.softlexicon,
                             word_lexicon=word_lexicon if recipe.softlexicon else None)
    return TaggerConfig(features=features,
                        head=HeadConfig(lstm_layers=1, lstm_hidden=128),
                        train=TrainConfig(epochs=recipe.epochs, batch_size=32, seed=recipe.seed,
                                          threads=recipe.threads, max_seconds=recipe.train_seconds))


def schema_config(name: str, output: Literal["crf", "span"] | None = None,
                  emit: tuple[str, ...] | None = None) -> Any:
    """The :class:`~extractor.config.SchemaConfig` of an annotated corpus.

    Its types are ``extractor.corpora.CORPUS_TYPES``'s, its mention types ``linker.typemap.CORPUS_TYPE_MAP``'s.

    Raises:
        ValueError: An unknown corpus, or ``emit`` naming a type it does not have.
    """
    from extractor.config import SchemaConfig
    from extractor.corpora import CORPUS_TYPES
    from linker.typemap import CORPUS_TYPE_MAP

    if name not in CORPUS_TYPES:
        raise ValueError(f"unknown corpus {name!r}; expected one of {', '.join(CORPUS_TYPES)}")
    return SchemaConfig(name=name, types=CORPUS_TYPES[name], mention_types=CORPUS_TYPE_MAP[name], emit=emit,
                        output=output)


def multi_schema(config: Any, schemas: tuple[str, ...], output: str = "mixed") -> Any:
    """``config`` learning ``schemas`` at once (one head each, or one shared span head), emitting :data:`DEFAULT_EMIT`.

    One schema gives the one-schema model of that corpus: its own types, one CRF (``mixed``: the
    corpus's :data:`MIXED_OUTPUT`) or one span head.

    Raises:
        ValueError: An unknown corpus or output, or a combination the tagger refuses.
    """
    from extractor.config import TaggerConfig
    from extractor.corpora import CORPUS_TYPES
    from linker.typemap import MENTION_TYPES

    if output not in ("mixed", "crf", "span", "shared") or not schemas:
        raise ValueError(f"output must be mixed, crf, span or shared and schemas non-empty, got {output!r}, {schemas}")
    data = config.model_dump()
    if len(schemas) == 1:
        name = schemas[0]
        if name not in CORPUS_TYPES:
            raise ValueError(f"unknown corpus {name!r}; expected one of {', '.join(CORPUS_TYPES)}")
        kind = MIXED_OUTPUT[name] if output == "mixed" else "span" if output == "shared" else output
        data.update(types=CORPUS_TYPES[name], schema_name=name, schemas=())
        data["head"].update(output=kind, shared=False)
        return TaggerConfig.model_validate(data)
    parts = [schema_config(name, MIXED_OUTPUT[name] if output == "mixed" else None, DEFAULT_EMIT[name])
             for name in schemas]
    kinds = {s.mention_types[t] for s in parts for t in (s.emit or s.types)}
    data.update(types=tuple(t for t in MENTION_TYPES if t in kinds), schemas=[s.model_dump() for s in parts])
    data["head"].update(output="crf" if output == "crf" else "span", shared=output == "shared")
    return TaggerConfig.model_validate(data)


def train_kg_vectors(triples: list[tuple[str, str, str]], model: str, epochs: int, dim: int, seed: int,
                     progress: ProgressFactory | None = None, *, max_test_triples: int | None = None,
                     batch_size: int | None = None, learning_rate: float | None = None,
                     sparse: bool = False) -> Any:
    """KG vectors (``extractor.kge_quick.KgVectors``) of triples with a pykeen model, or ``quick`` TransE.

    ``max_test_triples`` samples the link-prediction test split (large KGs); ``batch_size`` and
    ``learning_rate`` override :class:`embeddings.KGEConfig`'s (pykeen models only). pykeen's
    embeddings take dense gradients, so every step's backward pass and Adam update cover the whole
    entity table, and with the merged KG's 109k entities the batch count, not the triple count, sets
    the epoch time; ``sparse`` (:mod:`embeddings.optim`) moves only each batch's entities instead.

    Raises:
        embeddings.registry.UnknownModelError: An unknown model name.
    """
    from extractor.kge_quick import KgeQuickConfig, KgVectors, train_transe

    if model == "quick":
        return train_transe(triples, KgeQuickConfig(epochs=epochs, dim=dim, seed=seed), progress=progress)
    from embeddings import KGEConfig, train_embeddings

    config = KGEConfig(model=model, dim=dim, epochs=epochs, seed=seed, sparse=sparse,
                       **({"batch_size": batch_size} if batch_size is not None else {}),
                       **({"learning_rate": learning_rate} if learning_rate is not None else {}))
    if max_test_triples is not None:
        config = config.model_copy(update={"evaluation": config.evaluation.model_copy(
            update={"max_triples": max_test_triples})})
    result = train_embeddings(triples, config, progress=progress)
    evaluation = result.evaluation.to_dict() if result.evaluation else None
    both = (evaluation or {}).get("model", {}).get("both", {})
    baseline = (evaluation or {}).get("baseline", {}).get("both", {})
    meta = {"model": result.model, "entities": len(result.entities), "triples": len(triples),
            "test_mrr": both.get("mrr"), "test_hits_at_10": both.get("hits_at_10"),
            "popularity_mrr": baseline.get("mrr"), "popularity_hits_at_10": baseline.get("hits_at_10"),
            "epochs_trained": result.training.epochs_trained, "best_epoch": result.training.best_epoch,
            "validation_mrr": result.training.validation_mrr, "seconds": result.timings.get("total"),
            "seconds_per_epoch": result.timings.get("seconds_per_epoch"), "config": result.config}
    return KgVectors(result.entity_embeddings, f"{result.key}-{result.triples_sha256[:8]}-s{seed}", meta)


def kg_word_lexicon(texts: list[str], config: Any, *, data_dir: Path | None = None,
                    cmekg: Path | None = None, say: Callable[[str], None] | None = None) -> Any:
    """The SoftLexicon word lexicon (``extractor.softlex.WordLexicon``) over jieba's words and the KG's names.

    The names are the xywy/qasystem vocabulary's, and CMeKG's names and aliases when ``cmekg`` is given;
    what :func:`app.tagging.data.kg_concepts` reports of them is kept in the lexicon's ``meta["kg"]``.

    Raises:
        FileNotFoundError: The vocabulary files are missing.
        kgmodel.cmekg.CMeKGRefused: The pickle is not CMeKG's.
        ImportError, ValueError: see ``extractor.softlex.build_word_lexicon``.
    """
    from extractor.softlex import build_word_lexicon

    concepts, summary = kg_concepts(data_dir, cmekg)
    lexicon = build_word_lexicon(texts, [n for c in concepts for n in (c.name, *c.aliases)], config, say)
    lexicon.meta["kg"] = summary
    return lexicon


def train_relation_model(out: Path, recipe: RecipeConfig, data_dir: Path, vectors_file: Path | None = None,
                         progress: ProgressFactory | None = None, seconds: float | None = None) -> dict[str, Any]:
    """The learned relation classifier (RESULTS.md's shared pairing, 64 hidden) on CMeIE's train split.

    Validation (CMeIE's validation split) picks the epoch and the ``none`` threshold; the test split is
    never read. ``vectors_file``: the recipe's character vectors, used when their size is the encoder's.
    ``seconds``: its wall-clock budget (default ``recipe.relation_seconds``).
    """
    from extractor.pretrain_emb import CharVectors
    from extractor.relations.config import RelationConfig, RelationEncoderConfig, RelationTrainConfig
    from extractor.relations.data import gold_candidates, read_cmeie, read_schema, split_by_text
    from extractor.relations.train import train_relations

    cmeie = data_dir / "cmeie"
    schema = read_schema(cmeie / "schema.json")
    split = split_by_text(read_cmeie(cmeie / "CMeIE_dev.json"))
    train, train_texts = gold_candidates(split["train"], schema)
    val, val_texts = gold_candidates(split["validation"], schema)
    encoder = RelationEncoderConfig()
    vectors = CharVectors.load(vectors_file) if vectors_file is not None and vectors_file.is_file() else None
    usable = vectors is not None and vectors.char_vectors.shape[1] == encoder.dim
    if usable:
        encoder = RelationEncoderConfig(pretrained_vectors=str(vectors_file))
    budget = RelationTrainConfig(epochs=recipe.relation_epochs, max_seconds=seconds or recipe.relation_seconds,
                                 threads=recipe.threads or None, seed=recipe.seed)
    config = RelationConfig(encoder=encoder, lstm_hidden=64, pooling="start+mean", pairing="shared", train=budget)
    trained = train_relations(config, schema, train, train_texts, val, val_texts, out_dir=out,
                              pretrained=vectors if usable else None, progress=progress is not None)
    summary: dict[str, Any] = trained.summary()
    return summary


def _cmekg_pickle(recipe: RecipeConfig) -> Path | None:
    if not recipe.cmekg:
        return None
    from kgmodel.cmekg import installed_pickle

    try:
        return installed_pickle()
    except FileNotFoundError:
        return None


def build_default_model(out: Path, recipe: RecipeConfig | None = None, *, data_dir: Path | None = None,
                        pretrained: Path | None = None, progress: ProgressFactory | None = None,
                        say: Callable[[str], None] | None = None) -> RecipeResult:
    """Pretrain what is missing, train the default tagger into ``out`` (and the relation model), register them.

    Args:
        out: The checkpoint folder.
        recipe: Budgets (default :class:`RecipeConfig`).
        data_dir: The research data (default ``core.paths.default_data_dir``).
        pretrained: Where the shared inputs live (default ``<MEDKG_HOME>/models/pretrained``).
        progress: Progress-bar factory (``app.progress.progress_bars``).
        say: Where step messages go (default: nowhere).

    Raises:
        FileNotFoundError: The research data is missing.
        graph.watch.plugins.PluginError: The registration was refused.
    """
    from core.paths import default_data_dir
    from extractor.kge_quick import save_kg_vectors
    from extractor.pretrain_emb import EmbeddingPretrainConfig, pretrain_char_vectors
    from extractor.softlex import WordLexiconConfig
    from extractor.train import train_tagger

    recipe = recipe or RecipeConfig()
    root = data_dir or default_data_dir()
    tell = say or (lambda _msg: None)
    folder = pretrained or models_home() / "pretrained"
    folder.mkdir(parents=True, exist_ok=True)
    result = RecipeResult(str(out))
    started = time.monotonic()
    cmekg = _cmekg_pickle(recipe)
    texts: list[str] | None = None

    def step(name: str, path: Path, make: Callable[[], dict[str, Any]]) -> None:
        if path.is_file():
            tell(f"{name}: reusing {path}")
            result.steps[name] = {"file": str(path), "reused": True}
            return
        tell(f"{name}: building {path}")
        clock = time.monotonic()
        info = make()
        result.steps[name] = {"file": str(path), "reused": False, "seconds": round(time.monotonic() - clock, 1),
                              **info}

    def corpus() -> list[str]:
        nonlocal texts
        if texts is None:
            texts = pretraining_texts(root)
        return texts

    def char_vectors() -> dict[str, Any]:
        vectors = pretrain_char_vectors(corpus(), EmbeddingPretrainConfig(steps=recipe.emb_steps,
                                                                         max_seconds=recipe.emb_seconds,
                                                                         threads=_threads(recipe)),
                                        progress=progress)
        vectors.save(folder / "char_vectors.npz")
        return {"chars": len(vectors.chars), "bigrams": len(vectors.bigrams)}

    def words() -> dict[str, Any]:
        config = WordLexiconConfig(dim=recipe.word_dim, epochs=recipe.word_epochs, min_count=recipe.word_min_count)
        lexicon = kg_word_lexicon(corpus(), config, data_dir=root, cmekg=cmekg, say=tell)
        lexicon.save(folder / "word_lexicon.npz")
        return {"words": len(lexicon)}

    def kg_vectors() -> dict[str, Any]:
        kg = train_kg_vectors(kg_triples(root), recipe.kge_model, recipe.kge_epochs, recipe.kge_dim, 42, progress)
        save_kg_vectors(kg, folder / f"{recipe.kge_model.lower()}.npz")
        return {"run": kg.run, "entities": len(kg.vectors)}

    step("char_vectors", folder / "char_vectors.npz", char_vectors)
    if recipe.softlexicon:
        step("word_lexicon", folder / "word_lexicon.npz", words)
    step("kg_vectors", folder / f"{recipe.kge_model.lower()}.npz", kg_vectors)

    kg_types = ("Disease", "Symptom", "Drug", "Check", "Department", "Food", "Producer")
    config = multi_schema(default_tagger_config(str(folder / "word_lexicon.npz"), kg_types, recipe),
                          recipe.schemas, recipe.output)
    config, concepts, result.steps["gazetteer"] = gazetteer(config, root,
                                                            cmekg if recipe.cmekg_gazetteer else None)
    config, vectors = with_char_vectors(config, folder / "char_vectors.npz")
    tagger_seconds, whole_epochs = tagger_budget(recipe, time.monotonic() - started)
    config = config.model_copy(update={"train": config.train.model_copy(
        update={"max_seconds": tagger_seconds, "whole_epochs": whole_epochs})})
    result.budgets = {"total_seconds": recipe.total_seconds, "tagger_seconds": tagger_seconds}
    corpora = training_corpora(root, recipe.schemas)
    records: Any = corpora if config.multi else corpora[recipe.schemas[0]]
    sizes = ", ".join(f"{len(recs)} {name}" for name, recs in corpora.items())
    tell(f"tagger: training on the training records ({sizes}) into {out}"
         + (f", within {tagger_seconds:.0f} s" if tagger_seconds is not None else ""))
    trained = train_tagger(config, records, out, concepts=concepts,
                           kg=load_kg(config, folder / f"{recipe.kge_model.lower()}.npz"), pretrained=vectors,
                           resume=(Path(out) / "trainer_state.pt").is_file(), progress=progress,
                           word_lexicon=load_word_lexicon(config))
    result.train = {k: v for k, v in asdict(trained).items() if k not in ("config", "history")}
    relations_dir = Path(out) / "relations"
    if recipe.relations:
        if (relations_dir / "train_result.json").is_file():
            tell(f"relations: reusing {relations_dir}")
            result.relations = {"dir": str(relations_dir), "reused": True}
        else:
            tell(f"relations: training the relation classifier on CMeIE's train split into {relations_dir}")
            relation_seconds = relation_budget(recipe, time.monotonic() - started)
            result.budgets["relation_seconds"] = relation_seconds
            result.relations = {"dir": str(relations_dir), "reused": False,
                                **train_relation_model(relations_dir, recipe, root, folder / "char_vectors.npz",
                                                         progress, relation_seconds)}
    if recipe.register_plugin:
        from graph.db.connection import GraphClient
        from graph.watch.plugins import register_plugin, relation_config, tagger_config

        with GraphClient.from_environment() as client:
            options = tagger_config(Path(out), client)
            stored = register_plugin(client, "cbt-kg-tagger", None, options, enable=True, replace=True)
            result.plugin = stored.to_dict()
            if recipe.relations:
                rel = register_plugin(client, "entity-marker-relations", None, relation_config(relations_dir),
                                      enable=True, replace=True)
                result.relation_plugin = rel.to_dict()
    result.seconds = round(time.monotonic() - started, 1)
    return result
