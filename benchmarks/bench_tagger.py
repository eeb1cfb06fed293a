"""Tagger experiments and speed, each mode printing one JSON object.

Modes:

- ``grid``: train and evaluate named runs (see ``RUNS``) with ``medkg train`` / ``medkg evaluate`` in
  ``--workers`` parallel processes (one torch thread each). A run whose ``eval.json`` exists is
  skipped, so re-running the same command resumes the grid; a run interrupted mid-training resumes
  from its ``trainer_state.pt``.
- ``table``: markdown tables as in docs/benchmarks.md (mean +/- std over seeds) from the grid's results.
- ``paper``: the same results laid out as the paper's Tables 5, 7, 8 and 9.
- ``speed``: inference throughput of one checkpoint on the CCKS 2019 test records (all cores).
- ``quality``: the quality push's rows (SoftLexicon, the xywy + CMeKG gazetteer, the merged KG's vectors) paired
  against ``char-kg-transh`` (or ``--base GROUP``).
- ``ensemble``: a group's finished seeds as a span-voting ensemble: test scores and records/s, next to a
  single member timed in the same run.

Usage:
    PYTHONPATH=. python benchmarks/bench_tagger.py grid --root $MEDKG_HOME/models/exp --runs char-kg-s1 char-nokg-s1
    PYTHONPATH=. python benchmarks/bench_tagger.py table --root $MEDKG_HOME/models/exp
    PYTHONPATH=. python benchmarks/bench_tagger.py speed --model $MEDKG_HOME/models/exp/char-kg-s1

The CCKS 2019 test file is only ever passed to ``medkg evaluate`` (final evaluation); model selection
uses the validation split of the training files.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from app.tagging.data import models_home
from core.paths import default_data_dir

DATA = default_data_dir()
CCKS = DATA / "ccks2019-yidu-s4k"
TRAIN = [CCKS / "subtask1_training_part1.txt", CCKS / "subtask1_training_part2.txt"]
TEST = CCKS / "subtask1_test_set_with_answer.json"
PRETRAINED = models_home() / "pretrained/char_vectors.npz"
#: KG vector files (``medkg kge-vectors --model M``); ``quick`` is the stop-gap torch TransE.
KG_FILES = {name: models_home() / f"pretrained/{name}.npz" for name in ("transe", "transh", "transr")}
KG_FILES["quick"] = models_home() / "pretrained/transe_quick.npz"
#: TransH on the merged xywy + CMeKG KG (``medkg kge-vectors --model TransH --cmekg <pickle>``).
KG_FILES["transh_merged"] = models_home() / "pretrained/transh_merged.npz"
CHAR_BERT = models_home() / "pretrained/char_bert"

# The fast CPU configuration used for this session's rows (1 x 128 BiLSTM); "default" is 2 x 256.
FAST = ["--lstm-layers", "1", "--lstm-hidden", "128", "--batch-size", "32", "--epochs", "20"]
GROUPS: dict[str, list[str]] = {
    "char-kg": [*FAST, "--kg"],
    "char-nokg": [*FAST, "--no-kg"],
    "char-kg-nobioes": [*FAST, "--kg", "--no-bioes"],
    "char-kg-nocategory": [*FAST, "--kg", "--no-category"],
    "char-kg-nosemantic": [*FAST, "--kg", "--no-semantic"],
    "char-nokg-nogaz": [*FAST, "--no-kg", "--no-bioes", "--no-category"],
    "default-kg": ["--kg"],
    # Table 8: the same fast model with pykeen TransE / TransH / TransR vectors (embeddings/).
    "char-kg-transe": [*FAST, "--kg"],
    "char-kg-transh": [*FAST, "--kg"],
    "char-kg-transr": [*FAST, "--kg"],
    # Table 5: the self-pretrained character BERT (medkg pretrain --kind mlm) under the same head.
    "bert-kg": [*FAST, "--kg", "--config", "{bert}"],
    "bert-nokg": [*FAST, "--no-kg", "--config", "{bert}"],
    # Beyond the paper: the training records' own entity lexicon as a second dictionary channel.
    "char-kg-lex": [*FAST, "--kg", "--lexicon"],
    # The quality push, all on the TransH vectors of today's best row (char-kg-transh):
    # SoftLexicon word features (jieba + KG names, word2vec), the xywy + CMeKG gazetteer, both.
    "char-kg-transh-softlex": [*FAST, "--kg", "--word-lexicon", "{words}"],
    "char-kg-transh-cmekg": [*FAST, "--kg", "--cmekg", "{cmekg}"],
    "char-kg-transh-cmekg-softlex": [*FAST, "--kg", "--cmekg", "{cmekg}", "--word-lexicon", "{words}"],
    "char-kg-transh-cmekg-softlex-lex": [*FAST, "--kg", "--cmekg", "{cmekg}", "--word-lexicon", "{words}",
                                         "--lexicon"],
    "char-kg-transh-softlex-lex": [*FAST, "--kg", "--word-lexicon", "{words}", "--lexicon"],
    # The merged KG where the tagger uses it: TransH vectors trained on xywy + CMeKG (so CMeKG's concepts
    # have vectors too), with the xywy gazetteer or the merged one.
    "char-kg-transhm-softlex": [*FAST, "--kg", "--word-lexicon", "{words}"],
    "char-kg-transhm-cmekg-softlex": [*FAST, "--kg", "--cmekg", "{cmekg}", "--word-lexicon", "{words}"],
}
#: Which KG vector file a group trains with (default: the stop-gap ``quick`` TransE of the first rows).
GROUP_KG = {"char-kg-transe": "transe", "char-kg-transh": "transh", "char-kg-transr": "transr",
            "bert-kg": "transe", "bert-nokg": "transe", "char-kg-transh-softlex": "transh",
            "char-kg-transh-cmekg": "transh", "char-kg-transh-cmekg-softlex": "transh",
            "char-kg-transh-cmekg-softlex-lex": "transh", "char-kg-transh-softlex-lex": "transh",
            "char-kg-transhm-softlex": "transh_merged", "char-kg-transhm-cmekg-softlex": "transh_merged"}
#: The SoftLexicon word lexicon (``medkg pretrain --kind words --cmekg <pickle>``).
WORDS = models_home() / "pretrained/word_lexicon.npz"
#: Fine-tuning settings of the character BERT rows (lr 1e-4 for a small, self-pretrained encoder).
BERT_CONFIG = {"encoder": {"kind": "transformers", "name_or_path": str(CHAR_BERT),
                           "vocab_path": str(CHAR_BERT / "vocab.txt"), "window": 254},
               "train": {"lr_encoder": 1e-4}}


def run_args(name: str, root: Path) -> list[str]:
    """``<group>-s<seed>`` -> ``medkg train`` options."""
    group, _, seed = name.rpartition("-s")
    if group not in GROUPS or not seed.isdigit():
        raise SystemExit(f"unknown run {name!r}; groups: {', '.join(GROUPS)} (append -s<seed>)")
    bert = root / "bert_config.json"
    if "{bert}" in GROUPS[group]:
        bert.write_text(json.dumps(BERT_CONFIG))
    kg = KG_FILES[GROUP_KG.get(group, "quick")]
    fill = {"{bert}": str(bert), "{words}": str(WORDS)}
    if "{cmekg}" in GROUPS[group]:
        from kgmodel.cmekg import installed_pickle

        fill["{cmekg}"] = str(installed_pickle())
    return [fill.get(a, a) for a in GROUPS[group]] + ["--seed", seed, "--kg-vectors", str(kg)]


def medkg(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def one_run(root: Path, name: str) -> dict:
    out = root / name
    if (out / "eval.json").is_file():
        return json.loads((out / "eval.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    train = [a for p in TRAIN for a in ("--train", str(p))]
    resume = ["--resume"] if (out / "trainer_state.pt").is_file() else []
    with (out / "train.log").open("a") as log:
        subprocess.run(medkg("train", *train, "--out", str(out), "--pretrained", str(PRETRAINED),
                             "--threads", "1", "--no-progress", "--json", *resume, *run_args(name, root)),
                       check=True, stdout=log, stderr=log)
        train_s = time.monotonic() - started
        done = subprocess.run(medkg("evaluate", "--model", str(out), "--test", str(TEST), "--threads", "1", "--json"),
                              check=True, capture_output=True, text=True)
    result = {"run": name, "train_seconds": round(train_s, 1), **json.loads(done.stdout.strip().splitlines()[-1]),
              "train": json.loads((out / "train_result.json").read_text())}
    result["train"].pop("config", None)
    (out / "eval.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    return result


def grid(args: argparse.Namespace) -> dict:
    root = Path(args.root)
    with ThreadPoolExecutor(args.workers) as pool:
        results = list(pool.map(lambda n: one_run(root, n), args.runs))
    return {"runs": {r["run"]: {"test_f1": r["micro"]["f1"], "dev_f1": r["train"]["best_dev_f1"],
                                "train_seconds": r["train_seconds"]} for r in results}}


def _fmt(values: list[float]) -> str:
    if len(values) == 1:
        return f"{100 * values[0]:.2f} (1 seed)"
    return f"{100 * statistics.mean(values):.2f} ± {100 * statistics.stdev(values):.2f} ({len(values)} seeds)"


def table(args: argparse.Namespace) -> dict:
    groups = _groups(Path(args.root))
    lines = ["| run | seeds | dev F1 | test P | test R | test F1 | epochs | train min |",
             "|---|---|---|---|---|---|---|---|"]
    for g, rs in groups.items():
        lines.append(f"| {g} | {','.join(_seed(r) for r in rs)} | "
                     f"{_fmt([r['train']['best_dev_f1'] for r in rs])} | "
                     f"{_fmt([r['micro']['precision'] for r in rs])} | {_fmt([r['micro']['recall'] for r in rs])} | "
                     f"{_fmt([r['micro']['f1'] for r in rs])} | "
                     f"{statistics.mean(r['train']['epochs_run'] for r in rs):.1f} | "
                     f"{statistics.mean(r['train']['seconds'] for r in rs) / 60:.1f} |")
    per_type = ["| run | " + " | ".join(sorted(next(iter(groups.values()))[0]["per_type"])) + " |"] if groups else []
    if groups:
        types = sorted(next(iter(groups.values()))[0]["per_type"])
        per_type.append("|---|" + "---|" * len(types))
        for g, rs in groups.items():
            per_type.append(f"| {g} | " + " | ".join(_fmt([r["per_type"][t]["f1"] for r in rs]) for t in types) + " |")
    paired = ["| run | vs char-kg, same seeds | test F1 difference (run - char-kg) |", "|---|---|---|"]
    for g in groups:
        _, diffs = _paired(groups, g, "char-kg")
        if g != "char-kg" and diffs:
            paired.append(f"| {g} | {len(diffs)} | {_fmt_diff(diffs)} |")
    return {"markdown": "\n".join(lines), "per_type_markdown": "\n".join(per_type),
            "paired_markdown": "\n".join(paired)}


#: The paper's tables (CBT-KG Tables 5, 7, 8, 9) as (title, rows of (label, group), paired baseline group).
PAPER_TABLES: list[tuple[str, list[tuple[str, Any]], str | None]] = [
    ("Table 5: models", [
        ("BiLSTM-CRF on char (+ bigram) embeddings, no KG input", "char-nokg-nogaz"),
        ("+ gazetteer BIOES/category features", "char-nokg"),
        ("+ KG fusion (= CBT-KG on char embeddings, fast head)", "char-kg"),
        ("CBT-KG, default head 2 x 256", "default-kg"),
        ("own char BERT + BiLSTM-CRF + features, no KG vector", "bert-nokg"),
        ("own char BERT + BiLSTM-CRF + features + KG fusion", "bert-kg"),
        ("CBT-KG (fast) + training-record lexicon (beyond the paper)", "char-kg-lex"),
    ], None),
    ("Table 7: KG fusion, paired over seeds", [
        ("char: KG vector on vs off", ("char-kg", "char-nokg")),
        ("char: all KG input (vector + gazetteer features) on vs off", ("char-kg", "char-nokg-nogaz")),
        ("char, pykeen TransE vectors: KG vector on vs off", ("char-kg-transe", "char-nokg")),
        ("char, pykeen TransH vectors: KG vector on vs off", ("char-kg-transh", "char-nokg")),
        ("char, pykeen TransR vectors: KG vector on vs off", ("char-kg-transr", "char-nokg")),
        ("char BERT: KG vector on vs off", ("bert-kg", "bert-nokg")),
        ("training-record lexicon on vs off (char, quick TransE)", ("char-kg-lex", "char-kg")),
    ], "paired"),
    ("Table 8: KG embedding model of the fused vectors (fast char model)", [
        ("TransE, stop-gap torch trainer (extractor.kge_quick)", "char-kg"),
        ("TransE (pykeen, embeddings/)", "char-kg-transe"),
        ("TransH (pykeen, embeddings/)", "char-kg-transh"),
        ("TransR (pykeen, embeddings/)", "char-kg-transr"),
    ], None),
    ("Table 9: character features (fast char model with KG)", [
        ("all features", "char-kg"),
        ("- gazetteer BIOES position", "char-kg-nobioes"),
        ("- matched category", "char-kg-nocategory"),
        ("- semantic (bigram) embedding", "char-kg-nosemantic"),
    ], None),
    ("Table 9, paired: removing one feature, same seeds", [
        ("- gazetteer BIOES position", ("char-kg-nobioes", "char-kg")),
        ("- matched category", ("char-kg-nocategory", "char-kg")),
        ("- semantic (bigram) embedding", ("char-kg-nosemantic", "char-kg")),
    ], "paired"),
]


def _seed(result: dict) -> str:
    return result["run"].rpartition("-s")[2]


def _paired(groups: dict[str, list[dict]], a: str, b: str) -> tuple[list[str], list[float]]:
    """Seeds both groups ran (in order) and the test-F1 differences ``a - b`` on each."""
    fa = {_seed(r): r["micro"]["f1"] for r in groups.get(a, [])}
    fb = {_seed(r): r["micro"]["f1"] for r in groups.get(b, [])}
    seeds = sorted(set(fa) & set(fb))
    return seeds, [fa[x] - fb[x] for x in seeds]


def _groups(root: Path) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for path in sorted(root.glob("*/eval.json")):
        r = json.loads(path.read_text())
        groups.setdefault(r["run"].rpartition("-s")[0], []).append(r)
    return groups


def paper(args: argparse.Namespace) -> dict:
    """The paper-shaped tables (markdown) from whatever runs have finished."""
    groups = _groups(Path(args.root))
    out = []
    for title, rows, kind in PAPER_TABLES:
        out += [f"#### {title}", ""]
        if kind == "paired":
            out += ["| comparison | seeds | test F1 difference |", "|---|---|---|"]
            for label, (a, b) in rows:
                seeds, diffs = _paired(groups, a, b)
                diff = _fmt_diff(diffs) if seeds else "not run"
                out.append(f"| {label} (`{a}` - `{b}`) | {','.join(seeds) or '-'} | {diff} |")
        else:
            out += ["| model | run | seeds | test P | test R | test F1 | train min |", "|---|---|---|---|---|---|---|"]
            for label, group in rows:
                rs = groups.get(group, [])
                if not rs:
                    out.append(f"| {label} | `{group}` | - | not run | | | |")
                    continue
                out.append(f"| {label} | `{group}` | {','.join(_seed(r) for r in rs)} | "
                           f"{_fmt([r['micro']['precision'] for r in rs])} | "
                           f"{_fmt([r['micro']['recall'] for r in rs])} | {_fmt([r['micro']['f1'] for r in rs])} | "
                           f"{statistics.mean(r['train']['seconds'] for r in rs) / 60:.1f} |")
        out.append("")
    return {"markdown": "\n".join(out)}


def _fmt_diff(values: list[float]) -> str:
    mean = 100 * statistics.mean(values)
    spread = f" ± {100 * statistics.stdev(values):.2f}" if len(values) > 1 else ""
    return f"{mean:+.2f}{spread} (per seed: {', '.join(f'{100 * v:+.2f}' for v in values)})"


#: The quality push: each row against today's best (char-kg-transh), same seeds.
QUALITY_ROWS = [
    ("today's best: fast char model, TransH vectors, xywy gazetteer", "char-kg-transh"),
    ("+ SoftLexicon (jieba + xywy + CMeKG words, word2vec)", "char-kg-transh-softlex"),
    ("+ xywy + CMeKG gazetteer (4 more categories)", "char-kg-transh-cmekg"),
    ("+ SoftLexicon + the xywy + CMeKG gazetteer", "char-kg-transh-cmekg-softlex"),
    ("+ both + the training-record lexicon", "char-kg-transh-cmekg-softlex-lex"),
    ("+ SoftLexicon + the training-record lexicon", "char-kg-transh-softlex-lex"),
    ("+ SoftLexicon, TransH vectors of the merged xywy + CMeKG KG", "char-kg-transhm-softlex"),
    ("+ SoftLexicon + the merged gazetteer + the merged KG's TransH vectors", "char-kg-transhm-cmekg-softlex"),
]
TYPE_ORDER = ("Disease", "Anatomy", "LabTest", "ImagingExam", "Operation", "Drug")


def quality(args: argparse.Namespace) -> dict:
    """The quality push's rows: P/R/F1, paired differences against ``--base`` (char-kg-transh), per-type F1."""
    groups = _groups(Path(args.root))
    base = args.base
    rows = [f"| model | run | seeds | test P | test R | test F1 | vs `{base}`, same seeds |",
            "|---|---|---|---|---|---|---|"]
    types = ["| run | " + " | ".join(TYPE_ORDER) + " |", "|---|" + "---|" * len(TYPE_ORDER)]
    for label, group in QUALITY_ROWS:
        rs = groups.get(group, [])
        if not rs:
            rows.append(f"| {label} | `{group}` | - | not run | | | |")
            continue
        seeds, diffs = _paired(groups, group, base)
        paired = _fmt_diff(diffs) if diffs and group != base else "-"
        rows.append(f"| {label} | `{group}` | {','.join(_seed(r) for r in rs)} | "
                    f"{_fmt([r['micro']['precision'] for r in rs])} | {_fmt([r['micro']['recall'] for r in rs])} | "
                    f"{_fmt([r['micro']['f1'] for r in rs])} | {paired} |")
        types.append(f"| `{group}` | " + " | ".join(_fmt([r["per_type"][t]["f1"] for r in rs]) for t in TYPE_ORDER)
                     + " |")
    return {"markdown": "\n".join(rows), "per_type_markdown": "\n".join(types)}


