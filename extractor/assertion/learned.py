"""The learned alternative to the rules (MedCAT MetaCAT's idea): a small classifier over a mention's context.

A mention becomes a window of characters either side of it, the mention marked (``[E]`` before it, ``[/E]``
after it, and a segment embedding: left, mention, right), with ``[BOS]`` / ``[EOS]`` where the window reaches
the text's edge; the text is folded as the rules fold it (:func:`~extractor.assertion.context.fold`). Character
embeddings trained from scratch (the vocabulary is the training texts' characters), a BiLSTM or a CNN, and a
representation made of the states at the two markers and the max over the window, joined by an embedding of the
record section the mention sits in (既往史 and 家族史 are often far outside the window), feed one softmax head
per dimension. An example labels the dimensions it knows (CMDD only certainty); the others are masked out of
the loss (:func:`masked_loss`). An example of another *domain* than records (CMDD's ``dialogue``) trains heads of
its own (``certainty@dialogue``) over the shared encoder: CMDD's "uncertain" covers a doctor's questions, which
records do not have, so its labels would pull the records' certainty head away from what records mean. The
model answers for records unless :meth:`LearnedAssertion.for_domain` says otherwise.

A model folder holds ``config.json`` (version, :class:`LearnedConfig`, the classes of each head, the sections),
``vocab.json`` and ``model.safetensors``. The watcher runs one as the ``learned-assertion`` plugin
(:mod:`extractor.plugins.learned_assertion`; ``medkg plugins disable context-assertion``, then
``medkg plugins register learned-assertion --model DIR --enable``).

Example:
    >>> config = LearnedConfig(embedding_dim=8, hidden=16, epochs=1)
    >>> examples = [Example("无发热。", 1, 3, {"certainty": "negated"}),
    ...             Example("发热。", 0, 2, {"certainty": "affirmed"})]
    >>> model = train_learned(examples, config).model
    >>> len(model("无咳嗽。", [(1, 3)]))
    1
"""

from __future__ import annotations

import copy
import json
import os
import random
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import torch
from pydantic import Field, ValidationError
from safetensors.torch import load_file, save_file
from torch import nn

from core.config import ClosedConfig
from extractor.assertion.context import fold
from extractor.assertion.schema import DIMENSIONS, Assertion
from extractor.assertion.sections import SECTIONS, section_at, sections
from extractor.threads import keeps_torch_threads

__all__ = ["LEARNED_VERSION", "RECORD", "Example", "LearnedAssertion", "LearnedCheckpointError", "LearnedConfig",
           "LearnedResult", "build_vocab", "head_key", "masked_loss", "score_examples", "train_learned"]

#: Version of the model folder's layout and of the window encoding; stored in every ``config.json``.
LEARNED_VERSION = 1
PAD, UNK, MARK_START, MARK_END, BOS, EOS = "[PAD]", "[UNK]", "[E]", "[/E]", "[BOS]", "[EOS]"
SPECIALS = (PAD, UNK, MARK_START, MARK_END, BOS, EOS)
#: Section names (index 0: none), in a fixed order so the embedding rows keep their meaning.
SECTION_NAMES = ("", *dict.fromkeys(s.name for s in SECTIONS.values()))
IGNORE = -100
#: The domain the model is for; examples of any other domain train their own heads.
RECORD = "record"


def head_key(dimension: str, domain: str = RECORD) -> str:
    """The head of ``dimension`` for ``domain``: ``certainty`` for records, ``certainty@dialogue`` otherwise."""
    return dimension if domain == RECORD else f"{dimension}@{domain}"


