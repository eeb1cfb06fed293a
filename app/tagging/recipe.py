"""The default tagger from scratch in one call: ``medkg train --out DIR`` with nothing else.

Steps, each skipped when its file is already in ``<MEDKG_HOME>/models/pretrained`` (so a rerun after an
interruption picks up where it stopped, and several models share the inputs):

1. character + bigram skip-gram vectors on the medical text (``char_vectors.npz``);
2. the SoftLexicon word lexicon: jieba's dictionary + the KG names (xywy, and CMeKG when PyCMeKG is
   installed), word2vec on the jieba-segmented text (``word_lexicon.npz``);
3. TransH KG vectors of the xywy KG (pykeen; ``transh.npz``);
4. the tagger: char embeddings + KG fusion + gazetteer features (xywy names) + bigram + SoftLexicon,
   1 x 128 BiLSTM, CRF, on the CCKS 2019 *training* records (never the test file);
5. registration of the checkpoint as the watcher's ``cbt-kg-tagger`` plugin (enabled).

The configuration is the best single model of ``extractor/RESULTS.md`` (the quality push:
``char-kg-transh-softlex``), seed 1.

Example:
    >>> result = build_default_model(Path("~/models/cbt-kg"))  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from app.progress import ProgressFactory
from app.tagging.data import CCKS_TRAIN, kg_concepts, kg_triples, models_home, pretraining_texts
from app.tagging.inputs import gazetteer, load_kg, load_word_lexicon, with_char_vectors
from core.config import ClosedConfig

__all__ = ["RecipeConfig", "RecipeResult", "build_default_model", "default_tagger_config", "train_kg_vectors"]


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
    """Register the checkpoint as the watcher's ``cbt-kg-tagger`` (needs the database)."""


@dataclass
class RecipeResult:
    """What the recipe made and reused, with the tagger's result and the registered plugin."""

    out_dir: str
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    plugin: dict[str, Any] | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


def default_tagger_config(word_lexicon: str, kg_types: tuple[str, ...], recipe: RecipeConfig) -> Any:
    """The TaggerConfig of the default model (the fast head of RESULTS.md, SoftLexicon on)."""
    from extractor.config import FeatureConfig, HeadConfig, TaggerConfig, TrainConfig

    features = FeatureConfig(kg_types=kg_types, softlexicon=recipe.softlexicon,
                             word_lexicon=word_lexicon if recipe.softlexicon else None)
    return TaggerConfig(features=features,
                        head=HeadConfig(lstm_layers=1, lstm_hidden=128),
                        train=TrainConfig(epochs=recipe.epochs, batch_size=32, seed=recipe.seed,
                                          threads=recipe.threads))


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
    """Pretrain what is missing, train the default tagger into ``out``, register it.

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
    from extractor.data import read_ccks
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
                                                                         threads=max(recipe.threads, 1)),
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
    config = default_tagger_config(str(folder / "word_lexicon.npz"), kg_types, recipe)
    config, concepts, result.steps["gazetteer"] = gazetteer(config, root,
                                                            cmekg if recipe.cmekg_gazetteer else None)
    config, vectors = with_char_vectors(config, folder / "char_vectors.npz")
    examples = [ex for rel in CCKS_TRAIN for ex in read_ccks(root / rel)]
    tell(f"tagger: training on {len(examples)} CCKS 2019 training records into {out}")
    trained = train_tagger(config, examples, out, concepts=concepts,
                           kg=load_kg(config, folder / f"{recipe.kge_model.lower()}.npz"), pretrained=vectors,
                           resume=(Path(out) / "trainer_state.pt").is_file(), progress=progress,
                           word_lexicon=load_word_lexicon(config))
    result.train = {k: v for k, v in asdict(trained).items() if k not in ("config", "history")}
    if recipe.register_plugin:
        from graph.db.connection import GraphClient
        from graph.watch.plugins import register_plugin, tagger_config

        with GraphClient.from_environment() as client:
            options = tagger_config(Path(out), client)
            stored = register_plugin(client, "cbt-kg-tagger", None, options, enable=True, replace=True)
        result.plugin = stored.to_dict()
    result.seconds = round(time.monotonic() - started, 1)
    return result
