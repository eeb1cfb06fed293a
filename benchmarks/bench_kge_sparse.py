"""Dense against sparse entity gradients on a KG's TransH (or another pykeen model), side by side. One JSON object.

    .venv/bin/python benchmarks/bench_kge_sparse.py --cmekg PATH/cmekg.pkl [--model TransH] [--epochs 1]
        [--batch-size 1024] [--threads 1] [--data-dir ../shared/data]

Both runs train the same model on the same split (xywy, plus CMeKG when ``--cmekg`` is given: the
merged KG) for ``--epochs`` epochs, without early stopping or evaluation, one after the other in
this process, so the ratio of their seconds per epoch holds on a machine of any speed; the load
average is printed before and after each. Quality is not measured here: ``medkg kge-vectors
--sparse`` reports the test MRR against the popularity baseline of a full run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("PYKEEN_HOME", str(Path(tempfile.gettempdir()) / "medkg-bench-pykeen"))

from app.tagging.data import kg_triples  # noqa: E402
from embeddings import KGEConfig, train_embeddings  # noqa: E402


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run(triples: list[tuple[str, str, str]], sparse: bool, args: argparse.Namespace) -> dict[str, Any]:
    config = KGEConfig(model=args.model, epochs=args.epochs, batch_size=args.batch_size, threads=args.threads,
                       sparse=sparse, early_stopping={"enabled": False}, evaluation={"enabled": False})
    before = load_avg()
    started = time.perf_counter()
    result = train_embeddings(triples, config)
    return {"sparse": sparse, "seconds_per_epoch": result.timings["seconds_per_epoch"],
            "epochs": result.training.epochs_trained, "final_loss": round(result.losses[-1], 5),
            "seconds": round(time.perf_counter() - started, 1), "load_before": before, "load_after": load_avg()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--cmekg", type=Path, default=None, help="CMeKG pickle: the merged KG")
    parser.add_argument("--model", default="TransH")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    triples = kg_triples(data_dir=args.data_dir, cmekg=args.cmekg)
    entities = len({t[0] for t in triples} | {t[2] for t in triples})
    runs = [run(triples, sparse, args) for sparse in (False, True)]
    dense, sparse = runs
    report = {"kg": "merged" if args.cmekg else "xywy", "triples": len(triples), "entities": entities,
              "model": args.model, "batch_size": args.batch_size, "threads": args.threads, "runs": runs,
              "speedup": round(dense["seconds_per_epoch"] / sparse["seconds_per_epoch"], 2),
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
