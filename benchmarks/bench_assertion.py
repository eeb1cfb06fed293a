"""Assertion: the rules, two baselines, the learned classifier and their combination, as one JSON object.

On one split of the project's annotation set (``--split``, default ``test``), records and written passages
apart and together: P/R/F1 per dimension and class and the macro-F1 of the rules
(:class:`~extractor.assertion.context.ContextEngine`), the two baselines (``all_default``, ``NegExBaseline``),
the learned model (``--model``) and the combination stored with it (its per-dimension policy, chosen by
cross-validation on the train split); certainty on a CMDD split (``--cmdd-split``, default ``test``) for all of
them (the learned model with its dialogue heads, and with its record heads as ``learned_record_heads``);
mentions/s of each on one core (``torch.set_num_threads(1)``), with ``os.getloadavg()`` beside.

``--train`` trains the model when ``--model`` holds none: k-fold cross-validation on the annotation set's
*train* split (plus CMDD train, which is in every fold's training data), the policy chosen from it, the final
model on the whole train split plus CMDD train. Nothing of the test split or of CMDD test is read to train or
choose. With ``--split train`` the learned and combined figures are the held-out cross-validation predictions
stored with the model, not the final model's scores on its own training data.

Usage (development, never the test part):
    PYTHONPATH=. python benchmarks/bench_assertion.py --model models/assertion --train --split train \
        --cmdd-split dev
Final evaluation:
    PYTHONPATH=. python benchmarks/bench_assertion.py --model models/assertion --split test --cmdd-split test
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from core.paths import default_data_dir
from extractor.assertion.cmdd import CONTEXTS, Context, read_cmdd
from extractor.assertion.combine import (
    DIALOGUE,
    Combined,
    cmdd_examples,
    combine_one,
    read_combination,
    train_and_choose,
)
from extractor.assertion.context import ContextEngine
from extractor.assertion.evalset import load_annotations, read_texts
from extractor.assertion.evaluate import Method, NegExBaseline, all_default, evaluate_method
from extractor.assertion.learned import LearnedAssertion, LearnedConfig, score_examples
from extractor.assertion.schema import Assertion

DATA = default_data_dir()


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _items(split: str, texts: dict[str, str]) -> list[tuple[Any, str]]:
    rows = [r for r in load_annotations() if r.split == split]
    missing = sorted({r.doc for r in rows if r.doc not in texts})
    if missing:
        raise SystemExit(f"{len(missing)} documents of the {split} split are not under {DATA} (e.g. {missing[0]})")
    return [(r, texts[r.doc]) for r in rows]


class _HeldOut:
    """The stored cross-validation predictions as a method (``--split train``: honest learned figures)."""

    def __init__(self, record: dict, items: Sequence[tuple[Any, str]]) -> None:
        by_key = {(h["doc"], h["start"], h["end"]): Assertion(h["certainty"], h["temporality"], h["experiencer"])
                  for h in record.get("held_out", [])}
        self.table = {(text, row.start, row.end): by_key[(row.doc, row.start, row.end)] for row, text in items
                      if (row.doc, row.start, row.end) in by_key}

    def __call__(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Assertion]:
        return [self.table[(text, s, e)] for s, e in spans]


def _train(args: argparse.Namespace, texts: dict[str, str]) -> dict[str, Any]:
    """Cross-validate, choose, train and save (train split and CMDD train only)."""
    config = LearnedConfig(encoder=args.encoder, epochs=args.epochs, hidden=args.hidden,
                           embedding_dim=args.embedding_dim, window=args.window, seed=args.seed)
    spans, stats = read_cmdd("train", data_dir=DATA, context=args.cmdd_context)
    extra = cmdd_examples(spans, args.cmdd_weight)
    meta = {"cmdd_context": args.cmdd_context, "cmdd_weight": args.cmdd_weight, "cmdd_train": stats.summary(),
            "loadavg_start": _loadavg()}
    record = train_and_choose(_items("train", texts), extra, config, args.model, folds=args.folds, seed=args.seed,
                              meta=meta, repeat=args.mention_repeat)
    record["meta"]["loadavg_end"] = _loadavg()
    return record


def _scores(result: dict[str, Any]) -> dict[str, Any]:
    scores = result["scores"]
    return {"macro_f1": result["macro_f1"], "mentions": result["mentions"],
            "f1": {d: {c: s["f1"] for c, s in v.items() if s["support"]} for d, v in scores.items()},
            "scores": scores}


def _rate(method: Method, items: Sequence[tuple[Any, str]], min_seconds: float = 2.0) -> dict[str, Any]:
    """Mentions/s of ``method`` over the items' texts, all spans of a text in one call, repeated >= min_seconds."""
    by_text: dict[str, list[tuple[int, int]]] = {}
    for row, text in items:
        by_text.setdefault(text, []).append((row.start, row.end))
    load, n, t0 = _loadavg(), 0, time.perf_counter()
    while True:
        for text, spans in by_text.items():
            method(text, spans)
            n += len(spans)
        if time.perf_counter() - t0 >= min_seconds:
            break
    seconds = time.perf_counter() - t0
    return {"mentions_per_s": round(n / seconds, 1), "mentions": n, "seconds": round(seconds, 2), "loadavg": load}


