"""Relation extraction on CMeIE: rule baseline vs the entity-marker classifier, one JSON object per mode.

Modes:

- ``train``: train the classifier on the train split (validation for epoch and threshold), save it to
  ``--model`` with its ``train_result.json``.
- ``train-ner``: train the project's tagger (:func:`extractor.train.train_tagger`) on the train split's
  entities with the CMeIE entity types (:func:`extractor.relations.ner.ner_examples`; validation split
  for model selection), saved to ``--ner-model``.
- ``report``: split counts, located-mention coverage, rules vs learned micro-F1 with gold entities on
  the test split, per-predicate F1 (10 most frequent), CBLUE end-to-end triple F1 with gold entities,
  candidate pairs/s on one core for both, training time, and with ``--ner-model`` the
  CBLUE end-to-end triple F1 on *predicted* entities (plus the tagger's strict F1 on the test split),
  and ``os.getloadavg()`` next to the timings.

Usage:
    PYTHONPATH=. python benchmarks/bench_relations.py train --model /tmp/medkg-relations --max-seconds 1500
    PYTHONPATH=. python benchmarks/bench_relations.py train-ner --ner-model /tmp/medkg-cmeie-ner --max-seconds 2400
    PYTHONPATH=. python benchmarks/bench_relations.py report --model /tmp/medkg-relations \
        --ner-model /tmp/medkg-cmeie-ner

The split is :func:`extractor.relations.data.split_by_text` over ``CMeIE_dev.json`` (the only CMeIE file
with answers here), so the "test" side is 20% of the public dev set, not CBLUE's hidden test set.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from app.tagging.data import models_home
from core.paths import default_data_dir
from extractor.relations.config import RelationConfig, RelationEncoderConfig, RelationTrainConfig
from extractor.relations.data import (
    CandidateStats,
    LocateStats,
    gold_candidates,
    read_cmeie,
    read_schema,
    split_by_text,
    split_counts,
)
from extractor.relations.evaluate import candidate_triples, gold_triples, score_candidates, score_triples
from extractor.relations.rules import RuleBaseline

DATA = default_data_dir()
CMEIE = DATA / "cmeie"
PRETRAINED = models_home() / "pretrained/char_vectors.npz"


def _load():
    schema = read_schema(CMEIE / "schema.json")
    split = split_by_text(read_cmeie(CMEIE / "CMeIE_dev.json"))
    return schema, split


def _load_pretrained(dim: int):
    from extractor.pretrain_emb import CharVectors

    if not PRETRAINED.is_file():
        return None
    vectors = CharVectors.load(PRETRAINED)
    return vectors if vectors.char_vectors.shape[1] == dim else None


def train(args: argparse.Namespace) -> dict:
    torch.set_num_threads(1)
    schema, split = _load()
    tr, tr_texts = gold_candidates(split["train"], schema)
    va, va_texts = gold_candidates(split["validation"], schema)
    pretrained = _load_pretrained(args.dim) if args.pretrained else None
    enc = RelationEncoderConfig(dim=args.dim, pretrained_vectors=str(PRETRAINED) if pretrained else None)
    config = RelationConfig(encoder=enc, lstm_hidden=args.hidden, pooling=args.pooling, pairing=args.pairing,
                            train=RelationTrainConfig(epochs=args.epochs, max_seconds=args.max_seconds, threads=1,
                                                      none_weight=args.none_weight))
    from extractor.relations.train import train_relations

    result = train_relations(config, schema, tr, tr_texts, va, va_texts, out_dir=args.model, pretrained=pretrained,
                             progress=True)
    return {**result.summary(), "loadavg": os.getloadavg()}


def train_ner(args: argparse.Namespace) -> dict:
    from extractor.config import FeatureConfig, HeadConfig, TaggerConfig, TrainConfig
    from extractor.kge_quick import load_kg_vectors
    from extractor.pretrain_emb import CharVectors
    from extractor.relations.ner import CMEIE_TYPES, ner_examples
    from extractor.train import train_tagger
    from linker.sources import load_kg_vocabulary

    torch.set_num_threads(1)
    _, split = _load()
    train_ex, train_stats = ner_examples(split["train"])
    dev_ex, dev_stats = ner_examples(split["validation"])
    kg_file = models_home() / "pretrained/transe.npz"
    kg = load_kg_vectors(kg_file) if args.kg and kg_file.is_file() else None
    vectors = CharVectors.load(PRETRAINED) if PRETRAINED.is_file() else None
    config = TaggerConfig(types=CMEIE_TYPES, features=FeatureConfig(kg=kg is not None),
                          head=HeadConfig(lstm_layers=1, lstm_hidden=128),
                          train=TrainConfig(epochs=args.epochs, batch_size=16, threads=1, seed=args.seed,
                                            max_seconds=args.max_seconds))
    if vectors is not None:
        config = config.model_copy(update={"encoder": config.encoder.model_copy(update={
            "dim": vectors.char_vectors.shape[1], "pretrained_vectors": str(PRETRAINED)})})
    result = train_tagger(config, train_ex, args.ner_model, concepts=load_kg_vocabulary(DATA), kg=kg,
                          pretrained=vectors, dev=dev_ex)
    return {"out_dir": result.out_dir, "best_epoch": result.best_epoch, "best_dev_f1": result.best_dev_f1,
            "epochs_run": result.epochs_run, "seconds": result.seconds, "kg_fusion": kg is not None,
            "entities": {"train": vars(train_stats), "validation": vars(dev_stats)}, "loadavg": os.getloadavg()}


def _rate(fn, n: int) -> dict:
    load = os.getloadavg()
    t0 = time.perf_counter()
    labels = fn()
    dt = time.perf_counter() - t0
    return {"labels": labels, "pairs_per_s": round(n / dt, 1), "seconds": round(dt, 2), "loadavg": load}


def report(args: argparse.Namespace) -> dict:
    torch.set_num_threads(1)
    schema, split = _load()
    out: dict = {"data": str(CMEIE / "CMeIE_dev.json"), "split": split_counts(split)}
    cands, cov = {}, {}
    for side, sentences in split.items():
        ls, cs = LocateStats(), CandidateStats()
        cands[side] = gold_candidates(sentences, schema, locate_stats=ls, stats=cs)
        cov[side] = {**vars(ls), **{k: v for k, v in vars(cs).items() if k != "labels"}}
        cov[side]["triples_found_share"] = round(1 - ls.triples_not_found / max(1, ls.triples), 4)
    out["coverage"] = cov
    (tr, tr_texts), (te, te_texts) = cands["train"], cands["test"]
    gold = [c.label for c in te]
    gold_sets = gold_triples(split["test"])
    t0 = time.perf_counter()
    rules = RuleBaseline(schema).fit(tr, tr_texts)
    rules_fit = round(time.perf_counter() - t0, 2)
    runs = {"rules": _rate(lambda: rules.predict(te, te_texts), len(te))}
    runs["rules"]["fit_seconds"] = rules_fit
    from extractor.relations.predict import load_relation_classifier

    clf = load_relation_classifier(args.model)
    runs["learned"] = _rate(lambda: clf.predict(te, te_texts), len(te))
    result_file = Path(args.model) / "train_result.json"
    if result_file.is_file():
        tr_res = json.loads(result_file.read_text(encoding="utf-8"))
        runs["learned"]["train"] = {k: tr_res[k] for k in ("seconds", "epochs_run", "best_epoch", "best_val_f1",
                                                             "threshold", "n_train", "n_val", "history", "config")}
    for run in runs.values():
        labels = run.pop("labels")
        scores = score_candidates(gold, labels)
        run["gold_entities"] = scores.as_dict(top=10)
        run["triples_cblue_gold_entities"] = score_triples(gold_sets, candidate_triples(te, labels)).as_dict()
    out["test_candidates"] = len(te)
    out["runs"] = runs
    delta = runs["learned"]["gold_entities"]["micro"]["f1"] - runs["rules"]["gold_entities"]["micro"]["f1"]
    out["learned_minus_rules_f1_points"] = round(100 * delta, 2)
    out["target_met"] = delta >= 0.10
    if args.ner_model:
        from extractor.relations.workflow import end_to_end

        load = os.getloadavg()
        out["end_to_end_predicted_entities"] = {**end_to_end(args.ner_model, split["test"], schema,
                                                             {"rules": rules, "learned": clf}, gold_sets),
                                                "loadavg": load}
    out["torch_threads"] = torch.get_num_threads()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("train", "train-ner", "report"))
    parser.add_argument("--model", help="relation checkpoint folder (train, report)")
    parser.add_argument("--ner-model", type=Path, help="CMeIE-typed tagger checkpoint (train-ner; report: end to end)")
    parser.add_argument("--kg", action=argparse.BooleanOptionalAction, default=True, help="train-ner: KG fusion")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--pooling", default="start", choices=("start", "mean", "start+mean"))
    parser.add_argument("--pairing", default="markers", choices=("markers", "shared"))
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--none-weight", type=float, default=1.0)
    parser.add_argument("--max-seconds", type=float, default=1500.0)
    parser.add_argument("--no-pretrained", dest="pretrained", action="store_false")
    args = parser.parse_args()
    if args.mode in ("train", "report") and not args.model:
        parser.error(f"{args.mode} needs --model")
    if args.mode == "train-ner" and not args.ner_model:
        parser.error("train-ner needs --ner-model")
    modes = {"train": train, "train-ner": train_ner, "report": report}
    print(json.dumps(modes[args.mode](args), ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
