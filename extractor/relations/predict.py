"""The trained relation classifier, and its checkpoint folder.

A checkpoint folder holds:

| file | content |
|---|---|
| ``config.json`` | checkpoint version, :class:`RelationConfig`, labels (``none`` first), schema, threshold |
| ``model.safetensors`` | the module's weights |
| ``vocab.json`` | the character vocabulary with the four markers |
| ``encoder/config.json`` | the transformers config (``transformers`` encoders only) |

Example:
    >>> clf = load_relation_classifier("~/.local/share/medkg/models/relations")  # doctest: +SKIP
    >>> clf.predict(candidates, texts)  # doctest: +SKIP
    ['临床表现', 'none']
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

from extractor.checkpoint import read_folder_meta
from extractor.encoders import CharEmbeddingEncoder, Encoder, TransformersEncoder
from extractor.relations.config import RELATION_CHECKPOINT_VERSION, RelationConfig
from extractor.relations.data import NONE, Candidate, Schema
from extractor.relations.model import (
    MARKERS,
    RelationModule,
    SharedPairModule,
    SharedRow,
    batch_tensors,
    mark,
    shared_tensors,
    shared_window,
    with_markers,
)
from extractor.vocab import CLS, SEP, CharVocab, checkpoint_vocabulary

if TYPE_CHECKING:
    from extractor.pretrain_emb import CharVectors

__all__ = ["RelationCheckpointError", "RelationClassifier", "build_relation_classifier", "entity_types",
           "load_relation_classifier", "read_relation_meta", "save_relation_classifier"]

_REQUIRED = ("config.json", "model.safetensors", "vocab.json")


class RelationCheckpointError(ValueError):
    """A relation checkpoint folder is incomplete, from another version, or does not fit its config."""


class RelationClassifier:
    """Module + vocabulary + labels + schema: candidates in, one label each out.

    Args:
        config: The config the module was built from.
        module: The network.
        vocab: Characters and markers.
        labels: Output classes, ``none`` first.
        schema: Predicates allowed per type signature (others are masked out).
        device: Where the module runs.
        threshold: A candidate is a relation when the (schema-masked) probability of ``none`` is below it.
    """

    def __init__(self, config: RelationConfig, module: RelationModule | SharedPairModule, vocab: CharVocab,
                 labels: Sequence[str],
                 schema: Schema, device: str | torch.device | None = "cpu", threshold: float = 0.5) -> None:
        if not labels or labels[0] != NONE:
            raise ValueError(f"labels must start with {NONE!r}")
        self.config, self.module, self.vocab = config, module, vocab
        self.labels = list(labels)
        self.schema = schema
        self.device = torch.device("cuda" if device in (None, "auto") and torch.cuda.is_available()
                                   else "cpu" if device in (None, "auto") else device)
        self.module.to(self.device)
        self.threshold = threshold
        self._index = {label: i for i, label in enumerate(self.labels)}
        self.type_index = {t: i + 1 for i, t in enumerate(entity_types(schema))}

    def encode(self, c: Candidate, text: str) -> tuple[list[int], tuple[int, int, int, int]]:
        """Marked token ids and marker positions of one candidate (``markers`` pairing)."""
        return mark(text, c.subject, c.object, self.vocab, self.config.max_len)

    def encode_all(self, candidates: Sequence[Candidate], texts: Mapping[str, str]) -> list[Any]:
        """One model row per candidate: :meth:`encode` (``markers``) or a :data:`SharedRow` (``shared``)."""
        if self.config.pairing == "markers":
            return [self.encode(c, texts[c.sentence_id]) for c in candidates]
        chars: dict[tuple[str, int, int], tuple[int, ...]] = {}
        rows: list[SharedRow] = []
        for c in candidates:
            text, s, o = texts[c.sentence_id], c.subject, c.object
            if s.start < o.end and o.start < s.end:
                raise ValueError(f"subject {s.text!r} and object {o.text!r} overlap")
            lo, hi = shared_window(len(text), min(s.start, o.start), max(s.end, o.end), self.config.max_len)
            key = (c.sentence_id, lo, hi)
            if key not in chars:
                chars[key] = tuple(self.vocab.encode(text[lo:hi]))

            def clip(a: int, b: int, lo: int = lo, hi: int = hi) -> tuple[int, int]:
                a = min(max(a, lo), hi - 1)
                return a - lo, max(a + 1, min(b, hi)) - lo

            pos = (*clip(s.start, s.end), *clip(o.start, o.end))
            rows.append((key, chars[key], pos, (self.type_index.get(s.type, 0), self.type_index.get(o.type, 0))))
        return rows

    def logits(self, rows: Sequence[Any]) -> torch.Tensor:
        """Module output for rows from :meth:`encode_all` (on the module's device)."""
        tensors = (batch_tensors(list(rows), self.vocab.pad_id, self.device) if self.config.pairing == "markers"
                   else shared_tensors(rows, self.vocab.pad_id, self.device))
        logits: torch.Tensor = self.module(*tensors)
        return logits

    def order(self, rows: Sequence[Any]) -> list[int]:
        """Row indices in batching order: by length, and (``shared``) a sentence's candidates together."""
        if self.config.pairing == "markers":
            return sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
        return sorted(range(len(rows)), key=lambda i: (len(rows[i][1]), rows[i][0]))

    def allowed_mask(self, candidates: Sequence[Candidate]) -> np.ndarray:
        """(N, n_labels) bool: ``none`` and the predicates the schema allows for each signature."""
        out = np.zeros((len(candidates), len(self.labels)), dtype=bool)
        out[:, 0] = True
        for i, c in enumerate(candidates):
            for p in self.schema.predicates_for(c.subject.type, c.object.type):
                j = self._index.get(p)
                if j is not None:
                    out[i, j] = True
        return out

    @torch.no_grad()
    def predict_proba(self, candidates: Sequence[Candidate], texts: Mapping[str, str], batch_size: int = 64
                      ) -> np.ndarray:
        """(N, n_labels) probabilities, softmax over the schema-allowed labels only."""
        self.module.eval()
        out = np.zeros((len(candidates), len(self.labels)), dtype=np.float32)
        if not candidates:
            return out
        rows = self.encode_all(candidates, texts)
        order = self.order(rows)
        allowed = torch.from_numpy(self.allowed_mask(candidates))
        for k in range(0, len(order), batch_size):
            idx = order[k:k + batch_size]
            logits = self.logits([rows[i] for i in idx]).cpu()
            logits = logits.masked_fill(~allowed[idx], float("-inf"))
            out[idx] = torch.softmax(logits, -1).numpy()
        return out

    def decide(self, proba: np.ndarray, threshold: float | None = None) -> list[str]:
        """Labels from :meth:`predict_proba` output: the best predicate when ``P(none) < threshold``."""
        tau = self.threshold if threshold is None else threshold
        best = proba[:, 1:].argmax(1) + 1 if proba.shape[1] > 1 else np.zeros(len(proba), dtype=int)
        return [self.labels[b] if p0 < tau and b else NONE for p0, b in zip(proba[:, 0], best, strict=True)]

    def predict(self, candidates: Sequence[Candidate], texts: Mapping[str, str], batch_size: int = 64) -> list[str]:
        """One predicate or ``none`` per candidate (labels on the input are ignored)."""
        return self.decide(self.predict_proba(candidates, texts, batch_size))


def entity_types(schema: Schema) -> list[str]:
    """The schema's subject and object types, sorted (type ids of the ``shared`` pairing are 1 + index)."""
    return sorted({r[0] for r in schema.rows} | {r[2] for r in schema.rows})


def _vocab(config: RelationConfig, texts: Sequence[str], pretrained: CharVectors | None) -> CharVocab:
    enc = config.encoder
    if enc.kind == "transformers":
        if enc.vocab_path is None and enc.name_or_path is None:  # a fresh model (bert_config): own vocabulary
            base = CharVocab.build(texts, min_count=config.train.min_char_count)  # has [CLS]/[SEP]/[MASK]
        else:  # the checkpoint's own ids for every character; markers are appended after them
            base = checkpoint_vocabulary(enc.name_or_path, enc.vocab_path)
    elif pretrained is not None:
        base = pretrained.chars
    else:
        base = CharVocab.build(texts, min_count=config.train.min_char_count)
    return with_markers(base)


def _encoder(config: RelationConfig, vocab: CharVocab, pretrained: CharVectors | None,
             encoder_dir: Path | None) -> Encoder:
    enc = config.encoder
    if enc.kind == "char":
        weights = None
        if pretrained is not None:
            base = pretrained.char_vectors.astype(np.float32)
            rng = np.random.default_rng(0)
            extra = rng.normal(0.0, float(base.std()) or 0.1, (len(vocab) - len(base), base.shape[1]))
            weights = np.concatenate([base, extra.astype(np.float32)])
        return CharEmbeddingEncoder(len(vocab), enc.dim, weights, freeze=enc.freeze)
    ids = {tok: vocab.id_of(tok) for tok in (CLS, SEP)}
    if encoder_dir is not None:
        from transformers import AutoConfig, AutoModel

        cfg = AutoConfig.from_pretrained(encoder_dir)
        try:  # as saved by TransformersEncoder.build: no pooler
            model = AutoModel.from_config(cfg, add_pooling_layer=False)
        except TypeError:
            model = AutoModel.from_config(cfg)
        encoder = TransformersEncoder(model, ids[CLS], ids[SEP], vocab.pad_id)
    else:
        encoder = TransformersEncoder.build(enc.name_or_path, enc.bert_config, len(vocab), cls_id=ids[CLS],
                                            sep_id=ids[SEP], pad_id=vocab.pad_id)
    if encoder.model.get_input_embeddings().num_embeddings != len(vocab):
        encoder.model.resize_token_embeddings(len(vocab))
    if enc.freeze:
        encoder.requires_grad_(False)
    return encoder


def build_relation_classifier(config: RelationConfig, labels: Sequence[str], schema: Schema, *,
                              texts: Sequence[str] = (), vocab: CharVocab | None = None,
                              pretrained: CharVectors | None = None, device: str | torch.device | None = "cpu",
                              encoder_dir: Path | None = None
                              ) -> RelationClassifier:
    """A classifier with fresh (or pretrained-initialised) weights.

    Args:
        config: The classifier config.
        labels: ``none`` first, then the predicates.
        schema: Allowed signatures.
        texts: Training texts (for the character vocabulary when neither ``vocab`` nor pretrained vectors are given).
        vocab: A vocabulary to use as is (markers are appended when missing).
        pretrained: ``extractor.pretrain_emb.CharVectors`` (``char`` encoders).
        device: Where the module runs.
        encoder_dir: A saved transformers config (loading a checkpoint).

    Raises:
        ValueError: If a transformers vocabulary lacks [CLS]/[SEP], or pretrained vectors do not fit ``dim``.
    """
    vocab = with_markers(vocab) if vocab is not None else _vocab(config, texts, pretrained)
    if config.encoder.kind == "transformers" and any(t not in vocab.index for t in (CLS, SEP)):
        raise ValueError("a transformers encoder needs [CLS] and [SEP] in its vocabulary")
    if pretrained is not None and pretrained.char_vectors.shape[1] != config.encoder.dim:
        raise ValueError(f"pretrained vectors have {pretrained.char_vectors.shape[1]} dimensions, "
                         f"encoder.dim is {config.encoder.dim}")
    encoder = _encoder(config, vocab, pretrained, encoder_dir)
    module = (RelationModule(config, encoder, len(labels)) if config.pairing == "markers"
              else SharedPairModule(config, encoder, len(labels), len(entity_types(schema))))
    return RelationClassifier(config, module, vocab, labels, schema, device)


def save_relation_classifier(clf: RelationClassifier, out: str | Path, extra: Mapping[str, object] | None = None
                             ) -> Path:
    """Write a checkpoint folder (each file replaced atomically)."""
    out = Path(out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in clf.module.state_dict().items()}
    save_file(state, str(out / "model.safetensors.tmp"))
    os.replace(out / "model.safetensors.tmp", out / "model.safetensors")
    clf.vocab.save(out / "vocab.json")
    if isinstance(clf.module.encoder, TransformersEncoder):
        clf.module.encoder.model.config.save_pretrained(out / "encoder")
    meta = {"relation_checkpoint_version": RELATION_CHECKPOINT_VERSION, "markers": list(MARKERS),
            "config": clf.config.model_dump(mode="json"), "labels": clf.labels,
            "schema": [list(r) for r in clf.schema.rows], "threshold": clf.threshold, "vocab_size": len(clf.vocab),
            **(dict(extra) if extra else {})}
    (out / "config.json.tmp").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(out / "config.json.tmp", out / "config.json")
    return out


def read_relation_meta(folder: str | Path) -> dict[str, Any]:
    """The ``config.json`` of a relation checkpoint folder, after checking its files and version.

    Raises:
        RelationCheckpointError: Missing folder or files, not JSON, or another checkpoint version.
    """
    folder = Path(folder).expanduser()
    meta = read_folder_meta(folder, _REQUIRED, "relation checkpoint", RelationCheckpointError)
    version = meta.get("relation_checkpoint_version")
    if version != RELATION_CHECKPOINT_VERSION:
        raise RelationCheckpointError(f"{folder}: relation checkpoint version {version}; this medkg reads version "
                                      f"{RELATION_CHECKPOINT_VERSION}. Retrain the relation classifier.")
    return meta


def load_relation_classifier(folder: str | Path, device: str | torch.device | None = "cpu") -> RelationClassifier:
    """Load a folder written by :func:`save_relation_classifier`.

    Raises:
        RelationCheckpointError: Missing files, another version, or weights that do not fit the config.
    """
    folder = Path(folder).expanduser()
    meta = read_relation_meta(folder)
    try:
        config = RelationConfig.model_validate(meta["config"])
        labels = [str(x) for x in meta["labels"]]
        schema = Schema(tuple((str(s), str(p), str(o)) for s, p, o in meta["schema"]))
        vocab = CharVocab.load(folder / "vocab.json")
        threshold = float(meta["threshold"])
    except (KeyError, ValueError, TypeError) as exc:
        raise RelationCheckpointError(f"{folder}: unreadable relation checkpoint ({exc})") from exc
    encoder_dir = folder / "encoder" if config.encoder.kind == "transformers" else None
    if encoder_dir is not None and not (encoder_dir / "config.json").is_file():
        raise RelationCheckpointError(f"{folder}: incomplete relation checkpoint, missing encoder/config.json")
    clf = build_relation_classifier(config, labels, schema, vocab=vocab, device=device, encoder_dir=encoder_dir)
    try:
        clf.module.load_state_dict(load_file(str(folder / "model.safetensors")))
    except (RuntimeError, OSError) as exc:
        raise RelationCheckpointError(f"{folder}/model.safetensors does not fit config.json: {exc}") from exc
    clf.threshold = threshold
    clf.module.to(clf.device).eval()
    return clf