def _cmdd(methods: dict[str, Method], split: str, context: Context) -> dict[str, Any]:
    spans, stats = read_cmdd(split, data_dir=DATA, context=context)
    examples = cmdd_examples(spans)
    out: dict[str, Any] = {"split": split, "context": context, **stats.summary()}
    for name, method in methods.items():
        c = score_examples(method, examples)["certainty"]
        out[name] = {"macro_f1": c["macro_f1"], "f1": {k: v["f1"] for k, v in c["classes"].items()},
                     "scores": c["classes"]}
    return out


def report(args: argparse.Namespace) -> dict[str, Any]:
    logging.basicConfig(level=logging.ERROR)
    torch.set_num_threads(1)
    texts = read_texts(DATA)
    out: dict[str, Any] = {"data": str(DATA), "split": args.split, "torch_threads": 1}
    if not (Path(args.model) / "model.safetensors").is_file():
        if not args.train:
            raise SystemExit(f"{args.model}: no model; pass --train to train one (train split and CMDD train only)")
        out["trained"] = _train(args, texts)
    record = read_combination(args.model)
    model = LearnedAssertion.load(args.model)
    rules = ContextEngine()
    policy = record["policy"]
    items = _items(args.split, texts)
    methods: dict[str, Method] = {"rules": rules, "all_default": all_default, "negex": NegExBaseline(),
                                  "learned": model, "combined": Combined(rules, model, policy)}
    scored = dict(methods)
    if args.split == "train" and not record.get("held_out"):
        del scored["learned"], scored["combined"]
        out["learned_figures"] = "none: the model was trained without cross-validation (--folds 0)"
    elif args.split == "train":
        held = _HeldOut(record, items)
        scored["learned"] = held
        scored["combined"] = lambda text, spans: [combine_one(r, m, policy) for r, m in
                                                  zip(rules(text, spans), held(text, spans), strict=True)]
        out["learned_figures"] = "cross-validation held-out predictions stored with the model"
    groups = {"records": [i for i in items if not i[0].doc.startswith("written:")],
              "written": [i for i in items if i[0].doc.startswith("written:")], "all": items}
    out["policy"] = policy
    out["model"] = {"folder": str(args.model), "config": model.config.model_dump(), "meta": record.get("meta"),
                    "final_training": record.get("final"),
                    "crossval": {k: v for k, v in record.get("crossval", {}).items() if k not in ("rules", "learned",
                                                                                                 "combined")}}
    out["evaluation"] = {group: {name: _scores(evaluate_method(m, part)) for name, m in scored.items()}
                         for group, part in groups.items() if part}
    out["macro_f1"] = {group: {name: r["macro_f1"] for name, r in res.items()} for group, res in
                       out["evaluation"].items()}
    context = record.get("meta", {}).get("cmdd_context", "sentence")
    if args.cmdd_split != "none":
        cmdd_methods = {k: methods[k] for k in ("rules", "negex", "all_default")}
        if DIALOGUE in model.domains:  # CMDD trained heads of its own: they answer for dialogues
            dialogue = model.for_domain(DIALOGUE)
            cmdd_methods.update({"learned": dialogue, "combined": Combined(rules, dialogue, policy),
                                 "learned_record_heads": model})
        else:
            cmdd_methods.update({"learned": model, "combined": methods["combined"]})
        out["cmdd"] = _cmdd(cmdd_methods, args.cmdd_split, context)
    out["speed_one_core"] = {name: _rate(m, items) for name, m in methods.items()}
    out["loadavg_end"] = _loadavg()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, type=Path, help="learned model folder (trained with --train)")
    parser.add_argument("--train", action="store_true", help="train the model when the folder holds none")
    parser.add_argument("--split", choices=("train", "test"), default="test", help="annotation split to score")
    parser.add_argument("--cmdd-split", choices=("train", "dev", "test", "none"), default="test")
    parser.add_argument("--folds", type=int, default=5, help="--train: cross-validation folds (0: none, rules only)")
    parser.add_argument("--cmdd-context", choices=CONTEXTS, default="sentence", help="--train: CMDD span context")
    parser.add_argument("--cmdd-weight", type=float, default=1.0, help="--train: loss weight of a CMDD span")
    parser.add_argument("--mention-repeat", type=int, default=5,
                        help="--train: times each annotated mention of the train split is given per epoch")
    parser.add_argument("--encoder", choices=("cnn", "bilstm"), default="cnn")
    parser.add_argument("--epochs", type=int, default=LearnedConfig().epochs)
    parser.add_argument("--hidden", type=int, default=LearnedConfig().hidden)
    parser.add_argument("--embedding-dim", type=int, default=LearnedConfig().embedding_dim)
    parser.add_argument("--window", type=int, default=LearnedConfig().window)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    print(json.dumps(report(args), ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