class LearnedConfig(ClosedConfig):
    """Everything that rebuilds and trains the classifier (stored in the model folder's ``config.json``)."""

    window: int = Field(default=40, ge=1)
    """Characters taken either side of the mention."""
    max_mention: int = Field(default=20, ge=2)
    """Characters kept of a longer mention (its first and last halves)."""
    encoder: Literal["bilstm", "cnn"] = "cnn"
    """``bilstm``: one BiLSTM layer; ``cnn``: two convolutions (width 3, the second dilated)."""
    embedding_dim: int = Field(default=48, ge=2)
    """Character (and segment) embedding size."""
    hidden: int = Field(default=64, ge=2)
    """BiLSTM size per direction, or CNN channels; also the shared hidden layer before the heads."""
    positions: bool = True
    """Add an embedding of each character's signed distance to the mention (clipped to ``window``), so a
    CNN's max over the window still knows how far a cue stands."""
    section_dim: int = Field(default=8, ge=0)
    """Size of the record-section embedding (0: no section feature)."""
    class_weight: Literal["none", "sqrt", "inverse"] = "sqrt"
    """Weight of a class in the loss: 1, ``sqrt(n_max / n_class)`` or ``n_max / n_class`` (counts of the training
    examples that label the dimension), so the rare classes (family, hypothetical) are not drowned."""
    dropout: float = Field(default=0.3, ge=0.0, lt=1.0)
    """Dropout on embeddings, states and the hidden layer."""
    min_char_count: int = Field(default=2, ge=1)
    """Characters seen fewer times in the training texts map to ``[UNK]``."""
    epochs: int = Field(default=6, ge=1)
    """Passes over the training examples."""
    batch_size: int = Field(default=64, ge=1)
    """Examples per step."""
    lr: float = Field(default=2e-3, gt=0.0)
    """Adam learning rate."""
    clip: float = Field(default=5.0, gt=0.0)
    """Gradient norm clip."""
    seed: int = 13
    """Seed of initialisation, dropout and shuffling."""
    threads: int | None = 1
    """torch intra-op threads while training (``None``: leave torch alone)."""
    max_seconds: float | None = None
    """Stop after the epoch that crosses this wall-clock budget."""


class LearnedCheckpointError(ValueError):
    """A model folder that is incomplete, of another version, or does not fit its config (the file named)."""


@dataclass(frozen=True)
class Example:
    """A training mention: text, span, labels (a dimension left out is unknown), loss weight and domain.

    The domain is :data:`RECORD` or another, whose labels train heads of its own.
    """

    text: str
    start: int
    end: int
    labels: Mapping[str, str] = field(default_factory=dict)
    weight: float = 1.0
    domain: str = RECORD


def _window(folded: str, start: int, end: int, config: LearnedConfig) -> tuple[list[str], list[int]]:
    """Tokens of the marked window and their segments (0 left, 1 mention with its markers, 2 right).

    The signed distance of token ``i`` to the mention follows from the segments (:func:`_positions`).
    """
    left_start, right_end = max(0, start - config.window), min(len(folded), end + config.window)
    mention = folded[start:end]
    if len(mention) > config.max_mention:
        half = config.max_mention // 2
        mention = mention[:half] + mention[-(config.max_mention - half):]
    left = ([BOS] if left_start == 0 else []) + list(folded[left_start:start])
    right = list(folded[end:right_end]) + ([EOS] if right_end == len(folded) else [])
    tokens = [*left, MARK_START, *mention, MARK_END, *right]
    segments = [0] * len(left) + [1] * (len(mention) + 2) + [2] * len(right)
    return tokens, segments


def _positions(segments: torch.Tensor, window: int) -> torch.Tensor:
    """Ids of the signed distance to the mention, ``0 .. 2 * window + 2`` (``window + 1``: inside it; pads: 0)."""
    left = (segments == 0).long()
    right = (segments == 2).long()
    before = left.flip(1).cumsum(1).flip(1) * left  # 1 for the token next to the mention, 2 for the one before...
    after = right.cumsum(1) * right
    distance = (after - before).clamp(-window - 1, window + 1)
    return distance + window + 1


