"""``train_tagger()``: the one entry function for training the CBT-KG tagger.

The validation split is taken from the training records (``TrainConfig.dev_fraction``, seeded); the
weights with the best strict micro-F1 on it are kept (with several schemas: records of each schema,
a split of each, the mean of the schemas' F1) (early stopping after ``patience`` epochs
without a gain). The checkpoint folder is rewritten at every improvement, and ``trainer_state.pt``
(last weights, optimiser, epoch, history) after every epoch so ``resume=True`` continues a run.

Example:
    >>> result = train_tagger(TaggerConfig(), examples, "out/cbt-kg", concepts=records, kg=kg)  # doctest: +SKIP
    >>> result.best_dev_f1  # doctest: +SKIP

Several schemas (``TaggerConfig.schemas``) take a mapping schema -> records; every batch holds windows
of one schema and trains that schema's head (CRF or span) with the shared layers, and a shared span
head only on the types that schema annotates.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from safetensors.torch import load_file

from core.progress import ProgressFactory, start
from extractor.batching import Window, collate, slice_windows
from extractor.calibrate import calibrate_span_thresholds
from extractor.checkpoint import build_tagger, save_tagger, write_span_thresholds
from extractor.config import TaggerConfig
from extractor.data import Example
from extractor.kge_quick import KgVectors
from extractor.lexicon import fold_lexicons, lexicon_entries
from extractor.loss import crf_loss
from extractor.predict import Tagger
from extractor.pretrain_emb import CharVectors
from extractor.scoring import score_spans
from extractor.softlex import WordLexicon
from extractor.spanhead import span_loss, span_targets
from extractor.tags import label_list, spans_to_tags
from extractor.threads import keeps_torch_threads
from extractor.vocab import CharVocab, checkpoint_vocabulary
from extractor.windows import training_windows

if TYPE_CHECKING:
    from linker.gazetteer import Gazetteer
    from linker.records import ConceptRecord

__all__ = ["Records", "TrainResult", "by_schema", "git_hash", "split_dev", "train_tagger"]

#: Training records: one schema's list, or a mapping schema -> records for a several-schema model.
Records = Sequence[Example] | Mapping[str, Sequence[Example]]

EXTRACTOR_VERSION = "0.1.0"


@dataclass
class TrainResult:
    """What a training run produced (saved as ``train_result.json`` next to the checkpoint)."""

    out_dir: str
    best_epoch: int
    best_dev_f1: float
    epochs_run: int
    seconds: float
    n_train: int
    n_dev: int
    history: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    kg_run: str | None = None
    version: str = EXTRACTOR_VERSION
    git_hash: str | None = None
    calibration: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Span heads' thresholds and nesting margins chosen on validation after training, per schema
    (``TrainConfig.calibrate``)."""

    def save(self, path: str | Path) -> None:
        """Write as JSON."""
        Path(path).write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")


def git_hash() -> str | None:
    """The commit of the source tree (``None`` outside a git checkout); stored with trained models."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).parent, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def split_dev(examples: Sequence[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Seeded split of training records into (train, dev)."""
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    n_dev = int(round(len(examples) * fraction)) if fraction > 0 else 0
    n_dev = min(n_dev, len(examples) - 1) if len(examples) > 1 else 0
    dev = sorted(order[:n_dev])
    train = sorted(order[n_dev:])
    return [examples[i] for i in train], [examples[i] for i in dev]


def _vocabs(config: TaggerConfig, texts: list[str], pretrained: CharVectors | None) -> tuple[CharVocab, CharVocab]:
    enc = config.encoder
    if enc.kind == "transformers" and (enc.vocab_path or enc.name_or_path):
        vocab = checkpoint_vocabulary(enc.name_or_path, enc.vocab_path)
    elif pretrained is not None and enc.kind == "char":
        vocab = pretrained.chars
    else:
        vocab = CharVocab.build(texts)
    bigrams = pretrained.bigrams if pretrained is not None else CharVocab.build(texts, min_count=2, bigrams=True)
    return vocab, bigrams


def by_schema(config: TaggerConfig, records: Records, what: str = "examples") -> dict[str, list[Example]]:
    """Records keyed by schema: a list for a one-schema model, a mapping with every schema for several.

    Raises:
        ValueError: A list for a several-schema model, or a mapping that misses or adds a schema.
    """
    names = [s.name for s in config.schemas] or [config.schema_name]
    if not isinstance(records, Mapping):
        if config.schemas:
            raise ValueError(f"{what}: a model of several schemas ({', '.join(names)}) takes records per schema")
        return {names[0]: list(records)}
    if sorted(records) != sorted(names):
        raise ValueError(f"{what}: records for {sorted(records)}, the model's schemas are {names}")
    return {name: list(records[name]) for name in names}


