"""Training the entity-marker relation classifier: one entry function, one result object.

Model selection and the ``none`` threshold use the validation candidates only; the test split is never
seen here.

Example:
    >>> result = train_relations(RelationConfig(), schema, train, train_texts, val, val_texts)  # doctest: +SKIP
    >>> result.best_val_f1  # doctest: +SKIP
    0.71
"""

from __future__ import annotations

import copy
import json
import random
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from extractor.relations.config import RELATION_CHECKPOINT_VERSION, RelationConfig
from extractor.relations.data import NONE, Candidate, Schema
from extractor.relations.evaluate import score_candidates
from extractor.relations.predict import RelationClassifier, build_relation_classifier, save_relation_classifier
from extractor.threads import keeps_torch_threads
from extractor.train import git_hash

if TYPE_CHECKING:
    from extractor.pretrain_emb import CharVectors

__all__ = ["RelationTrainResult", "train_relations", "tune_threshold"]

_THRESHOLDS = tuple(round(float(x), 2) for x in np.arange(0.05, 1.0, 0.05))


@dataclass
class RelationTrainResult:
    """What a training run produced; :meth:`save` writes it as ``train_result.json``."""

    classifier: RelationClassifier = field(repr=False)
    best_epoch: int
    best_val_f1: float
    threshold: float
    epochs_run: int
    seconds: float
    n_train: int
    n_val: int
    history: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    checkpoint_version: int = RELATION_CHECKPOINT_VERSION
    git_hash: str | None = None
    out_dir: str | None = None
    val_precision: float | None = None
    """Micro precision on the validation candidates at the chosen threshold (the plugin's default ``precision``)."""

    def summary(self) -> dict[str, Any]:
        """Everything but the classifier, JSON-ready."""
        return {k: v for k, v in asdict(self).items() if k != "classifier"}

    def save(self, path: str | Path) -> None:
        """Write :meth:`summary` as JSON."""
        Path(path).write_text(json.dumps(self.summary(), ensure_ascii=False, indent=1), encoding="utf-8")



def tune_threshold(clf: RelationClassifier, proba: np.ndarray, gold: Sequence[str]) -> tuple[float, float]:
    """The ``none`` threshold (0.05 .. 0.95) with the best micro-F1 on ``gold``, and that F1."""
    best = (0.5, -1.0)
    for tau in _THRESHOLDS:
        f1 = score_candidates(gold, clf.decide(proba, tau)).micro.f1
        if f1 > best[1] + 1e-12:
            best = (tau, f1)
    return best