class _Module(nn.Module):
    """Embeddings -> BiLSTM or CNN -> [state at [E], state at [/E], max over the window, section] -> heads."""

    def __init__(self, config: LearnedConfig, vocab_size: int, domains: Sequence[str] = ()) -> None:
        super().__init__()
        self.config = config
        d, h = config.embedding_dim, config.hidden
        self.chars = nn.Embedding(vocab_size, d, padding_idx=0)
        self.segments = nn.Embedding(3, d)
        self.positions = nn.Embedding(2 * config.window + 3, d) if config.positions else None
        self.dropout = nn.Dropout(config.dropout)
        if config.encoder == "bilstm":
            self.lstm = nn.LSTM(d, h, batch_first=True, bidirectional=True)
            width = 2 * h
        else:
            self.convs = nn.ModuleList([nn.Conv1d(d, h, 3, padding=1), nn.Conv1d(h, h, 3, padding=2, dilation=2)])
            width = h
        self.section = nn.Embedding(len(SECTION_NAMES), config.section_dim) if config.section_dim else None
        self.hidden = nn.Linear(3 * width + config.section_dim, h)
        self.heads = nn.ModuleDict({head_key(dim, domain): nn.Linear(h, len(values)) for domain in (RECORD, *domains)
                                    for dim, values in DIMENSIONS.items()})

    def forward(self, ids: torch.Tensor, segments: torch.Tensor, marks: torch.Tensor,
                section: torch.Tensor) -> dict[str, torch.Tensor]:
        """Ids and segments (B, T), marker positions (B, 2), section ids (B,) -> logits per head."""
        mask = ids != 0
        x = self.chars(ids) + self.segments(segments)
        if self.positions is not None:
            x = x + self.positions(_positions(segments.masked_fill(~mask, 3), self.config.window))
        x = self.dropout(x) * mask[..., None]  # pads stay zero: a span's result never hangs on its batch
        if self.config.encoder == "bilstm":
            lengths = mask.sum(1).cpu()
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.lstm(packed)
            states, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        else:
            y = x.transpose(1, 2)
            for conv in self.convs:
                y = torch.relu(conv(y)) * mask[:, None, :]
            states = y.transpose(1, 2)
        states = self.dropout(states)
        rows = torch.arange(ids.shape[0], device=ids.device)
        pooled = states.masked_fill(~mask[..., None], -1e4).max(1).values
        parts = [states[rows, marks[:, 0]], states[rows, marks[:, 1]], pooled]
        if self.section is not None:
            parts.append(self.section(section))
        hidden = self.dropout(torch.relu(self.hidden(torch.cat(parts, -1))))
        return {key: head(hidden) for key, head in self.heads.items()}


