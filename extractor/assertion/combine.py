"""Training data for the learned classifier, cross-validation on the project's train split, and the combination.

- :func:`project_examples` / :func:`cmdd_examples`: the annotation set's rows and CMDD spans as
  :class:`~extractor.assertion.learned.Example` (CMDD labels only certainty);
- :func:`cross_validate`: k folds over the train split's documents (a record, and any copy of its text, never
  straddles two folds); each fold's model trains on the other folds plus the extra examples (CMDD) and labels
  the held-out mentions;
- :func:`train_and_choose`: cross-validation, the policy, the final model, all saved in one folder;
- :class:`Combined`: per dimension, one of :data:`POLICIES`: the rules' value, the learned value, or the one
  method's value where it is not the default and the other's otherwise;
- :func:`choose_policy`: per dimension, the policy with the best cross-validated macro-F1 (ties go to the
  earlier policy in :data:`POLICIES`, the rules first), so the choice is made without the test part.

The ``learned-assertion`` plugin (:mod:`extractor.plugins.learned_assertion`) runs a folder written by
:func:`train_and_choose` in the watcher, combined by its stored policy unless its config says ``combine: false``.

Example:
    >>> from extractor.assertion.evaluate import all_default
    >>> Combined(all_default, all_default, {"certainty": "rules"})("无发热", [(1, 3)])[0].certainty
    'affirmed'
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from extractor.assertion.cmdd import CmddSpan
from extractor.assertion.evalset import AnnotatedMention
from extractor.assertion.evaluate import Method, macro_f1, score
from extractor.assertion.learned import Example, LearnedAssertion, LearnedCheckpointError, LearnedConfig, train_learned
from extractor.assertion.schema import DIMENSIONS, Assertion

__all__ = ["COMBINATION", "DIALOGUE", "POLICIES", "Combined", "CrossValidation", "choose_policy", "cmdd_examples",
           "combine_one", "cross_validate", "fold_of", "load_combined", "project_examples", "read_combination",
           "train_and_choose"]

#: How a dimension's value is chosen: ``rules-first``: the rules' value where it is not the default (a cue or
#: a section set it), else the learned one; ``learned-first`` the other way round.
POLICIES = ("rules", "learned", "rules-first", "learned-first")


def project_examples(items: Iterable[tuple[AnnotatedMention, str]], weight: float = 1.0) -> list[Example]:
    """Annotated rows joined with their texts as examples labelling all three dimensions."""
    return [Example(text, row.start, row.end, row.assertion.values(), weight) for row, text in items]


#: CMDD's domain: its certainty trains a head of its own (see :mod:`extractor.assertion.learned`).
DIALOGUE = "dialogue"


def cmdd_examples(spans: Iterable[CmddSpan], weight: float = 1.0, domain: str = DIALOGUE) -> list[Example]:
    """CMDD spans as examples labelling certainty only, of the dialogue domain (``domain="record"``: shared)."""
    return [Example(s.text, s.start, s.end, {"certainty": s.certainty}, weight, domain) for s in spans]


def fold_of(text: str, folds: int, seed: int = 13) -> int:
    """The fold of a document, fixed by a hash of the seed and its text (two copies of a note share a fold)."""
    return int(hashlib.sha256(f"{seed}:{text}".encode()).hexdigest()[:8], 16) % folds


@dataclasses.dataclass
class CrossValidation:
    """Held-out predictions of the learned model for each item, in the items' order, and what it cost."""

    predicted: list[Assertion]
    seconds: list[float]
    folds: int


