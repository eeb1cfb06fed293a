"""The GPU char-BERT script (benchmarks/gpu_char_bert.py) on the CPU: a tiny model pretrained from a prepared
file for a few seconds, its folder within what the device tool brings back, installed and loaded as the tagger's
encoder; bad inputs named."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import torch

from extractor.encoders import TransformersEncoder
from extractor.vocab import CharVocab

REPO = Path(__file__).resolve().parents[2]
TEXTS = ["患者无发热，无咳嗽咳痰，双肺呼吸音清。", "糖尿病病史十年，口服二甲双胍控制血糖。",
         "腹部平软，无压痛及反跳痛。"] * 20


def script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu_char_bert.py"), *args], capture_output=True,
                          text=True, timeout=300, cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


def test_pretrain_then_install_gives_an_encoder_the_tagger_loads(tmp_path: Path) -> None:
    texts = tmp_path / "texts.txt.gz"
    with gzip.open(texts, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(TEXTS) + "\n")
    out = tmp_path / "back" / "char_bert"
    done = script("pretrain", "--texts", str(texts), "--out", str(out), "--work", str(tmp_path / "work"),
                  "--device", "cpu", "--minutes", "0.05", "--layers", "1", "--hidden", "32", "--heads", "2",
                  "--seq-len", "30", "--batch-size", "4", "--steps", "5", "--warmup", "1")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["device"] == "cpu" and report["gpu"] is None and 1 <= report["step"] <= 5
    assert report["characters_seen"] == report["step"] * 4 * 30 and report["texts"] == len(TEXTS)
    files = sorted(p.name for p in out.iterdir())
    assert {"config.json", "vocab.txt", "pretrain.json"} <= set(files) and len(files) <= 8
    assert not any(p.stat().st_size > 16 * 2**20 for p in out.iterdir())
    installed = tmp_path / "models" / "char_bert"
    done = script("install", str(out), "--target", str(installed))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["report"]["step"] == report["step"]
    vocab = CharVocab.from_bert_vocab(installed / "vocab.txt")
    encoder = TransformersEncoder.build(str(installed), None, len(vocab), cls_id=vocab.index["[CLS]"],
                                        sep_id=vocab.index["[SEP]"], pad_id=vocab.pad_id)
    ids = torch.tensor([vocab.encode("无发热")])
    assert encoder(ids, torch.ones_like(ids, dtype=torch.bool)).shape == (1, 3, 32)


def test_bad_inputs_are_named(tmp_path: Path) -> None:
    missing = script("pretrain", "--texts", str(tmp_path / "none.gz"), "--out", str(tmp_path / "o"))
    assert missing.returncode != 0 and f"{tmp_path / 'none.gz'}: no such file" in missing.stderr
    empty = tmp_path / "empty.gz"
    with gzip.open(empty, "wt", encoding="utf-8") as handle:
        handle.write("\n \n")
    refused = script("pretrain", "--texts", str(empty), "--out", str(tmp_path / "o"))
    assert refused.returncode != 0 and f"{empty}: no texts in it" in refused.stderr
    assert "not a pretrain folder" in script("install", str(tmp_path)).stderr