def _train_windows(tagger: Tagger, records: Mapping[str, Sequence[Example]]) -> list[Window]:
    feats_cfg, head = tagger.config.features, tagger.config.head
    items: list[Window] = []
    for name, examples in records.items():
        spec = tagger.head_of[name]
        labels_of = {lab: i for i, lab in enumerate(label_list(tagger.schema_types(name), head.scheme))}
        type_index = dict(zip(tagger.schema_types(name), spec.schemas[name], strict=True))
        fold_of: list[int] = []
        lexicons: list[Gazetteer | None] = []
        if feats_cfg.lexicon:  # each record sees only the lexicon of the other folds (None: an empty one)
            fold_of, lexicons = fold_lexicons(examples, feats_cfg.lexicon_folds, tagger.config.train.seed)
        for r, ex in enumerate(examples):
            if not ex.text:
                continue
            feats = (tagger.featurizer.featurize(ex.text, lexicon=lexicons[fold_of[r]]) if lexicons
                     else tagger.featurizer.featurize(ex.text))
            labels = None
            if spec.output == "crf":
                tags = spans_to_tags(len(ex.text), ex.spans, head.scheme)
                labels = np.array([labels_of[t] for t in tags], dtype=np.int64)
            for win in slice_windows(r, feats, training_windows(len(ex.text), ex.spans, tagger.window), labels):
                win.schema = name
                if spec.output == "span":
                    win.spans = tuple((sp.start - win.start, sp.end - win.start, type_index[sp.type])
                                      for sp in ex.spans if win.start <= sp.start and sp.end <= win.end)
                items.append(win)
    return items


def _batches(items: list[Window], size: int, rng: random.Random) -> list[list[Window]]:
    """Shuffled batches of similar length (sort inside pools of 50 batches), each of one schema."""
    order = items[:]
    rng.shuffle(order)
    pool = size * 50
    batches: list[list[Window]] = []
    for name in dict.fromkeys(w.schema for w in order):
        mine = [w for w in order if w.schema == name]
        for lo in range(0, len(mine), pool):
            chunk = sorted(mine[lo:lo + pool], key=len)
            batches.extend(chunk[i:i + size] for i in range(0, len(chunk), size))
    rng.shuffle(batches)
    return batches


def _optimizer(tagger: Tagger, config: TaggerConfig) -> torch.optim.Optimizer:
    enc_params = [p for p in tagger.module.encoder.parameters() if p.requires_grad]
    enc_ids = {id(p) for p in tagger.module.encoder.parameters()}
    head_params = [p for p in tagger.module.parameters() if p.requires_grad and id(p) not in enc_ids]
    groups = [{"params": enc_params, "lr": config.train.lr_encoder},
              {"params": head_params, "lr": config.train.lr_head}]
    return torch.optim.AdamW([g for g in groups if g["params"]], weight_decay=config.train.weight_decay)


def evaluate_examples(tagger: Tagger, examples: Sequence[Example], batch_size: int = 32,
                      schema: str | None = None) -> float:
    """Strict micro-F1 of the tagger on gold examples (of one schema's head: ``schema``)."""
    if not examples:
        return 0.0
    pred = tagger.predict([ex.text for ex in examples], batch_size=batch_size, schema=schema)
    return score_spans([ex.spans for ex in examples], pred).micro.f1


def _dev_scores(tagger: Tagger, dev: Mapping[str, Sequence[Example]]) -> dict[str, float]:
    return {name: evaluate_examples(tagger, examples, schema=name) for name, examples in dev.items() if examples}


