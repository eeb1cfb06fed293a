"""Training a KGE model on labelled triples: :func:`train_embeddings`.

Steps: validate and sort the triples, split them (every entity and relation in training), train a
pykeen model with the sLCWA loop (Adam, or lazy Adam on sparse entity gradients with ``sparse``),
stop early on the validation MRR (restoring the best weights), evaluate on the test split against the popularity
baseline, and return an :class:`embeddings.result.EmbeddingResult`.

Reproducibility: the triples are sorted before the split, ids follow sorted labels, and the split,
the initialisation, the negative sampler and the batch order are all seeded from ``config.seed``;
torch runs with ``config.threads`` threads (restored afterwards). Same triples, same config and same
machine give the same vectors and metrics.

Example:
    >>> from embeddings import KGEConfig, train_embeddings
    >>> result = train_embeddings([("a", "r", "b"), ("b", "r", "c")], KGEConfig(dim=4, epochs=3))  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import copy
import gc
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import torch

from core.progress import ProgressFactory
from embeddings.config import KGEConfig
from embeddings.evaluation import EvaluationReport, KnownTriples, Popularity, evaluate, validation_mrr
from embeddings.foldin import EntityConstraint, relation_offsets
from embeddings.optim import LazyAdam, use_sparse_entities
from embeddings.registry import ModelSpec, resolve_model
from embeddings.result import EmbeddingResult, TrainingSummary
from embeddings.scoring import entity_constraint, linear_form, make_scorer
from embeddings.triples import TripleSplit, prepare_triples, split_triples, triples_digest

__all__ = ["ProgressFactory", "train_embeddings"]

log = logging.getLogger(__name__)



def margin_of(config: KGEConfig) -> float:
    """The loss margin: the configured one, or ``0.9 * sqrt(dim)`` (9 at dim 100).

    The built-in models score with the L1 distance of vectors about the size of the unit L2 ball,
    whose typical L1 distances grow like ``sqrt(dim)`` (about 11 at dim 100); 9 was the best margin
    of the tuning runs at dim 100 (see ``KGEConfig.loss``).
    """
    return config.margin if config.margin is not None else round(0.9 * math.sqrt(config.dim), 4)


def _resolved_kwargs(spec: ModelSpec, config: KGEConfig) -> dict[str, Any]:
    """Model arguments as a config would give them (the dimensions come from ``dim``)."""
    merged = spec.model_kwargs(config.dim) | config.model_kwargs
    return {key: value for key, value in merged.items() if key not in ("embedding_dim", "relation_dim")}


def _no_progress(description: str, total: int) -> Callable[[int], None]:
    return lambda advance: None


@contextlib.contextmanager
def _torch_threads(threads: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _sample(triples: np.ndarray, limit: int | None, seed: int) -> np.ndarray:
    if limit is None or len(triples) <= limit:
        return triples
    chosen = np.random.default_rng(seed).choice(len(triples), size=limit, replace=False)
    return triples[np.sort(chosen)]


class _Validation:
    """Early stopping on the validation MRR, keeping the best weights in memory (no files)."""

    def __init__(self, model: Any, spec: ModelSpec, triples: np.ndarray, known: KnownTriples,
                 config: KGEConfig) -> None:
        from pykeen.stoppers.early_stopping import EarlyStoppingLogic

        self.model, self.spec, self.triples, self.known = model, spec, triples, known
        self.settings = config.early_stopping
        self.memory_mb = config.evaluation.memory_mb
        self.logic = EarlyStoppingLogic(patience=self.settings.patience,
                                        relative_delta=self.settings.relative_delta, larger_is_better=True)
        self.history: list[tuple[int, float]] = []
        self.best_state: dict[str, torch.Tensor] | None = None
        self.seconds = 0.0
        self.stopped = False

    def check(self, epoch: int) -> bool:
        """Evaluate at ``epoch``; True when training should stop."""
        started = time.perf_counter()
        self.model.eval()
        mrr = validation_mrr(make_scorer(self.model, self.spec.family, self.memory_mb), self.triples, self.known)
        self.model.train()
        self.history.append((epoch, round(mrr, 6)))
        stop = self.logic.report_result(mrr, epoch)
        if self.logic.is_best:
            self.best_state = copy.deepcopy(self.model.state_dict())
        self.seconds += time.perf_counter() - started
        log.info("epoch %d: validation MRR %.4f (best %.4f at %s)", epoch, mrr, self.logic.best_metric,
                 self.logic.best_epoch)
        self.stopped = self.stopped or stop
        return stop

    def restore_best(self, last_epoch: int) -> int | None:
        """Check the last epoch if it was not checked, then load the best weights; the best epoch."""
        if not self.history or self.history[-1][0] != last_epoch:
            self.check(last_epoch)
        if self.best_state is not None and self.logic.best_epoch != last_epoch:
            self.model.load_state_dict(self.best_state)
        return self.logic.best_epoch


def _callback(validation: _Validation | None, frequency: int, advance: Callable[[int], None],
              marks: list[float]) -> Any:
    from pykeen.training.callbacks import TrainingCallback

    class EpochCallback(TrainingCallback):
        def __init__(self) -> None:
            # spelled out only to give the constructor a signature: pykeen's is unannotated (named rather
            # than super() so that mypy sees a pykeen function, which `untyped_calls_exclude` lets through)
            TrainingCallback.__init__(self)

        def post_epoch(self, epoch: int, epoch_loss: float, **kwargs: Any) -> None:
            marks.append(time.perf_counter())
            advance(1)
            if validation is not None and epoch % frequency == 0 and validation.check(epoch):
                # the same switch pykeen's own StopperTrainingCallback uses to end the loop
                self.training_loop._should_stop = True

    return EpochCallback()


def _build(spec: ModelSpec, split: TripleSplit, config: KGEConfig) -> tuple[Any, Any, Any]:
    from pykeen.training import SLCWATrainingLoop
    from pykeen.triples import CoreTriplesFactory

    factory = CoreTriplesFactory(torch.as_tensor(split.train), num_entities=len(split.entities),
                                 num_relations=len(split.relations))
    loss = "MarginRankingLoss" if config.loss == "margin" else "NSSALoss"
    kwargs = spec.model_kwargs(config.dim) | config.model_kwargs
    model = spec.load()(triples_factory=factory, **kwargs, loss=loss, loss_kwargs={"margin": margin_of(config)},
                        random_seed=config.seed)
    if config.sparse:
        use_sparse_entities(model)
        optimizer: torch.optim.Optimizer = LazyAdam(params=model.get_grad_params(), lr=config.learning_rate)
    else:
        optimizer = torch.optim.Adam(params=model.get_grad_params(), lr=config.learning_rate)
    loop = SLCWATrainingLoop(model=model, triples_factory=factory, optimizer=optimizer,
                             negative_sampler=config.negative_sampler,
                             negative_sampler_kwargs={"num_negs_per_pos": config.negatives_per_positive},
                             automatic_memory_optimization=False)
    return model, loop, factory


def _fit(spec: ModelSpec, split: TripleSplit, known: KnownTriples, config: KGEConfig,
         make_bar: ProgressFactory) -> tuple[Any, list[float], TrainingSummary, dict[str, float]]:
    from pykeen.utils import set_random_seed

    set_random_seed(config.seed)
    model, loop, factory = _build(spec, split, config)
    stopping = config.early_stopping
    validation = None
    if stopping.enabled and len(split.validation):
        sample = _sample(split.validation, stopping.max_triples, config.seed)
        validation = _Validation(model, spec, sample, known, config)
    marks = [time.perf_counter()]
    callback = _callback(validation, stopping.frequency, make_bar("training epochs", config.epochs), marks)
    gc.freeze()  # pykeen runs gc.collect() every epoch; frozen objects make that cheap
    try:
        losses = loop.train(triples_factory=factory, num_epochs=config.epochs, batch_size=config.batch_size,
                            use_tqdm=False, callbacks=[callback], pin_memory=False)
    finally:
        gc.unfreeze()
    epochs = len(losses)
    train_seconds = marks[-1] - marks[0] - (validation.seconds if validation else 0.0)
    best_epoch = validation.restore_best(epochs) if validation is not None else None
    model.eval()
    stopped_early = bool(validation and validation.stopped and epochs < config.epochs)
    summary = TrainingSummary(config.epochs, epochs, best_epoch, stopped_early,
                              validation.history if validation else [])
    timings = {"train": round(train_seconds, 3), "seconds_per_epoch": round(train_seconds / max(1, epochs), 4),
               "validation": round(validation.seconds, 3) if validation else 0.0}
    return model, [float(x) for x in losses], summary, timings


def _as_real(x: torch.Tensor) -> np.ndarray:
    x = x.detach()
    if x.is_complex():
        x = torch.view_as_real(x)
    return x.reshape(x.shape[0], -1).float().numpy()


def _vectors(model: Any, spec: ModelSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray | None,
                                                   EntityConstraint | None]:
    if spec.family is not None:
        form = linear_form(model, spec.family)
        projections = None if form.projections is None else form.projections.numpy()
        offsets = relation_offsets(form.translations.numpy(), projections).astype(np.float32)
        return (form.entities.float().numpy(), form.translations.float().numpy(), offsets,
                entity_constraint(model, spec.family))
    with torch.no_grad():
        entities = _as_real(model.entity_representations[0](indices=None))
        relations = _as_real(model.relation_representations[0](indices=None))
    return entities, relations, None, None


def _evaluate(model: Any, spec: ModelSpec, split: TripleSplit, known: KnownTriples, config: KGEConfig,
              make_bar: ProgressFactory) -> EvaluationReport | None:
    if not config.evaluation.enabled or not len(split.test):
        return None
    test = _sample(split.test, config.evaluation.max_triples, config.seed)
    popularity = Popularity(split.train, len(split.entities), len(split.relations))
    scorer = make_scorer(model, spec.family, config.evaluation.memory_mb)
    return evaluate(scorer, test, known, popularity, split.relations, make_bar("evaluation", len(test)))


def train_embeddings(triples: Iterable[tuple[str, str, str]] | np.ndarray, config: KGEConfig | None = None,
                     progress: ProgressFactory | None = None) -> EmbeddingResult:
    """Train a KGE model on labelled triples and evaluate it.

    Args:
        triples: ``(head, relation, tail)`` labels, in any order, duplicates allowed.
        config: model and hyper-parameters; defaults to TransE, dim 100.
        progress: ``progress(description, total)`` returns an ``advance(n)`` callback.

    Returns:
        Vectors per entity and relation, losses, validation curve, test metrics (with the
        popularity baseline), timings, resolved config and package versions.

    Raises:
        UnknownModelError: the model name resolves to nothing.
        EmptyTriplesError: no triples.
        ValueError: a malformed triple.
    """
    config = config or KGEConfig()
    spec = resolve_model(config.model)
    make_bar = progress or _no_progress
    started = time.perf_counter()
    labelled = prepare_triples(triples)
    split = split_triples(labelled, config.split, config.seed)
    known = KnownTriples(split.all_triples, len(split.relations))
    prepared = time.perf_counter()
    with _torch_threads(config.threads):
        model, losses, training, timings = _fit(spec, split, known, config, make_bar)
        entity_vectors, relation_vectors, offsets, constraint = _vectors(model, spec)
        evaluated = time.perf_counter()
        report = _evaluate(model, spec, split, known, config, make_bar)
    finished = time.perf_counter()
    timings = {"prepare": round(prepared - started, 3), **timings,
               "evaluate": round(finished - evaluated, 3), "total": round(finished - started, 3)}
    return EmbeddingResult(
        model=spec.name, key=spec.key, family=spec.family, dim=int(entity_vectors.shape[1]),
        entities=split.entities, entity_vectors=entity_vectors.astype(np.float32),
        relations=split.relations, relation_vectors=relation_vectors.astype(np.float32),
        relation_offsets=offsets, constraint=constraint,
        losses=losses, training=training, split=split.summary, evaluation=report, timings=timings,
        config=config.model_dump() | {"model": spec.name, "margin": margin_of(config),
                                      "model_kwargs": _resolved_kwargs(spec, config)},
        triples_sha256=triples_digest(labelled))
