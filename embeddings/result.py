"""The result of a KGE training run: :class:`EmbeddingResult`.

It holds vectors, losses, metrics, timings, resolved config and package versions, and saves itself
to a folder and loads back.

Example:
    >>> result = train_embeddings(triples, KGEConfig(dim=4, epochs=5))  # doctest: +SKIP
    >>> result.entity_embeddings["Disease:糖尿病"].shape  # doctest: +SKIP
    (4,)
    >>> result.save(Path("runs/transe"))  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.versions import package_versions
from embeddings.evaluation import EvaluationReport, RankingMetrics, RelationReport, SideMetrics
from embeddings.foldin import EntityConstraint
from embeddings.triples import SplitSummary

__all__ = ["VECTOR_PACKAGES", "EmbeddingResult", "TrainingSummary"]

_JSON = "result.json"
_ARRAYS = "vectors.npz"


#: The distributions that decide the vectors; their versions (and Python's) are stamped on each result.
VECTOR_PACKAGES = ("torch", "pykeen", "numpy")


@dataclass(frozen=True)
class TrainingSummary:
    """How training went: epochs, early stopping and the validation curve."""

    epochs_requested: int
    epochs_trained: int
    best_epoch: int | None
    """Epoch whose weights were kept (the best validation MRR), or ``None`` without validation."""
    stopped_early: bool
    """Whether early stopping ended training before ``epochs_requested``."""
    validation_mrr: list[tuple[int, float]] = field(default_factory=list)
    """(epoch, both-sides filtered MRR on the validation sample) at each check."""


@dataclass
class EmbeddingResult:
    """Vectors and everything needed to judge and reproduce them.

    Entity ``i`` is ``entities[i]`` with vector ``entity_vectors[i]``; the same for relations.
    ``relation_offsets`` (translation models only) are the entity-space offsets used for fold-in
    (``embeddings.foldin``); ``None`` for other models.
    """

    model: str
    key: str
    family: str | None
    dim: int
    entities: list[str]
    entity_vectors: np.ndarray
    relations: list[str]
    relation_vectors: np.ndarray
    relation_offsets: np.ndarray | None
    constraint: EntityConstraint | None
    losses: list[float]
    training: TrainingSummary
    split: SplitSummary
    evaluation: EvaluationReport | None
    timings: dict[str, float]
    config: dict[str, Any]
    triples_sha256: str
    versions: dict[str, str | None] = field(default_factory=functools.partial(package_versions, *VECTOR_PACKAGES))

    @property
    def entity_embeddings(self) -> dict[str, np.ndarray]:
        """Entity label -> vector."""
        return dict(zip(self.entities, self.entity_vectors, strict=True))

    @property
    def relation_embeddings(self) -> dict[str, np.ndarray]:
        """Relation label -> vector (the translation vector of translation models)."""
        return dict(zip(self.relations, self.relation_vectors, strict=True))

    @property
    def seconds_per_epoch(self) -> float:
        """Training seconds per epoch (validation checks excluded)."""
        return self.timings.get("seconds_per_epoch", 0.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary without the vectors."""
        return {
            "model": self.model, "key": self.key, "family": self.family, "dim": self.dim,
            "entities": len(self.entities), "relations": self.relations,
            "losses": self.losses, "training": asdict(self.training), "split": asdict(self.split),
            "evaluation": self.evaluation.to_dict() if self.evaluation else None,
            "constraint": asdict(self.constraint) if self.constraint else None,
            "timings": self.timings, "config": self.config, "triples_sha256": self.triples_sha256,
            "versions": self.versions,
        }

    def save(self, folder: str | Path) -> Path:
        """Write ``result.json`` (summary, labels) and ``vectors.npz`` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        payload = self.to_dict() | {"entity_labels": self.entities, "relations": self.relations}
        (folder / _JSON).write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        # typed Any: numpy's stub reads the names of ``**arrays`` as its own keyword arguments (allow_pickle)
        arrays: dict[str, Any] = {"entity_vectors": self.entity_vectors, "relation_vectors": self.relation_vectors}
        if self.relation_offsets is not None:
            arrays["relation_offsets"] = self.relation_offsets
        np.savez_compressed(folder / _ARRAYS, **arrays)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> EmbeddingResult:
        """Read a result written by :meth:`save`."""
        folder = Path(folder)
        data = json.loads((folder / _JSON).read_text(encoding="utf-8"))
        with np.load(folder / _ARRAYS) as arrays:
            vectors = {name: arrays[name] for name in arrays.files}
        training = data["training"]
        training["validation_mrr"] = [tuple(x) for x in training["validation_mrr"]]
        split = data["split"]
        split["ratios"] = tuple(split["ratios"])
        return cls(
            model=data["model"], key=data["key"], family=data["family"], dim=data["dim"],
            entities=data["entity_labels"], entity_vectors=vectors["entity_vectors"],
            relations=data["relations"], relation_vectors=vectors["relation_vectors"],
            relation_offsets=vectors.get("relation_offsets"),
            constraint=EntityConstraint(**data["constraint"]) if data["constraint"] else None,
            losses=data["losses"], training=TrainingSummary(**training), split=SplitSummary(**split),
            evaluation=_report(data["evaluation"]) if data["evaluation"] else None,
            timings=data["timings"], config=data["config"], triples_sha256=data["triples_sha256"],
            versions=data["versions"])


def _sides(data: dict[str, Any]) -> SideMetrics:
    return SideMetrics(**{side: RankingMetrics(**data[side]) for side in ("both", "head", "tail")})


def _report(data: dict[str, Any]) -> EvaluationReport:
    per_relation = {name: RelationReport(rel["triples"], _sides(rel["model"]), _sides(rel["baseline"]))
                    for name, rel in data["per_relation"].items()}
    return EvaluationReport(data["protocol"], data["triples"], _sides(data["model"]), _sides(data["baseline"]),
                            per_relation, data["seconds"])
