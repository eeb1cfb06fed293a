"""The precision of ``cooccurrence-relations`` on records, judged by reading a sample of its facts.

The rule's ``precision`` (its config, which the graph's confidence rule uses) was an estimate (0.4).
This measures it on EMRs of a hospital the rule was never written against: CCKS 2017's *training*
records (its test side stays for the tagger's evaluation), with the watcher's chain before the relation
step, no database: ``gazetteer-ner`` (the xywy KG's names), the merge rule, ``context-assertion``, then
``cooccurrence-relations`` with its defaults. Every positive fact (``polarity`` affirmed: what becomes
record-derived evidence) of a seeded sample of records is listed; a seeded sample of those is judged by
a reader (is the relation stated or clearly implied by the record, between these two mentions?).

Modes:

- ``sheet``: print the sample as a reading sheet (record id, predicate, both mentions with their
  offsets, the text between and around them) and write the judgement file's skeleton (offsets and
  predicate, verdict empty) if it does not exist.
- ``score``: precision overall and per predicate from the filled judgement file, with a Wilson 95%
  interval, and the reasons of the wrong ones.

The judgement file (``data/annotations/rule_precision.tsv``) holds record ids, offsets, predicates,
verdicts (``1`` right, ``0`` wrong) and a short reason code, never the records' text.

Usage:
    PYTHONPATH=. python benchmarks/bench_rule_precision.py sheet > /tmp/rule-sheet.txt
    PYTHONPATH=. python benchmarks/bench_rule_precision.py score
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
JUDGED = REPO / "data" / "annotations" / "rule_precision.tsv"
FIELDS = ("record", "subject_start", "subject_end", "object_start", "object_end", "predicate", "score", "verdict",
          "reason")
RECORDS, FACTS, SEED = 150, 80, 2017


def facts() -> tuple[list[dict[str, Any]], dict[str, str], dict[str, int]]:
    """Positive rule facts of the seeded record sample, and the sample's texts by record id."""
    from app.tagging.data import CCKS2017_DIR
    from core.paths import default_data_dir
    from extractor.corpora import read_ccks2017
    from extractor.plugin import ExtractionRecord
    from extractor.plugins.assertion import ContextAssertion, ContextAssertionConfig
    from extractor.plugins.context import PluginContext
    from extractor.plugins.cooccurrence import CooccurrenceRelations
    from extractor.plugins.evidence import relation_polarity
    from extractor.plugins.gazetteer_ner import GazetteerNER, GazetteerNERConfig
    from extractor.plugins.merge import merge_ner_spans
    from linker.sources import load_kg_vocabulary

    data_dir = default_data_dir()
    corpus = list(read_ccks2017(data_dir / CCKS2017_DIR, "train").examples)
    sample = random.Random(SEED).sample(corpus, RECORDS)
    ner = GazetteerNER(GazetteerNERConfig(), PluginContext.from_concepts(load_kg_vocabulary(data_dir)))
    records = [ExtractionRecord(ex.id, ex.text) for ex in sample]
    found = ner.extract(records)
    records = [ExtractionRecord(r.id, r.text, tuple(s for _, s in merge_ner_spans([("gazetteer-ner@1", f.spans)])))
               for r, f in zip(records, found, strict=True)]
    asserted = ContextAssertion(ContextAssertionConfig()).extract(records)
    records = [ExtractionRecord(r.id, r.text, r.spans, assertions={a.span: a.assertion for a in res.assertions})
               for r, res in zip(records, asserted, strict=True)]
    out = []
    for rec, res in zip(records, CooccurrenceRelations().extract(records), strict=True):
        for rel in res.relations:
            if relation_polarity(rec.assertions.get(rel.subject), rec.assertions.get(rel.object)) != "positive":
                continue
            out.append({"record": rec.id, "subject_start": rel.subject[0], "subject_end": rel.subject[1],
                        "object_start": rel.object[0], "object_end": rel.object[1], "predicate": rel.predicate,
                        "score": rel.score})
    stats = {"records": len(records), "mentions": sum(len(r.spans) for r in records), "positive_facts": len(out)}
    return out, {r.id: r.text for r in records}, stats


def sheet(_: argparse.Namespace) -> dict[str, Any]:
    """Print the reading sheet of the seeded fact sample; write the skeleton judgement file."""
    found, texts, stats = facts()
    chosen = sorted(random.Random(SEED).sample(found, min(FACTS, len(found))),
                    key=lambda f: (f["record"], f["subject_start"], f["object_start"]))
    for n, f in enumerate(chosen):
        text = texts[f["record"]]
        lo = max(0, min(f["subject_start"], f["object_start"]) - 30)
        hi = min(len(text), max(f["subject_end"], f["object_end"]) + 30)
        subj, obj = text[f["subject_start"]:f["subject_end"]], text[f["object_start"]:f["object_end"]]
        print(f"[{n}] {f['record']} {f['predicate']} ({f['score']}): {subj} -> {obj}\n    "
              f"{text[lo:hi].replace(chr(10), ' / ')}\n")
    if not JUDGED.is_file():
        JUDGED.parent.mkdir(parents=True, exist_ok=True)
        with JUDGED.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, FIELDS, delimiter="\t")
            writer.writeheader()
            for f in chosen:
                writer.writerow({**f, "verdict": "", "reason": ""})
    return stats


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 0.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(centre - half, 3), round(centre + half, 3)


def score(_: argparse.Namespace) -> dict[str, Any]:
    """Precision overall and per predicate from the judgement file."""
    with JUDGED.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t")]
    unjudged = [i for i, r in enumerate(rows, 2) if r["verdict"] not in ("0", "1")]
    if unjudged:
        raise SystemExit(f"{JUDGED}: lines {unjudged[:10]} have no verdict (0 or 1)")
    right = sum(r["verdict"] == "1" for r in rows)
    per: dict[str, list[int]] = {}
    for r in rows:
        per.setdefault(r["predicate"], []).append(int(r["verdict"]))
    stats = facts()[2]
    return {"judged": len(rows), "right": right, "precision": round(right / len(rows), 3),
            "wilson95": _wilson(right, len(rows)),
            "per_predicate": {p: {"n": len(v), "precision": round(sum(v) / len(v), 3)} for p, v in sorted(per.items())},
            "wrong_reasons": dict(Counter(r["reason"] for r in rows if r["verdict"] == "0").most_common()),
            "sample": stats, "load_average": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("sheet", "score"))
    args = parser.parse_args()
    print(json.dumps({"sheet": sheet, "score": score}[args.mode](args), ensure_ascii=False))


if __name__ == "__main__":
    main()
