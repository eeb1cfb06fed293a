"""One tagger, three annotation schemas: single-corpus baselines against multi-schema output sides.

Modes (each prints one JSON object, with ``os.getloadavg()`` beside every timing):

- ``train``: one run of the grid below into ``--root/<run>`` (the default recipe's encoder and features,
  :func:`app.tagging.recipe.build_default_model` with the relation step and the registration off; inputs
  in ``<MEDKG_HOME>/models/pretrained`` are reused). A run interrupted mid-training resumes from its
  ``trainer_state.pt``.
- ``evaluate``: every finished run of ``--root`` on each test side it has a head for: the CCKS 2019 test
  file, the CCKS 2017 test records (gold CSV), CMeEE's validation part (``app.tagging.data.cmeee_split``;
  the train part is what the models learn from, and nothing was tuned on it), strict micro-F1, nested and
  flat spans apart, per type; plus the CCKS 2017 symptom F1 of ``gazetteer-ner``'s exact KG-name matching.
- ``table``: the markdown table of ``extractor/RESULTS.md`` (mean +/- std over seeds) from ``evaluate``'s file,
  with ``--also FILE`` (repeatable) the runs of other evaluation files too: ``benchmarks/results/`` keeps the
  evaluations behind the published figures (scores only, no text), so the table can be made again on a machine
  whose models are gone.

Runs are named ``<group>-s<seed>``; the groups:

| group | schemas | output side |
|---|---|---|
| ``single-ccks2019`` | CCKS 2019 | CRF (today's default model) |
| ``single-ccks2017`` | CCKS 2017 | CRF |
| ``single-cmeee`` | CMeEE | span head (nested) |
| ``multi-mixed`` | all three | CRF heads for the EMR corpora, a span head for CMeEE |
| ``multi-span`` | all three | a span head per corpus |
| ``multi-shared`` | all three | one span head over the union, partial annotation |
| ``multi-crf`` | all three | a CRF head per corpus (CMeEE's nested spans cut to the outermost) |

Usage:
    PYTHONPATH=. python benchmarks/bench_multischema.py train --root $MEDKG_HOME/models/multi --run multi-mixed-s1
    PYTHONPATH=. python benchmarks/bench_multischema.py evaluate --root $MEDKG_HOME/models/multi
    PYTHONPATH=. python benchmarks/bench_multischema.py table --root $MEDKG_HOME/models/multi \
        --also benchmarks/results/multischema-seeds-1-2.json --also benchmarks/results/multischema-2026-12-05.json

Test sides are only read by ``evaluate`` (final evaluation); each run selects its epoch on validation
splits of its training records.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from app.tagging.data import models_home

GROUPS: dict[str, tuple[tuple[str, ...], str]] = {
    "single-ccks2019": (("ccks2019",), "crf"),
    "single-ccks2017": (("ccks2017",), "crf"),
    "single-cmeee": (("cmeee",), "span"),
    "multi-mixed": (("ccks2019", "ccks2017", "cmeee"), "mixed"),
    "multi-span": (("ccks2019", "ccks2017", "cmeee"), "span"),
    "multi-shared": (("ccks2019", "ccks2017", "cmeee"), "shared"),
    "multi-crf": (("ccks2019", "ccks2017", "cmeee"), "crf"),
}


def _group(run: str) -> tuple[str, int]:
    group, _, seed = run.rpartition("-s")
    if group not in GROUPS or not seed.isdigit():
        raise SystemExit(f"run {run!r}: expected <group>-s<seed> with a group among {', '.join(GROUPS)}")
    return group, int(seed)


def train(args: argparse.Namespace) -> dict[str, Any]:
    """One run through the default recipe (relations and registration off)."""
    from app.tagging.recipe import RecipeConfig, build_default_model

    if not args.run:
        raise SystemExit("train: --run <group>-s<seed> is required")
    group, seed = _group(args.run)
    schemas, output = GROUPS[group]
    recipe = RecipeConfig(schemas=schemas, output=output, seed=seed, threads=args.threads,
                          epochs=args.epochs, train_seconds=args.max_seconds, total_seconds=None,
                          relations=False, register_plugin=False)
    started = time.monotonic()
    result = build_default_model(Path(args.root) / args.run, recipe, say=lambda m: print(m, flush=True))
    return {"run": args.run, "seconds": round(time.monotonic() - started, 1), "train": result.train,
            "load_average": os.getloadavg()}


def _runs(root: Path, run: str | None = None) -> list[Path]:
    """The grid's finished runs under ``root`` (a relation model may sit beside them), or the one named."""
    if run is not None:
        _group(run)
        folder = root / run
        if not (folder / "train_result.json").is_file():
            raise SystemExit(f"{folder}: no finished run (train_result.json missing)")
        return [folder]
    return sorted(p for p in root.iterdir() if (p / "train_result.json").is_file()
                  and p.name.rpartition("-s")[0] in GROUPS)