def ensemble(args: argparse.Namespace) -> dict:
    """A group's seeds (or several groups') as one span-voting ensemble, timed next to its first member."""
    from extractor.checkpoint import load_tagger
    from extractor.data import read_ccks
    from extractor.ensemble import VotingEnsemble
    from extractor.evaluate import evaluate_tagger

    root = Path(args.root)
    dirs = sorted(d for g in args.group for d in root.glob(f"{g}-s*") if (d / "eval.json").is_file()
                  and d.name.rpartition("-s")[0] == g)
    if len(dirs) < 2:
        raise SystemExit(f"ensemble: {args.group} have {len(dirs)} finished seeds under {root}; it needs 2 or more")
    members = [load_tagger(d, threads=args.threads) for d in dirs]
    voting = VotingEnsemble(members, args.min_votes)
    examples = read_ccks(TEST)
    evaluate_tagger(members[0], examples[:20])  # warm-up
    single = [evaluate_tagger(members[0], examples) for _ in range(args.rounds)]
    voted = [evaluate_tagger(voting, examples) for _ in range(args.rounds)]
    rate = lambda rounds: sorted(r.records_per_second for r in rounds)[len(rounds) // 2]  # noqa: E731
    report = voted[0].report
    return {"group": args.group, "members": [d.name for d in dirs], "min_votes": voting.min_votes,
            "threads": members[0].threads, "test_p": report.micro.precision, "test_r": report.micro.recall,
            "test_f1": report.micro.f1, "per_type_f1": {t: v.f1 for t, v in report.per_type.items()},
            "member_f1": [json.loads((d / "eval.json").read_text())["micro"]["f1"] for d in dirs],
            "records_per_second": round(rate(voted), 1), "member_records_per_second": round(rate(single), 1),
            "load_average": os.getloadavg(),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def speed(args: argparse.Namespace) -> dict:
    from extractor.checkpoint import load_tagger
    from extractor.data import read_ccks
    from extractor.evaluate import evaluate_tagger

    tagger = load_tagger(args.model, threads=args.threads)
    examples = read_ccks(TEST)
    evaluate_tagger(tagger, examples[:20])  # warm-up
    rounds = [evaluate_tagger(tagger, examples) for _ in range(args.rounds)]
    rates = sorted(r.records_per_second for r in rounds)
    return {"model": args.model, "records": len(examples), "threads": tagger.threads,
            "records_per_second_median": round(rates[len(rates) // 2], 1), "rounds": [round(x, 1) for x in rates],
            "test_f1": rounds[0].report.micro.f1, "load_average": os.getloadavg(),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "seconds_per_round": [round(len(examples) / x, 2) for x in rates]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    g = sub.add_parser("grid")
    g.add_argument("--root", default=str(models_home() / "exp"))
    g.add_argument("--runs", nargs="+", required=True)
    g.add_argument("--workers", type=int, default=2)
    t = sub.add_parser("table")
    t.add_argument("--root", default=str(models_home() / "exp"))
    pp = sub.add_parser("paper")
    pp.add_argument("--root", default=str(models_home() / "exp"))
    q = sub.add_parser("quality")
    q.add_argument("--root", default=str(models_home() / "exp"))
    q.add_argument("--base", default="char-kg-transh", help="the group every row is paired against")
    e = sub.add_parser("ensemble")
    e.add_argument("--root", default=str(models_home() / "exp"))
    e.add_argument("--group", nargs="+", required=True, help="one group's seeds, or several groups' together")
    e.add_argument("--min-votes", type=int, default=None)
    e.add_argument("--rounds", type=int, default=3)
    e.add_argument("--threads", type=int, default=0, help="torch threads (0: every core)")
    s = sub.add_parser("speed")
    s.add_argument("--model", required=True)
    s.add_argument("--rounds", type=int, default=3)
    s.add_argument("--threads", type=int, default=0, help="torch threads (0: every core)")
    args = parser.parse_args()
    if not TEST.is_file():
        print(json.dumps({"skipped": f"{TEST} missing; set MEDKG_DATA_DIR"}))
        return
    out = {"grid": grid, "table": table, "paper": paper, "speed": speed, "quality": quality,
           "ensemble": ensemble}[args.mode](args)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