def _batches(clf: RelationClassifier, rows: list[Any], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches: length buckets of candidates (``markers``) or of whole sentences (``shared``)."""
    if clf.config.pairing == "markers":
        order = sorted(range(len(rows)), key=lambda i: (len(rows[i][0]), rng.random()))
        batches = [order[k:k + batch_size] for k in range(0, len(order), batch_size)]
    else:
        by_key: dict[object, list[int]] = {}
        for i, row in enumerate(rows):
            by_key.setdefault(row[0], []).append(i)
        groups = sorted(by_key.values(), key=lambda g: (len(rows[g[0]][1]), rng.random()))
        batches, current = [], []
        for g in groups:
            current += g
            if len(current) >= batch_size:
                batches.append(current)
                current = []
        if current:
            batches.append(current)
    rng.shuffle(batches)
    return batches


def _epoch(clf: RelationClassifier, opt: torch.optim.Optimizer, loss_fn: nn.Module, rows: list[Any],
           targets: list[int], masks: np.ndarray, batch_size: int, clip: float, rng: random.Random) -> float:
    """One pass over shuffled batches (:func:`_batches`); returns the mean loss."""
    clf.module.train()
    total = 0.0
    for idx in _batches(clf, rows, batch_size, rng):
        logits = clf.logits([rows[i] for i in idx])
        logits = logits.masked_fill(~torch.from_numpy(masks[idx]).to(clf.device), -1e4)
        loss = loss_fn(logits, torch.tensor([targets[i] for i in idx], device=clf.device))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(clf.module.parameters(), clip)
        opt.step()
        total += loss.item() * len(idx)
    return total / max(1, len(rows))


@keeps_torch_threads
def train_relations(config: RelationConfig, schema: Schema, train: Sequence[Candidate], train_texts: Mapping[str, str],
                    val: Sequence[Candidate], val_texts: Mapping[str, str], *, out_dir: str | Path | None = None,
                    pretrained: CharVectors | None = None, device: str | torch.device | None = "cpu",
                    progress: bool = False) -> RelationTrainResult:
    """Train on ``train`` candidates, select the epoch and the ``none`` threshold on ``val``.

    Args:
        config: Classifier and training config.
        schema: Allowed signatures (the label set is ``none`` + its predicates).
        train: Labelled training candidates.
        train_texts: Sentence id -> text for ``train``.
        val: Labelled validation candidates (may be empty: last epoch, threshold 0.5).
        val_texts: Sentence id -> text for ``val``.
        out_dir: Where to save the checkpoint and ``train_result.json`` (``None``: keep in memory).
        pretrained: ``extractor.pretrain_emb.CharVectors`` for the character table.
        device: Where to train.
        progress: Print one line per epoch, on stderr (stdout stays the caller's: ``--json`` output).

    Returns:
        The result, holding the best classifier (loaded with its tuned threshold).
    """
    tc = config.train
    if tc.threads is not None:
        torch.set_num_threads(tc.threads)
    torch.manual_seed(tc.seed)
    rng = random.Random(tc.seed)
    labels = [NONE, *schema.predicates]
    clf = build_relation_classifier(config, labels, schema, texts=sorted(set(train_texts.values())),
                                    pretrained=pretrained, device=device)
    index = {label: i for i, label in enumerate(labels)}
    rows = clf.encode_all(train, train_texts)
    targets = [index.get(c.label, 0) for c in train]
    masks = clf.allowed_mask(train)
    weight = torch.ones(len(labels), device=clf.device)
    weight[0] = tc.none_weight
    loss_fn = nn.CrossEntropyLoss(weight=weight)
    opt = torch.optim.Adam([p for p in clf.module.parameters() if p.requires_grad], lr=tc.lr)
    gold_val = [c.label for c in val]
    best_state, best, history, stale = None, (-1.0, 0, 0.5), [], 0
    t0 = time.perf_counter()
    for epoch in range(1, tc.epochs + 1):
        loss = _epoch(clf, opt, loss_fn, rows, targets, masks, tc.batch_size, tc.clip, rng)
        row: dict[str, Any] = {"epoch": epoch, "loss": round(loss, 5), "seconds": round(time.perf_counter() - t0, 1)}
        if val:
            proba = clf.predict_proba(val, val_texts)
            tau, f1 = tune_threshold(clf, proba, gold_val) if tc.tune_threshold else (0.5, score_candidates(
                gold_val, clf.decide(proba, 0.5)).micro.f1)
            row.update(val_f1=round(f1, 4), threshold=tau)
        else:
            f1, tau = float(epoch), 0.5
        history.append(row)
        if progress:
            print(json.dumps(row), file=sys.stderr, flush=True)
        if f1 > best[0]:
            best, stale = (f1, epoch, tau), 0
            best_state = copy.deepcopy(clf.module.state_dict())
        else:
            stale += 1
        if stale >= tc.patience or (tc.max_seconds is not None and time.perf_counter() - t0 > tc.max_seconds):
            break
    if best_state is not None:
        clf.module.load_state_dict(best_state)
    clf.threshold = best[2]
    clf.module.eval()
    val_precision = round(score_candidates(gold_val, clf.predict(val, val_texts)).micro.precision, 4) if val else None
    result = RelationTrainResult(clf, best[1], best[0] if val else float("nan"), best[2], len(history),
                                 round(time.perf_counter() - t0, 2), len(train), len(val), history,
                                 config.model_dump(mode="json"), git_hash=git_hash(),
                                 out_dir=str(out_dir) if out_dir is not None else None, val_precision=val_precision)
    if out_dir is not None:
        save_relation_classifier(clf, out_dir, {"best_epoch": result.best_epoch, "best_val_f1": result.best_val_f1,
                                                "val_precision": val_precision})
        result.save(Path(out_dir) / "train_result.json")
    return result
