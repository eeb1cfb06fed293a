"""A small character BERT pretrained with masked-LM on the project's medical text; resumable.

The vocabulary is the project's own character vocabulary (``vocab.txt`` in the output folder, one
token per line; whitespace and line-separator characters are left out and read as ``[UNK]``), so the
folder loads as a tagger encoder with ``EncoderConfig(kind="transformers", name_or_path=folder,
vocab_path=folder/"vocab.txt")``. Training samples random ``seq_len``-character windows, masks 15%
of the characters (80% ``[MASK]``, 10% random, 10% kept) and saves the model, optimiser and step every
``save_every`` steps and when the time budget runs out; ``resume=True`` continues from there.

Example:
    >>> pretrain_mlm(texts, "char_bert", MlmConfig(max_seconds=3600))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from core.config import ClosedConfig
from core.progress import ProgressFactory, start
from extractor.threads import keeps_torch_threads
from extractor.vocab import CharVocab

__all__ = ["MlmConfig", "pretrain_mlm"]


class MlmConfig(ClosedConfig):
    """Size and schedule of the character BERT."""

    layers: int = 4
    """Transformer layers."""
    hidden: int = 256
    """Hidden size."""
    heads: int = 4
    """Attention heads."""
    seq_len: int = 256
    """Characters per training window (positions = seq_len + 2)."""
    batch_size: int = 32
    """Windows per step."""
    steps: int = 100_000
    """Total optimiser steps (across resumes)."""
    max_seconds: float = 3600.0
    """Wall-clock budget of this invocation."""
    lr: float = 5e-4
    """Peak AdamW learning rate (linear warm-up, then linear decay to 0 at ``steps``)."""
    warmup: int = 1000
    """Warm-up steps."""
    mask_prob: float = 0.15
    """Share of characters to predict."""
    min_char_count: int = 2
    """Rarer characters map to [UNK]."""
    save_every: int = 200
    """Steps between saves."""
    seed: int = 13
    """Random seed."""
    threads: int = 1
    """torch intra-op threads."""
    device: str = "cpu"
    """Where the model trains: ``cpu``, ``cuda`` or ``cuda:N`` (the saved files load anywhere)."""
    bf16: bool = False
    """Run the forward pass under bfloat16 autocast (a GPU's tensor cores); the weights stay float32."""


def _vocab(texts: list[str], min_count: int) -> CharVocab:
    built = CharVocab.build(texts, min_count=min_count)
    keep = [t for t in built.tokens if t.startswith("[") or not (t.isspace() or t in "\u2028\u2029\x85")]
    return CharVocab(keep)


def _mask(ids: torch.Tensor, vocab: CharVocab, cfg: MlmConfig,
          gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Mask ids (B, T) -> (masked inputs, labels with -100 where nothing is predicted)."""
    labels = ids.clone()
    chosen = (torch.rand(ids.shape, generator=gen) < cfg.mask_prob) & (ids != vocab.pad_id)
    labels[~chosen] = -100
    inputs = ids.clone()
    roll = torch.rand(ids.shape, generator=gen)
    inputs[chosen & (roll < 0.8)] = vocab.index["[MASK]"]
    random_ids = torch.randint(5, len(vocab), ids.shape, generator=gen)
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[swap] = random_ids[swap]
    return inputs, labels


@keeps_torch_threads
def pretrain_mlm(texts: list[str], out_dir: str | Path, config: MlmConfig | None = None, *, resume: bool = True,
                 progress: ProgressFactory | None = None) -> dict[str, object]:
    """Pretrain (or continue) the character BERT in ``out_dir``.

    ``progress`` (:mod:`core.progress`) gets a bar over the steps.

    Returns:
        ``{"out", "step", "loss", "seconds", "finished"}``.
    """
    from transformers import BertConfig, BertForMaskedLM

    cfg = config or MlmConfig()
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    state_path = out / "mlm_state.pt"
    if resume and (out / "vocab.txt").is_file():
        vocab = CharVocab.from_bert_vocab(out / "vocab.txt")
    else:
        vocab = _vocab(texts, cfg.min_char_count)
        (out / "vocab.txt").write_text("\n".join(vocab.tokens) + "\n", encoding="utf-8")
    bert = BertConfig(vocab_size=len(vocab), hidden_size=cfg.hidden, num_hidden_layers=cfg.layers,
                      num_attention_heads=cfg.heads, intermediate_size=4 * cfg.hidden,
                      max_position_embeddings=max(512, cfg.seq_len + 2), pad_token_id=vocab.pad_id)
    device = torch.device(cfg.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {cfg.device!r}: torch sees no CUDA device here")
    model = BertForMaskedLM(bert).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / cfg.warmup, max(0.0, (cfg.steps - s) / max(1, cfg.steps - cfg.warmup))))
    step = 0
    if resume and state_path.is_file():
        state = torch.load(state_path, weights_only=False, map_location=device)
        shape = ("layers", "hidden", "heads", "seq_len")
        if any(state["config"].get(k) != getattr(cfg, k) for k in shape):
            saved = {k: state["config"].get(k) for k in shape}
            raise ValueError(f"{state_path}: saved model has {saved}, the config asks for "
                             f"{ {k: getattr(cfg, k) for k in shape} }; use another --out or --no-resume")
        model.load_state_dict(state["model"])  # the optimiser's state follows the parameters' device
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        step = state["step"]
    corpus = np.asarray([i for t in texts for i in (*vocab.encode(t), vocab.pad_id)], dtype=np.int64)
    gen = torch.Generator().manual_seed(cfg.seed + step)
    rng = np.random.default_rng(cfg.seed + step)
    started, loss_value = time.monotonic(), float("nan")

    def save() -> None:
        model.save_pretrained(out)
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                    "step": step, "config": cfg.model_dump()}, state_path.with_suffix(".tmp"))
        state_path.with_suffix(".tmp").replace(state_path)
        (out / "mlm_progress.json").write_text(json.dumps({"step": step, "loss": loss_value}), encoding="utf-8")

    model.train()
    advance = start(progress, "MLM", cfg.steps)
    advance(step)  # a resumed run starts where it stopped
    while step < cfg.steps and time.monotonic() - started < cfg.max_seconds:
        starts = rng.integers(0, max(1, len(corpus) - cfg.seq_len), cfg.batch_size)
        ids = torch.from_numpy(np.stack([corpus[s:s + cfg.seq_len] for s in starts]))
        inputs, labels = _mask(ids, vocab, cfg, gen)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            loss = model(input_ids=inputs.to(device), attention_mask=(ids != vocab.pad_id).long().to(device),
                         labels=labels.to(device)).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        loss_value = float(loss.detach())
        advance(1)
        if step % cfg.save_every == 0:
            save()
    save()
    return {"out": str(out), "step": step, "loss": loss_value, "seconds": round(time.monotonic() - started, 1),
            "finished": step >= cfg.steps}
