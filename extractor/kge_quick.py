"""A small TransE trainer (torch) for the tagger's own experiments, and the KG-vector file format.

The project's KGE pipeline lives in ``embeddings/`` (pykeen; ``medkg kge-vectors`` writes its vectors in
this file format). The small trainer here came first and is kept as the comparison row of Table 8.
Vectors are a plain lookup ``dict[concept id, np.ndarray]`` stored as ``.npz`` with ``ids`` (strings)
and ``vectors`` (N, D).

Example:
    >>> lookup = train_transe([("Disease:胃炎", "HAS_SYMPTOM", "Symptom:腹痛")], KgeQuickConfig(dim=4, epochs=1))
    >>> sorted(lookup.vectors)
    ['Disease:胃炎', 'Symptom:腹痛']
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.config import ClosedConfig
from core.progress import ProgressFactory, start
from extractor.threads import keeps_torch_threads

__all__ = ["KgVectors", "KgeQuickConfig", "load_kg_vectors", "save_kg_vectors", "train_transe"]


class KgeQuickConfig(ClosedConfig):
    """TransE settings (margin ranking loss, L2 distance, one corrupted entity per positive)."""

    dim: int = 100
    """Vector size."""
    epochs: int = 30
    """Passes over the triples."""
    batch_size: int = 4096
    """Triples per step."""
    lr: float = 0.01
    """Adam learning rate."""
    margin: float = 1.0
    """Ranking margin."""
    seed: int = 13
    """Random seed."""
    threads: int = 1
    """torch intra-op threads."""


@dataclass
class KgVectors:
    """Concept vectors keyed by concept id, with a run id naming how they were made."""

    vectors: dict[str, np.ndarray]
    run: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        """Vector size (0 when empty)."""
        return len(next(iter(self.vectors.values()))) if self.vectors else 0


def save_kg_vectors(kg: KgVectors, path: str | Path) -> None:
    """Write ``ids``, ``vectors``, ``run`` and ``meta`` (JSON) to one ``.npz``."""
    ids = sorted(kg.vectors)
    matrix = np.stack([kg.vectors[i] for i in ids]).astype(np.float32) if ids else np.zeros((0, 0), np.float32)
    np.savez(path, ids=np.array(ids), vectors=matrix, run=np.array(kg.run),
             meta=np.array(json.dumps(kg.meta, ensure_ascii=False)))


def load_kg_vectors(path: str | Path) -> KgVectors:
    """Read an ``.npz`` with ``ids`` and ``vectors`` (``run``/``meta`` optional).

    Raises:
        ValueError: If the arrays are missing or their lengths disagree.
    """
    with np.load(path, allow_pickle=False) as z:
        if "ids" not in z or "vectors" not in z:
            raise ValueError(f"{path}: a KG vector file needs 'ids' and 'vectors' arrays")
        ids, matrix = [str(i) for i in z["ids"]], z["vectors"].astype(np.float32)
        if matrix.ndim != 2 or len(ids) != len(matrix):
            raise ValueError(f"{path}: {len(ids)} ids but vectors of shape {matrix.shape}")
        run = str(z["run"]) if "run" in z else hashlib.sha256(matrix.tobytes()).hexdigest()[:12]
        meta = json.loads(str(z["meta"])) if "meta" in z else {}
    return KgVectors(dict(zip(ids, matrix, strict=True)), run, meta)


@keeps_torch_threads
def train_transe(triples: Sequence[tuple[str, str, str]], config: KgeQuickConfig | None = None,
                 progress: ProgressFactory | None = None) -> KgVectors:
    """TransE over (head id, relation, tail id) triples; returns unit-normalised entity vectors.

    ``progress`` (:mod:`core.progress`) gets a bar over the epochs.
    """
    cfg = config or KgeQuickConfig()
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    entities = sorted({t[0] for t in triples} | {t[2] for t in triples})
    relations = sorted({t[1] for t in triples})
    e_idx = {e: i for i, e in enumerate(entities)}
    r_idx = {r: i for i, r in enumerate(relations)}
    data = torch.tensor([[e_idx[h], r_idx[r], e_idx[t]] for h, r, t in triples], dtype=torch.long)
    ent = torch.nn.Embedding(len(entities), cfg.dim)
    rel = torch.nn.Embedding(len(relations), cfg.dim)
    torch.nn.init.xavier_uniform_(ent.weight)
    torch.nn.init.xavier_uniform_(rel.weight)
    opt = torch.optim.Adam([*ent.parameters(), *rel.parameters()], lr=cfg.lr)
    started, loss_value = time.monotonic(), float("nan")
    advance = start(progress, "TransE", cfg.epochs)
    for _ in range(cfg.epochs):
        for batch in data[torch.randperm(len(data))].split(cfg.batch_size):
            with torch.no_grad():
                ent.weight.data = torch.nn.functional.normalize(ent.weight.data, dim=-1)
            h, r, t = ent(batch[:, 0]), rel(batch[:, 1]), ent(batch[:, 2])
            corrupt = torch.randint(len(entities), (len(batch),))
            head_side = torch.rand(len(batch)) < 0.5
            h2 = torch.where(head_side[:, None], ent(corrupt), h)
            t2 = torch.where(head_side[:, None], t, ent(corrupt))
            pos, neg = (h + r - t).norm(dim=-1), (h2 + r - t2).norm(dim=-1)
            loss = torch.relu(cfg.margin + pos - neg).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_value = float(loss.detach())
        advance(1)
    matrix = torch.nn.functional.normalize(ent.weight.detach(), dim=-1).numpy()
    digest = hashlib.sha256(json.dumps([cfg.model_dump(), len(triples)]).encode()).hexdigest()[:8]
    meta = {"model": "TransE(extractor.kge_quick)", "entities": len(entities), "triples": len(triples),
            "loss": loss_value, "seconds": round(time.monotonic() - started, 1), "config": cfg.model_dump()}
    return KgVectors({e: matrix[i] for i, e in enumerate(entities)}, f"transe-quick-{digest}", meta)
