"""The inputs a tagger trains with, loaded one way for the default recipe and for training from files.

Both :func:`app.tagging.recipe.build_default_model` and :func:`app.tagging.workflows.train_from_files`
hand :func:`extractor.train.train_tagger` the same four things next to the records: the pretrained
character vectors, the SoftLexicon word lexicon, the KG vectors and the gazetteer concepts (with CMeKG's
labels as categories when CMeKG's concepts are in the gazetteer). Each is loaded here, from what the
:class:`extractor.config.TaggerConfig` asks for, and each step returns the config it implies.

Example:
    >>> config, vectors = with_char_vectors(config, Path("char_vectors.npz"))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.tagging.data import CMEKG_LABELS, kg_concepts

if TYPE_CHECKING:
    from extractor.config import TaggerConfig
    from extractor.kge_quick import KgVectors
    from extractor.pretrain_emb import CharVectors
    from extractor.softlex import WordLexicon
    from linker import ConceptRecord

__all__ = ["TaggingInputError", "gazetteer", "load_kg", "load_word_lexicon", "with_char_vectors"]


class TaggingInputError(ValueError):
    """A tagging workflow refused its inputs; the message names what was wrong (a file, an option)."""


def with_char_vectors(config: TaggerConfig, path: Path | None) -> tuple[TaggerConfig, CharVectors | None]:
    """The pretrained character vectors at ``path`` (none without a path) and the config that uses them.

    The encoder takes the vectors' size and remembers their file, so the checkpoint names what it started from.
    """
    if path is None:
        return config, None
    from extractor.pretrain_emb import CharVectors

    vectors = CharVectors.load(path)
    encoder = config.encoder.model_copy(update={"dim": vectors.char_vectors.shape[1],
                                                "pretrained_vectors": str(path)})
    return config.model_copy(update={"encoder": encoder}), vectors


def load_word_lexicon(config: TaggerConfig) -> WordLexicon | None:
    """The word lexicon of ``config.features.word_lexicon`` when SoftLexicon features are on, else ``None``.

    Raises:
        TaggingInputError: SoftLexicon is on without a lexicon file, or the file is missing or not a lexicon.
    """
    if not config.features.softlexicon:
        return None
    if not config.features.word_lexicon:
        raise TaggingInputError("features.softlexicon is on: pass --word-lexicon FILE.npz "
                                "(medkg pretrain --kind words)")
    from extractor.softlex import WordLexicon

    try:
        return WordLexicon.load(config.features.word_lexicon)
    except (ValueError, FileNotFoundError) as exc:
        raise TaggingInputError(str(exc)) from exc


def load_kg(config: TaggerConfig, path: Path | None) -> KgVectors | None:
    """The KG vectors at ``path`` when KG fusion is on, else ``None`` (a path is then ignored).

    Raises:
        TaggingInputError: KG fusion is on and no file is given.
    """
    if not config.features.kg:
        return None
    if path is None:
        raise TaggingInputError("KG fusion is on: pass --kg-vectors FILE.npz, or --no-kg")
    from extractor.kge_quick import load_kg_vectors

    return load_kg_vectors(path)


def gazetteer(config: TaggerConfig, data_dir: Path | None = None,
              cmekg: Path | None = None) -> tuple[TaggerConfig, list[ConceptRecord], dict[str, Any]]:
    """The gazetteer concepts the config's features need, and the config with CMeKG's labels when given.

    The concepts are read (:func:`app.tagging.data.kg_concepts`) only when a feature uses them (KG
    fusion, the BIOES or the category feature); with ``cmekg`` its four labels join the categories
    after the config's own, each once.

    Returns:
        (the config, the concepts, what :func:`~app.tagging.data.kg_concepts` reported; ``{}`` when none were read).

    Raises:
        FileNotFoundError: The vocabulary files are missing.
        kgmodel.cmekg.CMeKGRefused: The pickle is not CMeKG's.
    """
    features = config.features
    concepts: list[ConceptRecord] = []
    summary: dict[str, Any] = {}
    if features.kg or features.bioes or features.category:
        concepts, summary = kg_concepts(data_dir, cmekg)
    if cmekg is not None:
        wanted = tuple(dict.fromkeys((*features.kg_types, *CMEKG_LABELS)))
        config = config.model_copy(update={"features": features.model_copy(update={"kg_types": wanted})})
    return config, concepts, summary