def masked_loss(logits: Mapping[str, torch.Tensor], targets: Mapping[str, torch.Tensor],
                weights: torch.Tensor | None = None,
                class_weights: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
    """Sum over dimensions of the weighted mean cross-entropy of the examples that label that dimension.

    Each labelled example weighs its weight times its class's weight; the mean divides by the sum of those
    (``cross_entropy``'s convention), so the unlabelled examples of a dimension count nowhere in it.

    Args:
        logits: ``{head: (B, classes)}`` (a head is a dimension, of a domain: :func:`head_key`).
        targets: ``{head: (B,)}`` class indices, :data:`IGNORE` where the example has no label for it.
        weights: ``(B,)`` example weights (default 1).
        class_weights: ``{head: (classes,)}`` (default 1).

    Returns:
        A scalar; 0 (with a gradient) when no example labels anything.
    """
    # the module always has heads, so the sum is a tensor (a zero tied to every head's graph), never the int 0
    total = cast(torch.Tensor, sum(t.sum() * 0.0 for t in logits.values()))
    for dim, target in targets.items():
        known = target != IGNORE
        if not bool(known.any()):
            continue
        losses = nn.functional.cross_entropy(logits[dim][known], target[known], reduction="none")
        w = weights[known] if weights is not None else torch.ones_like(losses)
        if class_weights is not None and dim in class_weights:
            w = w * class_weights[dim][target[known]]
        total = total + (losses * w).sum() / w.sum()
    return total


class LearnedAssertion:
    """The trained classifier as an assertion method: ``model(text, spans) -> list[Assertion]``."""

    def __init__(self, config: LearnedConfig, tokens: Sequence[str], module: _Module | None = None,
                 device: str | torch.device = "cpu", domains: Sequence[str] = ()) -> None:
        """Wrap ``module`` and its vocabulary ``tokens`` (the specials first).

        ``module``: when None, a fresh one with heads for records and for each of ``domains``.
        """
        if tuple(tokens[:len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"vocabulary must start with {SPECIALS}")
        self.config = config
        self.tokens = list(tokens)
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.device = torch.device(device)
        self.domains = sorted(set(domains) - {RECORD})
        self.domain = RECORD
        self.module = (module or _Module(config, len(self.tokens), self.domains)).to(self.device)

    def for_domain(self, domain: str) -> LearnedAssertion:
        """The same model (weights shared) answering with the heads of ``domain``.

        Raises:
            ValueError: A domain the model was not trained for.
        """
        if domain not in (RECORD, *self.domains):
            raise ValueError(f"domain {domain!r}: this model knows {(RECORD, *self.domains)}")
        other = copy.copy(self)
        other.domain = domain
        return other

    def encode(self, text: str, spans: Sequence[tuple[int, int]], folded: str | None = None,
               heads: list[tuple[int, str]] | None = None
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Padded ids and segments (B, T), marker positions (B, 2) and section ids (B,) of the spans of one text.

        ``folded`` (``fold(text)``) and ``heads`` (its :func:`sections`) are computed when not given.
        """
        folded = fold(text) if folded is None else folded
        if heads is None:
            heads = sections(folded) if self.config.section_dim else []
        rows = []
        unk = self.index[UNK]
        for start, end in spans:
            tokens, segs = _window(folded, start, end, self.config)
            section = section_at(heads, start) if heads else None
            rows.append(([self.index.get(t, unk) for t in tokens], segs, tokens.index(MARK_START),
                         tokens.index(MARK_END), SECTION_NAMES.index(section.name) if section else 0))
        return _tensors(rows, self.device)

    def predict_values(self, text: str, spans: Sequence[tuple[int, int]], batch: int = 512,
                       folded: str | None = None, heads: list[tuple[int, str]] | None = None) -> list[dict[str, str]]:
        """The three values of each span (all spans of a text in batches of ``batch``)."""
        self.module.eval()
        folded = fold(text) if folded is None else folded
        heads = sections(folded) if heads is None else heads
        out: list[dict[str, str]] = []
        with torch.inference_mode():
            for i in range(0, len(spans), batch):
                logits = self.module(*self.encode(text, spans[i:i + batch], folded, heads))
                best = {dim: logits[head_key(dim, self.domain)].argmax(-1).tolist() for dim in DIMENSIONS}
                out += [{dim: DIMENSIONS[dim][best[dim][j]] for dim in DIMENSIONS}
                        for j in range(len(best["certainty"]))]
        return out

    def __call__(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Assertion]:
        """One :class:`Assertion` per span (no cue: a classifier has none; the section as the rules give it)."""
        if not spans:
            return []
        folded = fold(text)
        heads = sections(folded)
        out = []
        for (start, _), values in zip(spans, self.predict_values(text, spans, folded=folded, heads=heads),
                                      strict=True):
            section = section_at(heads, start)
            out.append(Assertion.from_values(values, section=section.name if section else ""))
        return out

    def save(self, folder: str | Path) -> Path:
        """Write ``config.json``, ``vocab.json`` and ``model.safetensors`` to ``folder`` (created)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta = {"version": LEARNED_VERSION, "config": self.config.model_dump(),
                "dimensions": {dim: list(values) for dim, values in DIMENSIONS.items()},
                "sections": list(SECTION_NAMES), "domains": self.domains}
        state = {k: v.detach().cpu().contiguous() for k, v in self.module.state_dict().items()}
        save_file(state, str(folder / "model.safetensors.tmp"))
        os.replace(folder / "model.safetensors.tmp", folder / "model.safetensors")
        (folder / "vocab.json").write_text(json.dumps(self.tokens, ensure_ascii=False), encoding="utf-8")
        (folder / "config.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path, device: str | torch.device = "cpu") -> LearnedAssertion:
        """The model saved in ``folder``.

        Raises:
            LearnedCheckpointError: A missing file, another version, other classes or sections, a config or
                weights that do not fit.
        """
        folder = Path(folder)
        for name in ("config.json", "vocab.json", "model.safetensors"):
            if not (folder / name).is_file():
                raise LearnedCheckpointError(f"{folder / name}: missing (not an assertion model folder)")
        try:
            meta = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            tokens = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise LearnedCheckpointError(f"{folder}: config.json or vocab.json is not JSON ({exc})") from exc
        if meta.get("version") != LEARNED_VERSION:
            raise LearnedCheckpointError(f"{folder / 'config.json'} version: {meta.get('version')!r}; this medkg "
                                         f"reads {LEARNED_VERSION}, retrain the model")
        if meta.get("dimensions") != {d: list(v) for d, v in DIMENSIONS.items()} \
                or meta.get("sections") != list(SECTION_NAMES):
            raise LearnedCheckpointError(f"{folder / 'config.json'} dimensions/sections: not this medkg's")
        try:
            config = LearnedConfig.model_validate(meta.get("config"))
            model = cls(config, tokens, device=device, domains=meta.get("domains", []))
            model.module.load_state_dict(load_file(str(folder / "model.safetensors")))
        except (ValidationError, ValueError, RuntimeError) as exc:
            raise LearnedCheckpointError(f"{folder / 'model.safetensors'}: does not fit config.json ({exc})") from exc
        model.module.eval()
        return model


#: One example's inputs: character ids, segment ids, the two marker positions, the section id.
_Inputs = tuple[list[int], list[int], int, int, int]


def _tensors(rows: list[_Inputs], device: torch.device
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    width = max(len(r[0]) for r in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    segs = torch.zeros((len(rows), width), dtype=torch.long)
    for b, (seq, seg, _, _, _) in enumerate(rows):
        ids[b, :len(seq)] = torch.tensor(seq)
        segs[b, :len(seg)] = torch.tensor(seg)
    marks = torch.tensor([[r[2], r[3]] for r in rows], dtype=torch.long)
    section = torch.tensor([r[4] for r in rows], dtype=torch.long)
    return ids.to(device), segs.to(device), marks.to(device), section.to(device)


_Row = tuple[_Inputs, dict[str, int], float]


@dataclass
class LearnedResult:
    """A training run: the model, the seconds it took, the loss of each epoch, and ``metrics``.

    ``metrics``: the training examples per dimension and class, the vocabulary size and (given ``dev``) the
    scores on ``dev``.
    """

    model: LearnedAssertion
    seconds: float
    epochs_run: int
    losses: list[float]
    metrics: dict[str, Any]


def build_vocab(texts: Iterable[str], min_count: int) -> list[str]:
    """The specials, then the folded characters seen at least ``min_count`` times, most frequent first."""
    counts = Counter(ch for text in texts for ch in fold(text))
    return [*SPECIALS, *(ch for ch, c in counts.most_common() if c >= min_count and ch not in SPECIALS)]


@keeps_torch_threads
def train_learned(examples: Sequence[Example], config: LearnedConfig | None = None,
                  device: str | torch.device = "cpu", dev: Sequence[Example] = ()) -> LearnedResult:
    """Train a classifier on ``examples``; with ``dev``, score it there after training (never to select).

    Every dimension an example labels trains its head; the others are masked out. Seeds are fixed
    (``config.seed``), so a run on the same machine is repeatable.

    Raises:
        ValueError: No examples, a label that is not one of its dimension's values, or a span outside its text.
    """
    config = config or LearnedConfig()
    if not examples:
        raise ValueError("no training examples")
    for i, ex in enumerate(examples):
        if not 0 <= ex.start < ex.end <= len(ex.text):
            raise ValueError(f"example {i}: span {ex.start}-{ex.end} outside its text of {len(ex.text)} characters")
        for dim, value in ex.labels.items():
            if value not in DIMENSIONS.get(dim, ()):
                raise ValueError(f"example {i} {dim}: {value!r} is not one of {DIMENSIONS.get(dim)}")
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    t0 = time.perf_counter()
    vocab = build_vocab(dict.fromkeys(ex.text for ex in examples), config.min_char_count)
    model = LearnedAssertion(config, vocab, device=device, domains=[ex.domain for ex in examples])
    rows = [_training_row(model, ex) for ex in examples]
    class_weights = _class_weights(rows, config, model.device)
    optimiser = torch.optim.Adam(model.module.parameters(), lr=config.lr)
    losses: list[float] = []
    order = list(range(len(rows)))
    for _ in range(config.epochs):
        rng.shuffle(order)
        losses.append(_epoch(model, optimiser, [rows[j] for j in order], class_weights))
        if config.max_seconds is not None and time.perf_counter() - t0 > config.max_seconds:
            break
    model.module.eval()
    seconds = time.perf_counter() - t0
    metrics: dict[str, Any] = {"examples": {key: {DIMENSIONS[key.split("@")[0]][k]: n for k, n in sorted(Counter(
        r[1][key] for r in rows if r[1][key] != IGNORE).items())} for key in model.module.heads},
        "vocabulary": len(vocab), "domains": [RECORD, *model.domains]}
    if dev:
        metrics["dev"] = score_examples(model, dev)
    return LearnedResult(model, round(seconds, 1), len(losses), losses, metrics)


def _epoch(model: LearnedAssertion, optimiser: torch.optim.Optimizer, rows: Sequence[_Row],
           class_weights: dict[str, torch.Tensor]) -> float:
    """One pass over ``rows`` in their order; the mean loss per example."""
    model.module.train()
    size, device, total = model.config.batch_size, model.device, 0.0
    for i in range(0, len(rows), size):
        batch = rows[i:i + size]
        inputs = _tensors([r[0] for r in batch], device)
        targets = {key: torch.tensor([r[1][key] for r in batch], device=device) for key in batch[0][1]}
        weights = torch.tensor([r[2] for r in batch], dtype=torch.float, device=device)
        loss = masked_loss(model.module(*inputs), targets, weights, class_weights)
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.module.parameters(), model.config.clip)
        optimiser.step()
        total += float(loss.detach()) * len(batch)
    return round(total / len(rows), 4)


def _class_weights(rows: Sequence[_Row], config: LearnedConfig,
                   device: torch.device) -> dict[str, torch.Tensor]:
    """Per head, ``(n_max / n_class) ** p`` with ``p`` 0, 0.5 or 1 (a class with no example: 1)."""
    power = {"none": 0.0, "sqrt": 0.5, "inverse": 1.0}[config.class_weight]
    out = {}
    for key in rows[0][1]:
        values = DIMENSIONS[key.split("@")[0]]
        counts = Counter(r[1][key] for r in rows if r[1][key] != IGNORE)
        top = max(counts.values(), default=1)
        out[key] = torch.tensor([(top / counts[i]) ** power if counts[i] else 1.0 for i in range(len(values))],
                                dtype=torch.float, device=device)
    return out


def _training_row(model: LearnedAssertion, ex: Example) -> _Row:
    """The example's inputs, its class index for every head of the model, and its weight.

    :data:`IGNORE` for the heads of other domains and for the dimensions it leaves out.
    """
    ids, segs, marks, section = model.encode(ex.text, [(ex.start, ex.end)])
    inputs = (ids[0].tolist(), segs[0].tolist(), int(marks[0, 0]), int(marks[0, 1]), int(section[0]))
    targets = dict.fromkeys(model.module.heads, IGNORE)
    for dim, value in ex.labels.items():
        targets[head_key(dim, ex.domain)] = DIMENSIONS[dim].index(value)
    return inputs, targets, ex.weight


def score_examples(model: Any, examples: Sequence[Example]) -> dict[str, Any]:
    """P/R/F1 per class of each dimension ``examples`` label, and its macro-F1, for any assertion method."""
    from extractor.assertion.evaluate import macro_f1, score

    by_text: dict[str, list[Example]] = {}
    for ex in examples:
        by_text.setdefault(ex.text, []).append(ex)
    pairs: list[tuple[Assertion, Example]] = []
    for text, group in by_text.items():
        pairs += zip(model(text, [(ex.start, ex.end) for ex in group]), group, strict=True)
    out: dict[str, Any] = {}
    for dim in DIMENSIONS:
        known = [(p, ex) for p, ex in pairs if dim in ex.labels]
        if known:
            scores = score([Assertion.from_values({dim: getattr(p, dim)}) for p, _ in known],
                           [Assertion.from_values({dim: ex.labels[dim]}) for _, ex in known])[dim]
            out[dim] = {"classes": scores, "macro_f1": macro_f1({dim: scores}), "mentions": len(known)}
    return out