def cross_validate(items: Sequence[tuple[AnnotatedMention, str]], extra: Sequence[Example], config: LearnedConfig,
                   *, folds: int = 5, seed: int = 13, device: str = "cpu", repeat: int = 1) -> CrossValidation:
    """Train ``folds`` models, each without one fold of ``items``' documents, and label that fold with it.

    Each training mention of ``items`` is given ``repeat`` times per epoch (a few hundred record mentions
    beside 20,000 CMDD spans would otherwise be seen too rarely to train the temporality and experiencer heads).

    Raises:
        ValueError: Fewer than two folds, or a fold with no document (too few documents for ``folds``).
    """
    if folds < 2:
        raise ValueError(f"folds: need at least 2, got {folds}")
    fold = [fold_of(text, folds, seed) for _, text in items]
    predicted: list[Assertion | None] = [None] * len(items)
    seconds = []
    for k in range(folds):
        held = [i for i, f in enumerate(fold) if f == k]
        if not held:
            raise ValueError(f"fold {k} of {folds} holds no document")
        train = project_examples([items[i] for i, f in enumerate(fold) if f != k]) * repeat
        result = train_learned([*extra, *train], config, device)
        seconds.append(result.seconds)
        by_text: dict[str, list[int]] = {}
        for i in held:
            by_text.setdefault(items[i][1], []).append(i)
        for text, idx in by_text.items():
            for i, assertion in zip(idx, result.model(text, [(items[i][0].start, items[i][0].end) for i in idx]),
                                    strict=True):
                predicted[i] = assertion
    return CrossValidation([p for p in predicted if p is not None], seconds, folds)


def combine_one(rules: Assertion, learned: Assertion, policy: Mapping[str, str]) -> Assertion:
    """One mention's assertion from the rules' and the learned one, per dimension by ``policy`` (default rules)."""
    values = {}
    for dim, values_of in DIMENSIONS.items():
        how = policy.get(dim, "rules")
        r, m = getattr(rules, dim), getattr(learned, dim)
        default = values_of[0]
        values[dim] = {"rules": r, "learned": m, "rules-first": r if r != default else m,
                       "learned-first": m if m != default else r}[how]
    # the cue stays the rules' only where the rules' value was kept for some dimension
    kept = any(values[d] == getattr(rules, d) != DIMENSIONS[d][0] for d in DIMENSIONS)
    return dataclasses.replace(rules, **values, cue=rules.cue if kept else "",
                               cue_spans=rules.cue_spans if kept else ())


class Combined:
    """The rules and the learned model combined per dimension (see :data:`POLICIES`)."""

    def __init__(self, rules: Method, learned: Method, policy: Mapping[str, str]) -> None:
        """Combine ``rules`` and ``learned`` by ``policy`` (``{dimension: policy}``; a dimension left out: rules).

        Raises:
            ValueError: An unknown dimension or policy.
        """
        for dim, how in policy.items():
            if dim not in DIMENSIONS or how not in POLICIES:
                raise ValueError(f"policy {dim}={how!r}: need a dimension of {tuple(DIMENSIONS)} and one of {POLICIES}")
        self.rules, self.learned, self.policy = rules, learned, dict(policy)

    def __call__(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Assertion]:
        """The combined assertion of each span."""
        rules = self.rules(text, spans)
        if all(how == "rules" for how in self.policy.values()):
            return rules
        return [combine_one(r, m, self.policy) for r, m in zip(rules, self.learned(text, spans), strict=True)]


def choose_policy(gold: Sequence[Assertion], rules: Sequence[Assertion], learned: Sequence[Assertion]
                  ) -> tuple[dict[str, str], dict[str, Any]]:
    """Per dimension, the policy whose combined predictions have the best macro-F1 against ``gold``.

    Returns:
        ``(policy, table)``: the chosen policy and every policy's per-dimension macro-F1.
    """
    table: dict[str, dict[str, float]] = {}
    for how in POLICIES:
        predicted = [combine_one(r, m, dict.fromkeys(DIMENSIONS, how)) for r, m in zip(rules, learned, strict=True)]
        scores = score(predicted, gold)
        table[how] = {dim: macro_f1({dim: scores[dim]}) for dim in DIMENSIONS}
    policy = {dim: _best_policy(table, dim) for dim in DIMENSIONS}
    return policy, table


def _best_policy(table: dict[str, dict[str, float]], dim: str) -> str:
    """The policy of ``table`` with the best score on ``dim``; on a tie, the one listed first in :data:`POLICIES`."""
    return max(POLICIES, key=lambda how: (table[how][dim], -POLICIES.index(how)))


COMBINATION = "combination.json"


