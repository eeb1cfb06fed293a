"""``cbt-kg-tagger``: the trained CBT-KG tagger as an ``ner`` plugin, with KG vectors from the host.

The checkpoint (``medkg train --out DIR``) is loaded on first use. Its ``artifact_sha256`` is the
SHA-256 of ``model.safetensors``; a host that stored the plugin with a checksum refuses weights that
changed since.

KG vectors (``kg_source``):

- ``graph`` (the watcher's default): before each batch the tagger's gazetteer finds the concepts
  matched in the batch's texts, and the vectors of those not seen before are fetched through the
  context's ``kg_vectors(property, run, ids)`` (one query per batch against the graph, which caches
  per embedding run). Only the embedding run the checkpoint was trained with (``kge_run``) is asked
  for, fold-in vectors of that run included; a concept without one gets the learned "no vector"
  input. The checkpoint's own stored vectors are not used, so the fused input is the graph's.
- ``checkpoint``: the vectors stored in the checkpoint (``kg_vectors.npz``), as at training time.

Versions: ``cbt-kg-tagger@1`` runs one-schema checkpoints (CCKS 2019's six types, flat spans) and refuses
others; ``cbt-kg-tagger@2`` (:class:`MultiSchemaTaggerPlugin`, what ``medkg train --out DIR`` registers)
runs both, and a checkpoint with a head per annotated corpus reports the merged mention types (Symptom,
Procedure, Equipment, Microorganism, Department beside the six) with a span head's nested spans as
separate mentions. A one-schema checkpoint of another corpus (CCKS 2017, CMeEE) reports its types as
mention types too (``linker.typemap.CORPUS_TYPE_MAP``: 症状和体征 -> Symptom, ``mic`` -> Microorganism).
Registering version 2 where version 1 has run gives new mentions under a new extractor id; the
provenance machinery supersedes the old ones as for any new version.

Example:
    >>> plugin = TaggerPlugin("~/.local/share/medkg/models/cbt-kg")  # doctest: +SKIP
    >>> plugin.extract([ExtractionRecord("emr-1", "患者因胃癌入院")])[0].spans  # doctest: +SKIP
    (SpanResult(start=3, end=5, type='Disease', score=0.99, text='胃癌'),)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, Field

from core.config import ClosedConfig
from extractor.plugin import ExtractionRecord, PluginKind, RecordResult, SpanResult, as_record

__all__ = ["MultiSchemaTaggerPlugin", "TaggerPlugin", "TaggerPluginConfig", "checkpoint_kg_run",
           "checkpoint_schemas", "weights_sha256"]


def weights_sha256(model_dir: str | Path, what: str = "tagger checkpoint") -> str:
    """SHA-256 of a checkpoint's ``model.safetensors``.

    Raises:
        FileNotFoundError: The folder has no ``model.safetensors`` (the message names ``what`` it should be).
    """
    path = Path(model_dir).expanduser() / "model.safetensors"
    if not path.is_file():
        raise FileNotFoundError(f"{path.parent}: not a {what} (no model.safetensors)")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checkpoint_kg_run(model_dir: str | Path) -> tuple[str | None, int]:
    """``(kg_run, kg_dim)`` recorded in a checkpoint's ``config.json`` (``(None, 0)`` without KG fusion).

    Raises:
        FileNotFoundError: No ``config.json`` in the folder.
    """
    meta = _checkpoint_meta(model_dir)
    return meta.get("kg_run"), int(meta.get("kg_dim") or 0)


def _checkpoint_meta(model_dir: str | Path) -> dict[str, Any]:
    path = Path(model_dir).expanduser() / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path.parent}: not a tagger checkpoint (no config.json)")
    meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return meta


def checkpoint_schemas(model_dir: str | Path) -> tuple[str, ...]:
    """The annotation schemas of a checkpoint's heads (empty: a one-schema checkpoint).

    Raises:
        FileNotFoundError: No ``config.json`` in the folder.
    """
    meta = _checkpoint_meta(model_dir)
    tagger = meta.get("config", meta)
    return tuple(s["name"] for s in tagger.get("schemas", ()))


class TaggerPluginConfig(ClosedConfig):
    """Settings of ``cbt-kg-tagger``."""

    model_dir: str
    """Checkpoint folder."""
    batch_size: int = Field(default=32, ge=1)
    """Windows per forward pass."""
    min_score: float = Field(default=0.0, ge=0.0, le=1.0)
    """Spans scoring below this are dropped."""
    kg_source: Literal["graph", "checkpoint"] = "checkpoint"
    """Where KG vectors come from (see the module docstring)."""
    kge_property: str | None = None
    """Node property of the vectors in the graph (``kge_transe``); needed with ``kg_source='graph'``."""
    kge_run: str | None = None
    """Embedding run id to fetch; default the checkpoint's ``kg_run``."""