def calibrate(args: argparse.Namespace) -> dict[str, Any]:
    """Span heads of finished runs: thresholds chosen on the run's own validation split, into its checkpoint.

    The split is the one training held out (``split_dev`` of each schema's training records with the run's
    ``dev_fraction`` and seed); no test side is read. Training calibrates by itself since the threshold
    came in; this mode is for runs trained before it (``--again``: calibrate a calibrated run again).
    """
    import torch

    from app.tagging.data import training_corpora
    from core.paths import default_data_dir
    from extractor.calibrate import calibrate_span_thresholds
    from extractor.checkpoint import load_tagger, write_span_thresholds
    from extractor.train import split_dev

    torch.set_num_threads(args.threads or torch.get_num_threads())
    out: dict[str, Any] = {}
    for folder in _runs(Path(args.root), args.run):
        tagger = load_tagger(folder, threads=args.threads or None)
        spans = [name for name in tagger.schemas if tagger.nested(name)]
        if not spans or (tagger.config.head.span_thresholds and not args.again):
            continue
        train = tagger.config.train
        corpora = training_corpora(default_data_dir(), spans)
        dev = {name: split_dev(corpora[name], train.dev_fraction, train.seed)[1] for name in spans}
        started = time.monotonic()
        report = calibrate_span_thresholds(tagger, dev)
        write_span_thresholds(folder, report)
        out[folder.name] = {**{name: c.to_dict() for name, c in report.items()},
                            "seconds": round(time.monotonic() - started, 1), "load_average": os.getloadavg()}
        print(json.dumps({folder.name: out[folder.name]}, ensure_ascii=False), flush=True)
    return {"calibrated": out}


def _test_sides(data_dir: Path) -> dict[str, Any]:
    from app.tagging.data import CCKS2017_DIR, CCKS_TEST, cmeee_split
    from extractor.corpora import read_ccks2017, read_ccks2019

    return {"ccks2019": list(read_ccks2019(data_dir / CCKS_TEST).examples),
            "ccks2017": list(read_ccks2017(data_dir / CCKS2017_DIR, "test").examples),
            "cmeee": cmeee_split(data_dir)[1]}


def _gazetteer_symptoms(data_dir: Path, records: list[Any]) -> dict[str, Any]:
    """CCKS 2017 症状和体征 against ``gazetteer-ner`` (its exact xywy KG names) on the same test records."""
    from extractor.data import Span
    from extractor.plugin import ExtractionRecord
    from extractor.plugins.context import PluginContext
    from extractor.plugins.gazetteer_ner import GazetteerNER, GazetteerNERConfig
    from extractor.scoring import score_spans
    from linker.sources import load_kg_vocabulary

    plugin = GazetteerNER(GazetteerNERConfig(), PluginContext.from_concepts(load_kg_vocabulary(data_dir)))
    found = plugin.extract([ExtractionRecord(ex.id, ex.text) for ex in records])
    gold = [[s for s in ex.spans if s.type == "症状和体征"] for ex in records]
    pred = [[Span(s.start, s.end, "症状和体征") for s in res.spans if s.type == "Symptom"] for res in found]
    report = score_spans(gold, pred)
    return {"micro": report.micro.to_dict(), "records": len(records)}


def _report(schema: str, gold: list[Any], pred: list[Any]) -> dict[str, Any]:
    """Strict scores of one test side (CCKS 2017: the symptom type alone too, beside the gazetteer's)."""
    from extractor.scoring import score_spans

    report = score_spans([ex.spans for ex in gold], pred).to_dict()
    if schema == "ccks2017":
        symptom = "症状和体征"
        report["symptoms"] = score_spans([[s for s in ex.spans if s.type == symptom] for ex in gold],
                                         [[s for s in p if s.type == symptom] for p in pred]).micro.to_dict()
    return report


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    """Every finished run (or the one named) on each test side it has a head for."""
    import torch

    from core.paths import default_data_dir
    from extractor.checkpoint import load_tagger

    torch.set_num_threads(args.threads or torch.get_num_threads())
    data_dir = default_data_dir()
    sides = _test_sides(data_dir)
    out_file = Path(args.root) / "eval.json"
    results: dict[str, Any] = json.loads(out_file.read_text()) if out_file.is_file() else {}
    for folder in _runs(Path(args.root), args.run):
        if folder.name in results and not args.again:
            continue
        tagger = load_tagger(folder, threads=args.threads or None)
        decided = {k: (tagger.span_threshold(k), tagger.span_nest_margin(k)) for k in tagger.schemas
                   if tagger.nested(k) and (tagger.span_threshold(k), tagger.span_nest_margin(k)) != (0.0, 0.0)}
        row: dict[str, Any] = {"load_average": os.getloadavg(),
                               "span_thresholds": {k: t for k, (t, _) in decided.items() if t},
                               "span_nest_margins": {k: m for k, (_, m) in decided.items() if m}}
        for schema in tagger.schemas:
            started = time.monotonic()
            gold = sides[schema]
            texts = [ex.text for ex in gold]
            if schema in decided:  # the calibrated head; the same at 0 (as trained) and without its margin
                threshold, margin = decided[schema]
                found = tagger.span_candidates(texts, schema, min(0.0, threshold))
                pred = found.at(threshold, margin)
                row.setdefault("threshold_zero", {})[schema] = _report(schema, gold, found.at(0.0))
                if margin:
                    row.setdefault("without_margin", {})[schema] = _report(schema, gold, found.at(threshold))
            else:
                pred = tagger.predict(texts, schema=schema)
            row[schema] = {**_report(schema, gold, pred), "records": len(gold),
                           "seconds": round(time.monotonic() - started, 1)}
        results[folder.name] = row
        out_file.write_text(json.dumps(results, ensure_ascii=False, indent=1))
        brief = {k: v.get("micro", v) if isinstance(v, dict) else v for k, v in row.items()}
        for key in ("threshold_zero", "without_margin"):
            brief[key] = {k: v["micro"] for k, v in row.get(key, {}).items()}
        print(json.dumps({folder.name: brief}, ensure_ascii=False), flush=True)
    if "gazetteer" not in results:
        results["gazetteer"] = {"ccks2017_symptoms": _gazetteer_symptoms(data_dir, sides["ccks2017"])}
        out_file.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return {"runs": sorted(results), "file": str(out_file)}