def train_and_choose(items: Sequence[tuple[AnnotatedMention, str]], extra: Sequence[Example], config: LearnedConfig,
                     out: str | Path, *, folds: int = 5, seed: int = 13, device: str = "cpu",
                     rules: Method | None = None, meta: Mapping[str, Any] | None = None,
                     repeat: int = 1) -> dict[str, Any]:
    """Cross-validate on ``items``, choose the policy, train the final model on all of them, save both to ``out``.

    ``items`` must be the train split only: every choice made here (the policy) is then free of the test part.
    ``out`` gets the model (:meth:`LearnedAssertion.save`) and :data:`COMBINATION`: the policy, the
    cross-validated scores of rules, learned and combined, each fold's seconds, the held-out predictions
    (by document and span) and ``meta`` (what the extra examples were). ``repeat``: how often each annotated
    mention is given per epoch (:func:`cross_validate`).

    Returns:
        What :data:`COMBINATION` holds, less the held-out predictions.
    """
    from extractor.assertion.context import ContextEngine

    rules = rules or ContextEngine()
    gold = [row.assertion for row, _ in items]
    record: dict[str, Any] = {"version": 1, "meta": dict(meta or {}), "train_mentions": len(items),
                              "extra_examples": len(extra), "mention_repeat": repeat}
    if folds:
        cv = cross_validate(items, extra, config, folds=folds, seed=seed, device=device, repeat=repeat)
        by_text: dict[str, list[int]] = {}
        for i, (_, text) in enumerate(items):
            by_text.setdefault(text, []).append(i)
        ruled: list[Assertion] = [Assertion()] * len(items)
        for text, idx in by_text.items():
            for i, a in zip(idx, rules(text, [(items[i][0].start, items[i][0].end) for i in idx]), strict=True):
                ruled[i] = a
        policy, table = choose_policy(gold, ruled, cv.predicted)
        combined = [combine_one(r, m, policy) for r, m in zip(ruled, cv.predicted, strict=True)]
        record["crossval"] = {"folds": folds, "seed": seed, "seconds": cv.seconds, "policy_table": table,
                              **{name: _summary(predicted, gold) for name, predicted in
                                 (("rules", ruled), ("learned", cv.predicted), ("combined", combined))}}
        held_out = [{"doc": row.doc, "start": row.start, "end": row.end, **a.values()}
                    for (row, _), a in zip(items, cv.predicted, strict=True)]
    else:
        policy, held_out = dict.fromkeys(DIMENSIONS, "rules"), []
    record["policy"] = policy
    result = train_learned([*extra, *project_examples(items) * repeat], config, device)
    result.model.save(out)
    record["final"] = {"seconds": result.seconds, "epochs_run": result.epochs_run, "losses": result.losses,
                       "config": config.model_dump()}
    Path(out, COMBINATION).write_text(json.dumps({**record, "held_out": held_out}, ensure_ascii=False, indent=1),
                                      encoding="utf-8")
    return record


def _summary(predicted: Sequence[Assertion], gold: Sequence[Assertion]) -> dict[str, Any]:
    scores = score(predicted, gold)
    return {"macro_f1": macro_f1(scores), "f1": {d: {c: s["f1"] for c, s in v.items()} for d, v in scores.items()},
            "scores": scores}


def read_combination(folder: str | Path) -> dict[str, Any]:
    """The :data:`COMBINATION` record of a model folder (policy, cross-validation, held-out predictions).

    Raises:
        LearnedCheckpointError: No such file, not JSON, or a policy that is not one of :data:`POLICIES`.
    """
    path = Path(folder, COMBINATION)
    try:
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise LearnedCheckpointError(f"{path}: cannot read ({exc})") from exc
    for dim, how in record.get("policy", {}).items():
        if dim not in DIMENSIONS or how not in POLICIES:
            raise LearnedCheckpointError(f"{path} policy: {dim}={how!r} is not a dimension and one of {POLICIES}")
    return record


def load_combined(folder: str | Path, rules: Method | None = None) -> Combined:
    """The rules (default :class:`ContextEngine`) and the model of ``folder``, combined by its stored policy."""
    from extractor.assertion.context import ContextEngine

    return Combined(rules or ContextEngine(), LearnedAssertion.load(folder), read_combination(folder)["policy"])