class TaggerPlugin:
    """The CBT-KG tagger as an ``ner`` plugin; the checkpoint is loaded on first use.

    Args:
        model_dir: Checkpoint folder (``medkg train --out``), or a :class:`TaggerPluginConfig`.
        kg_vectors: KG lookup by concept id to use instead of the checkpoint's own vectors.
        batch_size: Windows per forward pass.
        device: ``cpu``, ``cuda`` or ``auto``.
        min_score: Spans scoring below this are dropped.
        context: The host's :class:`~extractor.plugins.context.PluginContext` (``kg_source='graph'``).
    """

    name: ClassVar[str] = "cbt-kg-tagger"
    version: ClassVar[str] = "1"
    kind: ClassVar[PluginKind] = "ner"
    Config: ClassVar[type[BaseModel]] = TaggerPluginConfig
    uses_torch: ClassVar[bool] = True
    """The host resolves ``device`` (CUDA or CPU) before building it."""
    multi_schema: ClassVar[bool] = False
    """Whether checkpoints with a head per annotated corpus are accepted (version 2)."""

    def __init__(self, model_dir: str | Path | TaggerPluginConfig, kg_vectors: Mapping[str, np.ndarray] | None = None,
                 batch_size: int = 32, device: str = "cpu", min_score: float = 0.0,
                 context: Any = None) -> None:  # PluginContext
        if isinstance(model_dir, TaggerPluginConfig):
            settings = model_dir
        else:
            settings = TaggerPluginConfig(model_dir=str(model_dir), batch_size=batch_size, min_score=min_score)
        self.settings, self.context, self.kg_vectors = settings, context, kg_vectors
        self.model_dir = Path(settings.model_dir).expanduser()
        self.device = context.device if context is not None else device
        self._tagger: Any = None
        self._asked: set[str] = set()
        self._graph_vectors: dict[str, np.ndarray] = {}
        self.kg_stats = {"fetched": 0, "asked": 0}
        """Concept ids asked of the host and vectors it returned (``kg_source='graph'``)."""

    @classmethod
    def config_from_model(cls, model_dir: Path, options: Mapping[str, Any],
                          embedding_runs: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
        """The config for a checkpoint folder (``medkg plugins register cbt-kg-tagger --model DIR``).

        With KG fusion, the checkpoint's ``kg_run`` is looked up in ``embedding_runs`` (the graph's runs by
        id, each with its ``property``; ``None`` without a graph leaves the plugin's default source); when
        the graph has it, the tagger fetches its vectors from the graph (``kg_source='graph'``), else it
        keeps the checkpoint's stored vectors and says why under ``note``.
        ``options`` (the user's ``--config``) win over what the folder suggests.

        Raises:
            FileNotFoundError: ``model_dir`` is not a checkpoint.
            ValueError: Its ``config.json`` is not JSON, or version 1 is given a several-schema checkpoint.
        """
        cls._check_schemas(model_dir)
        kg_run, kg_dim = checkpoint_kg_run(model_dir)
        config: dict[str, Any] = {"model_dir": str(Path(model_dir).expanduser().resolve()), **options}
        if kg_dim and embedding_runs is not None and "kg_source" not in options:
            run = embedding_runs.get(kg_run) if kg_run else None
            if run is not None and run.get("property"):
                config |= {"kg_source": "graph", "kge_property": run["property"], "kge_run": kg_run}
            else:
                config |= {"kg_source": "checkpoint",
                           "note": f"the graph has no embedding run {kg_run!r}; the checkpoint's own KG vectors are "
                                   "used (medkg embed import puts them in the graph)"}
        return config

    @classmethod
    def _check_schemas(cls, model_dir: str | Path) -> None:
        schemas = checkpoint_schemas(model_dir)
        if schemas and not cls.multi_schema:
            raise ValueError(f"{model_dir}: a checkpoint with heads for {', '.join(schemas)} needs {cls.name} "
                             f"version 2 (register it without --version, or with --version 2)")

    @classmethod
    def artifact_sha256(cls, config: TaggerPluginConfig) -> str:
        """The checkpoint's weights hash.

        Raises:
            FileNotFoundError: The folder is not a checkpoint.
            ValueError: Version 1 is given a several-schema checkpoint.
        """
        cls._check_schemas(config.model_dir)
        return weights_sha256(config.model_dir)

    @property
    def batch_size(self) -> int:
        """Windows per forward pass."""
        return self.settings.batch_size

    @property
    def min_score(self) -> float:
        """Spans below this score are dropped."""
        return self.settings.min_score

    @property
    def config(self) -> dict[str, Any]:
        """The resolved settings (and the KG run in use once loaded)."""
        data = self.settings.model_dump(mode="json")
        if self._tagger is not None:
            data["kg_run_in_use"] = self._tagger.kg_run
        return data

    @property
    def kge_run(self) -> str | None:
        """The embedding run asked of the graph."""
        return self.settings.kge_run or checkpoint_kg_run(self.model_dir)[0]

    @property
    def tagger(self) -> Any:  # extractor.predict.Tagger, imported lazily (torch)
        """The loaded tagger."""
        if self._tagger is None:
            from extractor.checkpoint import load_tagger

            threads = self.context.threads if self.context is not None else 0
            tagger = load_tagger(self.model_dir, self.kg_vectors, device=self.device, threads=threads)
            if self._uses_graph(tagger):
                tagger.set_kg_vectors({}, self.kge_run)  # the graph's vectors only, fetched per batch
            self._tagger = tagger
        return self._tagger

    def _uses_graph(self, tagger: Any) -> bool:
        return bool(self.settings.kg_source == "graph" and tagger.kg_dim and self.kg_vectors is None)

    def _fetch_kg_vectors(self, texts: Sequence[str]) -> None:
        tagger = self.tagger
        if not self._uses_graph(tagger):
            return
        if self.context is None or self.context.kg_vectors is None or not self.settings.kge_property:
            raise RuntimeError("cbt-kg-tagger with kg_source='graph' needs a host that serves KG vectors and "
                               "a kge_property in its config")
        gazetteer = tagger.featurizer.gazetteer
        wanted = {m.concept_id for text in texts if text for m in gazetteer.segment(text).spans} if gazetteer else set()
        missing = sorted(wanted - self._asked)
        if not missing:
            return
        found = self.context.kg_vectors(self.settings.kge_property, self.kge_run, missing)
        self._asked.update(missing)
        self.kg_stats["asked"] += len(missing)
        self.kg_stats["fetched"] += len(found)
        if found:
            self._graph_vectors.update({cid: np.asarray(vec, dtype=np.float32) for cid, vec in found.items()})
            tagger.set_kg_vectors(self._graph_vectors, self.kge_run)

    def extract(self, records: Sequence[ExtractionRecord | Mapping[str, Any]]) -> list[RecordResult]:
        """Spans per record (records may be :class:`ExtractionRecord`, mappings or objects with id/text).

        Raises:
            TypeError: If a record's text is not a string.
        """
        recs = [as_record(r) for r in records]
        for r in recs:
            if not isinstance(r.text, str):
                raise TypeError(f"record {r.id!r}: text must be str, got {type(r.text).__name__}")
        self._fetch_kg_vectors([r.text for r in recs])
        predicted = self.tagger.predict([r.text for r in recs], batch_size=self.batch_size)
        kind = self._mention_types()
        return [RecordResult(r.id, tuple(SpanResult(s.start, s.end, kind.get(s.type, s.type), round(float(s.score), 4),
                                                    r.text[s.start:s.end])
                                         for s in spans if s.score >= self.min_score))
                for r, spans in zip(recs, predicted, strict=True)]

    def _mention_types(self) -> Mapping[str, str]:
        """A one-schema model's corpus types -> mention types (a several-schema model's output has them)."""
        from linker.typemap import CORPUS_TYPE_MAP

        config = self.tagger.config
        return {} if config.schemas else CORPUS_TYPE_MAP.get(config.schema_name, {})


class MultiSchemaTaggerPlugin(TaggerPlugin):
    """``cbt-kg-tagger@2``: any checkpoint, the several-schema default model included (module docstring)."""

    version: ClassVar[str] = "2"
    multi_schema: ClassVar[bool] = True
