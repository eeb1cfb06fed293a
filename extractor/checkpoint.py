"""Building a tagger from its parts, and checkpoint folders that load with one call.

A checkpoint folder holds:

| file | content |
|---|---|
| ``config.json`` | checkpoint and feature versions, the :class:`TaggerConfig`, labels, KG dim and run, sizes |
| ``model.safetensors`` | the module's weights |
| ``vocab.json``, ``bigrams.json`` | character and bigram vocabularies |
| ``concepts.json`` | the gazetteer's concepts (id, type, name, aliases) |
| ``lexicon.json`` | the training records' (surface, type) lexicon (``features.lexicon`` only) |
| ``word_lexicon.npz`` | the SoftLexicon words, vectors and counts (``features.softlexicon`` only) |
| ``kg_vectors.npz`` | the KG lookup used in training (optional; ``load_tagger(kg_vectors=...)`` overrides) |
| ``encoder/config.json`` | the transformers config (``transformers`` encoders only) |

Example:
    >>> tagger = load_tagger("~/.local/share/medkg/models/cbt-kg")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from extractor.config import CHECKPOINT_VERSION, FEATURE_VERSION, READABLE_CHECKPOINTS, TaggerConfig
from extractor.encoders import CharEmbeddingEncoder, Encoder, TransformersEncoder
from extractor.kge_quick import KgVectors, load_kg_vectors, save_kg_vectors
from extractor.module import TaggerModule
from extractor.predict import Tagger
from extractor.pretrain_emb import CharVectors
from extractor.softlex import WordLexicon
from extractor.tags import label_list
from extractor.vocab import CLS, MASK, SEP, CharVocab

if TYPE_CHECKING:
    from extractor.calibrate import Calibration
    from linker.gazetteer import Gazetteer
    from linker.records import ConceptRecord

__all__ = ["CheckpointError", "build_gazetteer", "build_tagger", "load_tagger", "save_tagger", "write_span_thresholds"]

_REQUIRED = ("config.json", "model.safetensors", "vocab.json", "bigrams.json", "concepts.json")


class CheckpointError(ValueError):
    """A checkpoint folder is incomplete, from an incompatible version, or does not fit its config."""


def build_gazetteer(concepts: Sequence[ConceptRecord]) -> Gazetteer | None:
    """A ``linker.Gazetteer`` over ``ConceptRecord``s (``None`` when there are none)."""
    if not concepts:
        return None
    from linker.gazetteer import Gazetteer

    return Gazetteer(list(concepts))


def _encoder(config: TaggerConfig, vocab: CharVocab, pretrained: CharVectors | None,
             encoder_dir: Path | None) -> Encoder:
    enc = config.encoder
    if enc.kind == "char":
        weights = pretrained.char_vectors if pretrained is not None else None
        return CharEmbeddingEncoder(len(vocab), enc.dim, weights, freeze=enc.freeze)
    ids = {tok: vocab.id_of(tok) for tok in (CLS, SEP)}
    if encoder_dir is not None:
        from transformers import AutoConfig, AutoModel

        cfg = AutoConfig.from_pretrained(encoder_dir)
        try:
            model = AutoModel.from_config(cfg, add_pooling_layer=False)
        except TypeError:
            model = AutoModel.from_config(cfg)
        encoder = TransformersEncoder(model, ids[CLS], ids[SEP], vocab.pad_id)
    else:
        encoder = TransformersEncoder.build(enc.name_or_path, enc.bert_config, len(vocab),
                                            cls_id=ids[CLS], sep_id=ids[SEP], pad_id=vocab.pad_id)
    if enc.freeze:
        encoder.requires_grad_(False)
    return encoder


def build_tagger(config: TaggerConfig, vocab: CharVocab, bigrams: CharVocab, concepts: Sequence[ConceptRecord] = (),
                 kg: KgVectors | None = None, pretrained: CharVectors | None = None,
                 device: str | torch.device | None = "cpu", *, encoder_dir: Path | None = None,
                 kg_dim: int | None = None, lexicon: Sequence[tuple[str, str]] = (),
                 word_lexicon: WordLexicon | None = None) -> Tagger:
    """A tagger with fresh (or pretrained-initialised) weights.

    Raises:
        ValueError: If a transformers vocabulary lacks [CLS]/[SEP]/[MASK], or SoftLexicon features are on
            without a word lexicon.
    """
    if config.features.softlexicon and word_lexicon is None:
        raise ValueError("features.softlexicon is on: pass a word lexicon (medkg pretrain --kind words)")
    if config.encoder.kind == "transformers" and any(t not in vocab.index for t in (CLS, SEP, MASK)):
        raise ValueError("a transformers encoder needs [CLS], [SEP] and [MASK] in its vocabulary")
    dim = kg_dim if kg_dim is not None else (kg.dim if kg is not None and config.features.kg else 0)
    encoder = _encoder(config, vocab, pretrained, encoder_dir)
    bigram_weights = pretrained.bigram_vectors if pretrained is not None and config.features.semantic else None
    n_labels = len(label_list(config.types, config.head.scheme))
    words = word_lexicon.vector_table() if word_lexicon is not None and config.features.softlexicon else None
    module = TaggerModule(config, encoder, n_labels, len(bigrams), dim, bigram_weights, words)
    return Tagger(config, module, vocab, bigrams, build_gazetteer(concepts), kg.vectors if kg and dim else None, dim,
                  kg.run if kg else None, concepts, device, lexicon, word_lexicon)


def save_tagger(tagger: Tagger, out: str | Path, extra: Mapping[str, object] | None = None) -> Path:
    """Write a checkpoint folder (files are replaced atomically one by one)."""
    out = Path(out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in tagger.module.state_dict().items()}
    save_file(state, str(out / "model.safetensors.tmp"))
    os.replace(out / "model.safetensors.tmp", out / "model.safetensors")
    tagger.vocab.save(out / "vocab.json")
    tagger.bigrams.save(out / "bigrams.json")
    concepts = [[c.id, c.type, c.name, list(c.aliases)] for c in tagger.concepts]
    (out / "concepts.json").write_text(json.dumps(concepts, ensure_ascii=False), encoding="utf-8")
    if tagger.config.features.lexicon:
        (out / "lexicon.json").write_text(json.dumps(tagger.lexicon, ensure_ascii=False), encoding="utf-8")
    if tagger.config.features.softlexicon and tagger.word_lexicon is not None:
        tagger.word_lexicon.save(out / "word_lexicon.npz.tmp")
        os.replace(out / "word_lexicon.npz.tmp", out / "word_lexicon.npz")
    if tagger.kg_dim and tagger.featurizer.kg_row:
        rows = tagger.featurizer.kg_row
        vectors = {cid: tagger.featurizer.kg_matrix[r] for cid, r in rows.items()}
        save_kg_vectors(KgVectors(vectors, tagger.kg_run or "unknown"), out / "kg_vectors.npz")
    if isinstance(tagger.module.encoder, TransformersEncoder):
        tagger.module.encoder.model.config.save_pretrained(out / "encoder")
    meta = {"checkpoint_version": CHECKPOINT_VERSION, "feature_version": FEATURE_VERSION,
            "config": tagger.config.model_dump(mode="json"),
            "labels": tagger.labels if tagger.module.legacy else tagger.head_labels, "kg_dim": tagger.kg_dim,
            "kg_run": tagger.kg_run, "vocab_size": len(tagger.vocab), "bigram_size": len(tagger.bigrams),
            **(dict(extra) if extra else {})}
    (out / "config.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return out


def write_span_thresholds(folder: str | Path, report: Mapping[str, Calibration]) -> None:
    """Write calibrated span thresholds into a checkpoint's ``config.json`` (and the report beside them).

    Only ``config.head.span_thresholds``, ``config.head.span_nest_margins`` and the ``calibration`` entry
    change; the weights do not.

    Raises:
        CheckpointError: No readable ``config.json`` in ``folder``.
    """
    path = Path(folder).expanduser() / "config.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        head = meta["config"]["head"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{path}: not a tagger checkpoint's config ({exc})") from exc
    head["span_thresholds"] = {**head.get("span_thresholds", {}),
                               **{name: c.threshold for name, c in report.items()}}
    head["span_nest_margins"] = {**head.get("span_nest_margins", {}),
                                 **{name: c.nest_margin for name, c in report.items()}}
    meta["calibration"] = {**meta.get("calibration", {}), **{name: c.to_dict() for name, c in report.items()}}
    TaggerConfig.model_validate(meta["config"])
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def read_folder_meta(folder: Path, required: Sequence[str], what: str, error: type[ValueError]) -> dict[str, Any]:
    """``config.json`` of a checkpoint folder of any kind, after checking the folder and its files.

    Args:
        folder: The folder.
        required: Files that must be there.
        what: How errors name the folder ("checkpoint", "relation checkpoint").
        error: The exception to raise.

    Raises:
        error: No such folder, a required file missing, or ``config.json`` not JSON.
    """
    if not folder.is_dir():
        raise error(f"{folder}: not a {what} folder (no such directory)")
    missing = [f for f in required if not (folder / f).is_file()]
    if missing:
        raise error(f"{folder}: incomplete {what}, missing {', '.join(missing)}")
    try:
        meta: dict[str, Any] = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise error(f"{folder}/config.json: not JSON ({exc})") from exc
    return meta


def _read_meta(folder: Path) -> dict[str, Any]:
    meta = read_folder_meta(folder, _REQUIRED, "checkpoint", CheckpointError)
    version, features = meta.get("checkpoint_version"), meta.get("feature_version")
    readable = ", ".join(map(str, READABLE_CHECKPOINTS))
    newer = [what for what, value, mine in (("checkpoint", version, CHECKPOINT_VERSION),
                                            ("feature", features, FEATURE_VERSION))
             if isinstance(value, int) and value > mine]
    if newer:
        raise CheckpointError(f"{folder}: {' and '.join(newer)} version {version} / {features} is newer than this "
                              f"medkg reads (checkpoint versions {readable}, feature version {FEATURE_VERSION}): "
                              "upgrade medkg to load it")
    if version not in READABLE_CHECKPOINTS or features != FEATURE_VERSION:
        raise CheckpointError(f"{folder}: checkpoint version {version} / feature version {features}; this medkg "
                              f"reads {readable} / {FEATURE_VERSION}. Retrain with `medkg train`.")
    return meta


def load_tagger(folder: str | Path, kg_vectors: KgVectors | Mapping[str, np.ndarray] | None = None,
                device: str | torch.device | None = "cpu", threads: int | None = 0) -> Tagger:
    """Load a checkpoint folder in one call.

    Args:
        folder: The folder written by :func:`save_tagger` / ``medkg train``.
        kg_vectors: KG lookup to use instead of the stored ``kg_vectors.npz`` (same dimension).
        device: ``cpu``, ``cuda``, or ``None``/``auto``.
        threads: torch CPU threads at prediction; 0 = every core, ``None`` = leave torch alone.

    Raises:
        CheckpointError: Missing files, another version, or weights that do not fit the config.
    """
    folder = Path(folder).expanduser()
    meta = _read_meta(folder)
    from linker.records import ConceptRecord

    try:
        config = TaggerConfig.model_validate(meta["config"])
        concepts = [ConceptRecord(c[0], c[1], c[2], tuple(c[3])) for c in
                    json.loads((folder / "concepts.json").read_text(encoding="utf-8"))]
        vocab, bigrams = CharVocab.load(folder / "vocab.json"), CharVocab.load(folder / "bigrams.json")
        lexicon: list[tuple[str, str]] = []
        if config.features.lexicon:
            if not (folder / "lexicon.json").is_file():
                raise CheckpointError(f"{folder}: incomplete checkpoint, missing lexicon.json")
            lexicon = [(str(s), str(t)) for s, t in json.loads((folder / "lexicon.json").read_text(encoding="utf-8"))]
        word_lexicon = None
        if config.features.softlexicon:
            if not (folder / "word_lexicon.npz").is_file():
                raise CheckpointError(f"{folder}: incomplete checkpoint, missing word_lexicon.npz")
            word_lexicon = WordLexicon.load(folder / "word_lexicon.npz")
    except (KeyError, ValueError, IndexError) as exc:
        raise CheckpointError(f"{folder}: unreadable checkpoint ({exc})") from exc
    kg_dim = int(meta.get("kg_dim", 0))
    if isinstance(kg_vectors, Mapping):
        kg_vectors = KgVectors(dict(kg_vectors), "passed-in")
    if kg_vectors is None and kg_dim and (folder / "kg_vectors.npz").is_file():
        kg_vectors = load_kg_vectors(folder / "kg_vectors.npz")
    if kg_vectors is not None and kg_dim and kg_vectors.dim != kg_dim:
        raise CheckpointError(f"KG vectors have {kg_vectors.dim} dimensions, the model was trained with {kg_dim}")
    encoder_dir = folder / "encoder" if config.encoder.kind == "transformers" else None
    if encoder_dir is not None and not (encoder_dir / "config.json").is_file():
        raise CheckpointError(f"{folder}: incomplete checkpoint, missing encoder/config.json")
    tagger = build_tagger(config, vocab, bigrams, concepts, kg_vectors if kg_dim else None, None, device,
                          encoder_dir=encoder_dir, kg_dim=kg_dim, lexicon=lexicon, word_lexicon=word_lexicon)
    try:
        tagger.module.load_state_dict(load_file(str(folder / "model.safetensors")))
    except (RuntimeError, OSError) as exc:
        raise CheckpointError(f"{folder}/model.safetensors does not fit config.json: {exc}") from exc
    tagger.module.to(tagger.device).eval()
    tagger.threads = (os.cpu_count() or 1) if threads == 0 else threads
    return tagger