@keeps_torch_threads
def train_tagger(config: TaggerConfig, examples: Records, out_dir: str | Path, *,
                 concepts: Sequence[ConceptRecord] = (), kg: KgVectors | None = None,
                 pretrained: CharVectors | None = None, dev: Records | None = None,
                 resume: bool = False, device: str | torch.device | None = "cpu",
                 progress: ProgressFactory | None = None, word_lexicon: WordLexicon | None = None) -> TrainResult:
    """Train, select on validation, save the best checkpoint to ``out_dir``.

    Args:
        config: Tagger config (its ``train`` part drives this loop).
        examples: Training records (the dev split is taken from them unless ``dev`` is given); with
            ``config.schemas``, a mapping schema -> records holding every schema.
        out_dir: Checkpoint folder.
        concepts: ``linker.ConceptRecord``s for the gazetteer.
        kg: KG vectors by concept id (needed when ``config.features.kg``).
        pretrained: Skip-gram vectors for the char encoder and bigram feature.
        dev: Explicit validation records (per schema, like ``examples``).
        resume: Continue from ``out_dir/trainer_state.pt`` when present.
        device: Training device.
        progress: Progress factory (:mod:`core.progress`): a bar over each epoch's batches; ``None``
            shows none. One line per epoch (loss, dev F1, seconds) goes to stderr either way.
        word_lexicon: SoftLexicon words and vectors (needed when ``config.features.softlexicon``; default:
            read from ``config.features.word_lexicon``).

    Returns:
        The :class:`TrainResult` (also written to ``out_dir/train_result.json``).

    Raises:
        ValueError: Records that do not fit the config's schemas, or a span type a schema does not have.
    """
    tc, out = config.train, Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if tc.threads:
        torch.set_num_threads(tc.threads)
    torch.manual_seed(tc.seed)
    rng = random.Random(tc.seed)
    records = by_schema(config, examples)
    given = by_schema(config, dev, "dev") if dev is not None else None
    train: dict[str, list[Example]] = {}
    devs: dict[str, list[Example]] = {}
    for name, recs in records.items():
        train[name], devs[name] = ((recs, given[name]) if given is not None
                                   else split_dev(recs, tc.dev_fraction, tc.seed))
    _check_types(config, train)
    all_train = [ex for recs in train.values() for ex in recs]
    vocab, bigrams = _vocabs(config, [ex.text for ex in all_train], pretrained)
    lexicon = lexicon_entries(all_train) if config.features.lexicon else []
    if config.features.softlexicon and word_lexicon is None and config.features.word_lexicon:
        word_lexicon = WordLexicon.load(config.features.word_lexicon)
    tagger = build_tagger(config, vocab, bigrams, concepts, kg if config.features.kg else None, pretrained, device,
                          lexicon=lexicon, word_lexicon=word_lexicon)
    items = _train_windows(tagger, train)
    opt = _optimizer(tagger, config)
    state_path = out / "trainer_state.pt"
    history: list[dict[str, Any]] = []
    best_f1, best_epoch, bad, first_epoch = -1.0, 0, 0, 1
    if resume and state_path.is_file():
        state = torch.load(state_path, map_location=tagger.device, weights_only=False)
        tagger.module.load_state_dict(state["module"])
        opt.load_state_dict(state["optimizer"])
        history, best_f1, best_epoch, bad = state["history"], state["best_f1"], state["best_epoch"], state["bad"]
        first_epoch = state["epoch"] + 1
        rng.setstate(state["rng"])
        started -= history[-1]["seconds"] if history else 0.0  # report total training time
    epoch = first_epoch - 1
    for epoch in range(first_epoch, tc.epochs + 1):
        if bad >= tc.patience:
            break
        loss_sum, steps = _run_epoch(tagger, opt, _batches(items, tc.batch_size, rng), tc.clip, progress)
        per_schema = _dev_scores(tagger, devs)
        dev_f1 = sum(per_schema.values()) / len(per_schema) if per_schema else 0.0
        history.append({"epoch": epoch, "loss": loss_sum / max(steps, 1), "dev_f1": dev_f1,
                        "seconds": round(time.monotonic() - started, 1),
                        **({"dev_f1_per_schema": per_schema} if config.schemas else {})})
        if dev_f1 > best_f1:
            best_f1, best_epoch, bad = dev_f1, epoch, 0
            save_tagger(tagger, out, {"best_epoch": epoch, "dev_f1": dev_f1, "seed": tc.seed})
        else:
            bad += 1
        torch.save({"module": tagger.module.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch,
                    "history": history, "best_f1": best_f1, "best_epoch": best_epoch, "bad": bad,
                    "rng": rng.getstate()}, state_path)
        each = " ".join(f"{k} {v:.4f}" for k, v in per_schema.items()) if config.schemas else ""
        print(f"epoch {epoch}: loss {history[-1]['loss']:.3f} dev F1 {dev_f1:.4f} (best {best_f1:.4f}) "
              f"{each + ' ' if each else ''}{history[-1]['seconds']:.0f} s", file=sys.stderr, flush=True)
        if not budget_allows(history, time.monotonic() - started, tc.max_seconds, tc.whole_epochs):
            break
    calibration = _calibrate(tagger, out, devs) if tc.calibrate and best_epoch else {}
    result = TrainResult(str(out), best_epoch, best_f1, len(history), round(time.monotonic() - started, 1),
                         len(all_train), sum(len(d) for d in devs.values()), history,
                         config.model_dump(mode="json"), tagger.kg_run, git_hash=git_hash(),
                         calibration=calibration)
    result.save(out / "train_result.json")
    return result


