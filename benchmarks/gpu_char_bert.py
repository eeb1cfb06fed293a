"""A larger character BERT pretrained on a lent GPU for a fixed budget, then used as the tagger's encoder on the CPU.

Three steps, each one command (``PYTHONPATH=.``):

1. ``prepare`` (here): every unannotated medical text the project pretrains on (``pretraining_texts``: the
   corpora's training texts, the KG's descriptions, CMeIE; never a test file, never CMeEE's validation part) into
   ``.mlm/texts.txt.gz`` (about 15 MB), a folder git ignores, so the device tool can carry it. The research data
   stay out of the repository: the file is made from ``MEDKG_DATA_DIR`` on each machine that runs this.
2. ``pretrain`` (on the GPU, as one prepared ``run``; the device has torch and transformers but not pydantic, so
   its wheels travel in ``.whl``, see the device tool's notes)::

       python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && \\
       PYTHONPATH=/tmp/site:. python3 benchmarks/gpu_char_bert.py pretrain --texts .mlm/texts.txt.gz \\
           --out $OUT/char_bert --minutes 8

   with ``carry: [".mlm", ".whl"]``. It trains masked-LM in bfloat16 autocast for ``--minutes`` and writes the
   encoder in shards of at most 15 MB (the tool brings back files up to 16 MiB, 8 at most) with its vocabulary and
   a ``pretrain.json`` report (steps, loss, characters seen, seconds, the GPU's name).
3. ``install`` (here): copies the folder that came back to ``$MEDKG_HOME/models/pretrained/char_bert``, where
   ``bench_tagger.py``'s ``bert-kg`` and ``bert-nokg`` runs read their encoder; then::

       PYTHONPATH=. python benchmarks/bench_tagger.py grid --runs bert-kg-s1

   trains and evaluates the tagger on it (CCKS 2019), beside the rows of the CPU-pretrained 2 x 128 char BERT in
   ``extractor/RESULTS.md``.

Each mode prints one JSON object.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, cast

#: Files the device tool brings back: at most 8, each at most 16 MiB.
MAX_FILES, MAX_FILE_MB = 8, 16


def prepare(args: argparse.Namespace) -> dict[str, Any]:
    """Write the pretraining texts, one a line, gzipped."""
    from app.tagging.workflows import pretraining_texts

    texts = pretraining_texts(None)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", encoding="utf-8") as handle:
        for text in texts:
            handle.write(" ".join(text.splitlines()) + "\n")
    return {"out": str(out), "texts": len(texts), "chars": sum(len(t) for t in texts), "bytes": out.stat().st_size}


def read_texts(path: Path) -> list[str]:
    """The lines of a ``prepare`` file; a missing or empty one is refused with its name."""
    if not path.is_file():
        raise SystemExit(f"{path}: no such file (run prepare first, and carry its folder)")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        texts = [line.rstrip("\n") for line in handle if line.strip()]
    if not texts:
        raise SystemExit(f"{path}: no texts in it")
    return texts


def pretrain(args: argparse.Namespace) -> dict[str, Any]:
    """Masked-LM for a wall-clock budget; the encoder, its vocabulary and a report into ``--out``."""
    import torch
    from transformers import BertForMaskedLM

    from extractor.pretrain_mlm import MlmConfig, pretrain_mlm

    texts = read_texts(Path(args.texts))
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    work = Path(args.work)
    config = MlmConfig(layers=args.layers, hidden=args.hidden, heads=args.heads, seq_len=args.seq_len,
                       batch_size=args.batch_size, steps=args.steps, warmup=args.warmup, lr=args.lr,
                       max_seconds=60 * args.minutes, save_every=args.steps, device=device,
                       bf16=device.startswith("cuda"), threads=max(1, os.cpu_count() or 1))
    started = time.monotonic()
    result = pretrain_mlm(texts, work, config, resume=False)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    BertForMaskedLM.from_pretrained(work).save_pretrained(out, max_shard_size=f"{MAX_FILE_MB - 1}MB")
    shutil.copyfile(work / "vocab.txt", out / "vocab.txt")
    report = {**result, "out": str(out), "device": device,
              "gpu": torch.cuda.get_device_name() if device.startswith("cuda") else None,
              "characters_seen": cast(int, result["step"]) * config.batch_size * config.seq_len,
              "config": config.model_dump(), "texts": len(texts), "wall_seconds": round(time.monotonic() - started, 1)}
    (out / "pretrain.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    files = sorted(p for p in out.iterdir() if p.is_file())
    too_big = [p.name for p in files if p.stat().st_size > MAX_FILE_MB * 2**20]
    if len(files) > MAX_FILES or too_big:
        raise SystemExit(f"{out}: {len(files)} files, too big: {too_big}; the device tool brings back at most "
                         f"{MAX_FILES} files of {MAX_FILE_MB} MiB (use a smaller --hidden or --layers)")
    return report


def install(args: argparse.Namespace) -> dict[str, Any]:
    """Copy a folder that came back to where the tagger benchmark's BERT runs read their encoder."""
    from transformers import AutoModel

    from app.tagging.data import models_home

    source = Path(args.source)
    if not (source / "vocab.txt").is_file() or not (source / "config.json").is_file():
        raise SystemExit(f"{source}: not a pretrain folder (no vocab.txt or config.json)")
    AutoModel.from_pretrained(source)  # refuses a folder that does not load, before anything is replaced
    target = Path(args.target) if args.target else models_home() / "pretrained" / "char_bert"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    return {"installed": str(target), "report": json.loads((source / "pretrain.json").read_text(encoding="utf-8"))
            if (source / "pretrain.json").is_file() else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("prepare", help="the pretraining texts into one gzipped file")
    p.add_argument("--out", default=".mlm/texts.txt.gz")
    p = sub.add_parser("pretrain", help="masked-LM on the GPU for a budget; the encoder into --out")
    p.add_argument("--texts", default=".mlm/texts.txt.gz")
    p.add_argument("--out", required=True)
    p.add_argument("--work", default="/tmp/char_bert_work", help="the trainer's own folder (optimiser state)")
    p.add_argument("--minutes", type=float, default=8.0)
    p.add_argument("--device", default=None, help="default: cuda when torch sees one, else cpu")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--seq-len", type=int, default=254)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--steps", type=int, default=20_000, help="the schedule's length (the budget may end it first)")
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--lr", type=float, default=5e-4)
    p = sub.add_parser("install", help="copy a folder that came back to $MEDKG_HOME/models/pretrained/char_bert")
    p.add_argument("source")
    p.add_argument("--target", default=None)
    args = parser.parse_args()
    result = {"prepare": prepare, "pretrain": pretrain, "install": install}[args.mode](args)
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
