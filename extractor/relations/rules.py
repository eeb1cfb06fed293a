"""A rule baseline for relation candidates, fitted on the training split only.

Two steps per :class:`~extractor.relations.data.Candidate`:

1. **Gate (relation or ``none``).** A table keyed by (type signature, whether the subject is the
   record's topic, whether both mentions lie in one clause, character-gap bucket) holds the share of
   training candidates with a relation; the candidate is a relation when that share reaches
   :attr:`RuleConfig.gate`. Sparse keys back off to the key without the type signature. Clauses end at
   ``。；;！？!?`` (and ``，,`` with :attr:`RuleConfig.comma_ends_clause`). The topic is CMeIE's head
   before ``@`` (``急性胰腺炎@...``): most triples have it as subject, wherever it stands.
2. **Predicate.** Among the predicates the schema allows for the signature, the one with the highest
   log prior plus the weights of its cue tokens (character uni-/bigrams between the two mentions,
   and of the object string) present in the candidate. A cue's weight is its smoothed log-odds in
   that predicate's training positives against the other predicates of the same signature; each
   predicate keeps its :attr:`RuleConfig.cue_top_k` best.

Example:
    >>> from extractor.relations.data import Candidate, Mention, Schema
    >>> sch = Schema((("疾病", "临床表现", "症状"),))
    >>> c = Candidate("s", Mention(0, 2, "胃癌", "疾病"), Mention(4, 6, "腹痛", "症状"), "临床表现")
    >>> RuleBaseline(sch).fit([c], {"s": "胃癌可见腹痛。"}).predict([c], {"s": "胃癌可见腹痛。"})
    ['临床表现']
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from pydantic import Field

from core.config import ClosedConfig
from extractor.relations.data import NONE, Candidate, Schema

__all__ = ["GateKey", "RuleBaseline", "RuleConfig", "candidate_features"]

_BUCKETS = (0, 2, 5, 10, 20, 40, 80)


class RuleConfig(ClosedConfig):
    """Settings of :class:`RuleBaseline`."""

    clause_ends: str = "。；;！？!?"
    """Characters that end a clause."""
    comma_ends_clause: bool = True
    """Also end clauses at ``，`` and ``,`` (on: +0.8 micro-F1 on the validation split)."""
    topic_marker: str = "@"
    """The text before its first occurrence is the record's topic (``""``: no topic rule)."""
    gate: float = Field(default=0.4, ge=0.0, le=1.0)
    """Share of training relations a gate key needs to predict a relation (0.4: best of 0.3-0.5 on validation)."""
    min_key_count: int = Field(default=5, ge=1)
    """Gate keys seen fewer times back off to the key without the type signature."""
    cue_top_k: int = Field(default=30, ge=0)
    """Cue tokens kept per predicate."""
    min_cue_count: int = Field(default=2, ge=1)
    """Occurrences a token needs among a predicate's positives to become one of its cues."""
    smoothing: float = Field(default=0.5, gt=0.0)
    """Additive smoothing of cue and prior counts."""


def _bucket(gap: int) -> int:
    return sum(gap > b for b in _BUCKETS)


#: ``((subject type, object type) or None for any signature, topic, same clause, gap bucket)``.
GateKey = tuple[tuple[str, str] | None, bool, bool, int]


def _tokens(s: str) -> set[str]:
    return set(s) | {s[i:i + 2] for i in range(len(s) - 1)}


def candidate_features(c: Candidate, text: str, config: RuleConfig) -> tuple[GateKey, set[str]]:
    """Gate key ``(signature, topic, same_clause, gap bucket)`` and cue tokens of one candidate."""
    lo, hi = sorted((c.subject, c.object), key=lambda m: m.start)
    between = text[lo.end:hi.start] if hi.start >= lo.end else ""
    ends = config.clause_ends + ("，," if config.comma_ends_clause else "")
    same_clause = not any(ch in ends for ch in between)
    at = text.find(config.topic_marker) if config.topic_marker else -1
    topic = at > 0 and c.subject.text in text[:at]
    key: GateKey = ((c.subject.type, c.object.type), topic, same_clause, _bucket(len(between)))
    cues = {f"b:{t}" for t in _tokens(between)} | {f"o:{t}" for t in _tokens(c.object.text)}
    return key, cues


class RuleBaseline:
    """Type signature + clause distance gate, then per-predicate cue words (see the module docstring).

    Args:
        schema: Allowed type signatures and their predicates.
        config: Rule settings.
    """

    def __init__(self, schema: Schema, config: RuleConfig | None = None) -> None:
        self.schema = schema
        self.config = config or RuleConfig()
        self.gate_rate: dict[GateKey, tuple[int, int]] = {}
        self.cues: dict[str, dict[str, float]] = {}
        self.log_prior: dict[str, float] = {}

    def fit(self, candidates: Sequence[Candidate], texts: Mapping[str, str]) -> RuleBaseline:
        """Learn the gate table and cue words from training candidates (never validation/test)."""
        cfg, a = self.config, self.config.smoothing
        gate: dict[GateKey, list[int]] = defaultdict(lambda: [0, 0])
        pos_cues: dict[str, Counter[str]] = defaultdict(Counter)
        n_pred: Counter[str] = Counter()
        for c in candidates:
            key, cues = candidate_features(c, texts[c.sentence_id], cfg)
            for k in (key, (None, *key[1:])):
                gate[k][0] += c.label != NONE
                gate[k][1] += 1
            if c.label != NONE:
                pos_cues[c.label].update(cues)
                n_pred[c.label] += 1
        self.gate_rate = {k: (v[0], v[1]) for k, v in gate.items()}
        total = sum(n_pred.values())
        self.log_prior = {p: math.log((n_pred[p] + a) / (total + a * len(n_pred) + a)) for p in self.schema.predicates}
        self.cues = {}
        for p in self.schema.predicates:
            rivals = {q for s, q2, o in self.schema.rows if q2 == p
                      for q in self.schema.predicates_for(s, o) if q != p}
            n_other = sum(n_pred[q] for q in rivals)
            other: Counter[str] = Counter()
            for q in rivals:
                other.update(pos_cues[q])
            weights = {}
            for tok, cnt in pos_cues[p].items():
                if cnt >= cfg.min_cue_count:
                    w = math.log((cnt + a) / (n_pred[p] + 2 * a)) - math.log((other[tok] + a) / (n_other + 2 * a))
                    if w > 0:
                        weights[tok] = w
            best = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:cfg.cue_top_k]
            self.cues[p] = dict(best)
        return self

    def _is_relation(self, key: GateKey) -> bool:
        pos, n = self.gate_rate.get(key, (0, 0))
        if n < self.config.min_key_count:
            pos, n = self.gate_rate.get((None, *key[1:]), (0, 0))
        return n > 0 and pos / n >= self.config.gate

    def predict(self, candidates: Sequence[Candidate], texts: Mapping[str, str]) -> list[str]:
        """One predicate or ``none`` per candidate (labels on the input are ignored)."""
        out = []
        for c in candidates:
            allowed = self.schema.predicates_for(c.subject.type, c.object.type)
            key, cues = candidate_features(c, texts[c.sentence_id], self.config)
            if not allowed or not self._is_relation(key):
                out.append(NONE)
                continue
            scores = {p: self.log_prior.get(p, -30.0) + sum(w for t, w in self.cues.get(p, {}).items() if t in cues)
                      for p in allowed}
            out.append(max(sorted(scores), key=lambda p: scores[p]))
        return out