def _evaluations(root: Path, also: list[str]) -> dict[str, Any]:
    """The runs of ``root/eval.json`` and of each ``--also`` file (a run in two files: the later file wins)."""
    results: dict[str, Any] = {}
    for path in [*also, str(root / "eval.json")]:
        file = Path(path)
        if not file.is_file():
            if path in also:
                raise SystemExit(f"{path}: no such file")
            continue
        try:
            loaded = json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SystemExit(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from exc
        if not isinstance(loaded, dict):
            raise SystemExit(f"{path}: expected an object of runs, got {type(loaded).__name__}")
        results.update({run: row for run, row in loaded.items() if not run.startswith("_")})
    if not results:
        raise SystemExit(f"{root / 'eval.json'}: no evaluations (run evaluate first, or name files with --also)")
    return results


#: Entries of an evaluation row that are not test sides.
_NOT_SIDES = ("threshold_zero", "without_margin", "span_thresholds", "span_nest_margins")


def table(args: argparse.Namespace) -> dict[str, Any]:
    """Mean +/- std of strict micro-F1 per group and test side: span heads at threshold 0 (as trained), then
    the runs whose span heads were calibrated, as they run."""
    results = _evaluations(Path(args.root), args.also)
    plain: dict[str, dict[str, list[float]]] = {}
    calibrated: dict[str, dict[str, list[float]]] = {}
    for run, row in results.items():
        if run == "gazetteer":
            continue
        group, _ = _group(run)
        at_zero = row.get("threshold_zero", {})
        for side, report in row.items():
            if side in _NOT_SIDES or not isinstance(report, dict) or "micro" not in report:
                continue
            _add(plain, group, side, at_zero.get(side, report))
            if row.get("span_thresholds") or row.get("span_nest_margins"):
                _add(calibrated, group, side, report)
    print(_markdown(plain))
    if calibrated:
        print("\nSpan heads calibrated on each run's validation split:\n")
        print(_markdown(calibrated))
    return {"groups": plain, "calibrated": calibrated}


def _add(groups: dict[str, dict[str, list[float]]], group: str, side: str, report: dict[str, Any]) -> None:
    groups.setdefault(group, {}).setdefault(side, []).append(100 * report["micro"]["f1"])
    if "symptoms" in report:
        groups[group].setdefault("symptoms", []).append(100 * report["symptoms"]["f1"])


def _markdown(groups: dict[str, dict[str, list[float]]]) -> str:
    lines = ["| group | CCKS 2019 test | CCKS 2017 test | 症状和体征 | CMeEE validation |", "|---|---|---|---|---|"]
    for group in GROUPS:
        if group not in groups:
            continue
        cells = []
        for side in ("ccks2019", "ccks2017", "symptoms", "cmeee"):
            f1s = groups[group].get(side, [])
            spread = f" ± {statistics.stdev(f1s):.2f}" if len(f1s) > 1 else ""
            cells.append(f"{statistics.mean(f1s):.2f}{spread} (n={len(f1s)})" if f1s else "-")
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("train", "calibrate", "evaluate", "table"))
    parser.add_argument("--root", default=str(models_home() / "multi"))
    parser.add_argument("--run", help="train (required), calibrate and evaluate (default: every run): <group>-s<seed>")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--max-seconds", type=float, default=None, help="train: tagger wall-clock budget")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--again", action="store_true",
                        help="evaluate: also runs already in eval.json; calibrate: also calibrated runs")
    parser.add_argument("--also", action="append", default=[], metavar="FILE",
                        help="table: evaluations of earlier runs too (an eval.json, or benchmarks/results/*.json)")
    args = parser.parse_args()
    result = {"train": train, "calibrate": calibrate, "evaluate": evaluate, "table": table}[args.mode](args)
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