def _calibrate(tagger: Tagger, out: Path, devs: Mapping[str, Sequence[Example]]) -> dict[str, dict[str, Any]]:
    """Calibrate the best epoch's span heads on validation; their thresholds and margins go into its checkpoint."""
    if not any(tagger.nested(name) and devs.get(name) for name in tagger.schemas):
        return {}
    tagger.module.load_state_dict(load_file(str(out / "model.safetensors")))  # the saved (best) epoch
    report = calibrate_span_thresholds(tagger, devs)
    write_span_thresholds(out, report)
    for name, c in report.items():
        print(f"calibrated {name}: threshold {c.threshold:+.2f}, nesting margin {c.nest_margin:.2f}, validation F1 "
              f"{c.f1_at_zero:.4f} at 0 -> {c.f1:.4f}", file=sys.stderr, flush=True)
    return {name: c.to_dict() for name, c in report.items()}


def budget_allows(history: list[dict[str, Any]], elapsed: float, max_seconds: float | None,
                  whole_epochs: bool = False) -> bool:
    """Whether another epoch may start after ``history`` (cumulative ``seconds`` per epoch) at ``elapsed``.

    Without ``whole_epochs`` the epoch that crosses ``max_seconds`` is the last; with it, the next epoch is
    expected to take as long as the last one and is not started when it would end past the budget.
    """
    if max_seconds is None:
        return True
    if elapsed > max_seconds:
        return False
    if not whole_epochs or not history:
        return True
    last = float(history[-1]["seconds"]) - (float(history[-2]["seconds"]) if len(history) > 1 else 0.0)
    return elapsed + last <= max_seconds


def _run_epoch(tagger: Tagger, opt: torch.optim.Optimizer, batches: list[list[Window]], clip: float,
               progress: ProgressFactory | None) -> tuple[float, int]:
    tagger.module.train()
    table = tagger.kg_table()
    loss_sum, steps = 0.0, 0
    advance = start(progress, "training", len(batches))  # one name for every epoch: one row on a terminal
    for batch_items in batches:
        batch = collate(batch_items, table, tagger.device)
        loss = _batch_loss(tagger, batch_items, batch)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tagger.module.parameters(), clip)
        opt.step()
        loss_sum, steps = loss_sum + float(loss.detach()), steps + 1
        advance(1)
    return loss_sum, steps


def _batch_loss(tagger: Tagger, items: Sequence[Window], batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The loss of one batch (windows of one schema) on that schema's head."""
    name = items[0].schema
    spec, mask = tagger.head_of[name], batch["mask"]
    x = tagger.module.encode(batch)
    out = tagger.module.head_output(spec.key, x, mask)
    if spec.output == "crf":
        return crf_loss(tagger.module.crf_of(spec.key), out, batch["labels"], mask)
    target = span_targets([w.spans for w in items], len(spec.types), mask.shape[1], out.device)
    type_mask = None
    if len(spec.schemas) > 1:  # the shared head: the types this schema does not annotate do not count
        known = torch.zeros(len(spec.types), dtype=torch.bool, device=out.device)
        known[list(spec.schemas[name])] = True
        type_mask = known.expand(len(items), -1)
    return span_loss(out, target, type_mask)


def _check_types(config: TaggerConfig, records: Mapping[str, Sequence[Example]]) -> None:
    """Every gold span's type must be one of its schema's types (else a typo would silently train as O)."""
    types = {s.name: set(s.types) for s in config.schemas} or {config.schema_name: set(config.types)}
    for name, examples in records.items():
        for ex in examples:
            unknown = sorted({sp.type for sp in ex.spans} - types[name])
            if unknown:
                raise ValueError(f"record {ex.id} ({name}): span types {unknown} are not among the schema's "
                                 f"types {sorted(types[name])}")
