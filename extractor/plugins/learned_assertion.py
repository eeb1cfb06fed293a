"""``learned-assertion``: the learned assertion classifier (alone or combined with the rules) as a plugin.

The selectable alternative to ``context-assertion`` (the default, which measured better; see
``extractor/assertion/README.md``). Its ``model`` is a folder written by
:meth:`extractor.assertion.learned.LearnedAssertion.save` (``config.json``, ``vocab.json``,
``model.safetensors``), for example by ``benchmarks/bench_assertion.py --train``, which also writes
``combination.json``: the per-dimension policy chosen on cross-validation (:mod:`extractor.assertion.combine`).

- ``combine`` true (the default when the folder has ``combination.json``): the rules and the model, each
  dimension chosen by the stored policy (:func:`extractor.assertion.combine.load_combined`); ``rules`` names
  another rule file than the one medkg ships, as for ``context-assertion``;
- ``combine`` false: the model alone (no cue: a classifier has none; the section as the rules find it).

Select it instead of the rules (one assertion plugin runs at a time)::

    medkg plugins disable context-assertion
    medkg plugins register learned-assertion --model models/assertion --enable

``artifact_sha256`` is a SHA-256 over the files that define the plugin's behaviour: ``config.json``,
``vocab.json``, ``model.safetensors`` and, when combining, ``combination.json`` and the rule file's
SHA-256. A folder that is missing a file or holds one that is malformed is refused at registration with
the file named; a folder changed since registration is refused by the watcher.

Example:
    >>> plugin = LearnedAssertionPlugin(LearnedAssertionConfig(model="models/assertion"))  # doctest: +SKIP
    >>> record = ExtractionRecord("r", "无发热。", (SpanResult(1, 3, "Symptom", 0.8, "发热"),))  # doctest: +SKIP
    >>> [a.assertion.certainty for a in plugin.extract([record])[0].assertions]  # doctest: +SKIP
    ['negated']
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field, field_validator, model_validator

from core.config import ClosedConfig
from extractor.assertion.rules import DEFAULT_RULES, load_rules
from extractor.plugin import AssertionResult, ExtractionRecord, PluginKind, RecordResult
from extractor.plugins.base import ConfiguredPlugin

__all__ = ["COMBINATION_FILE", "MODEL_FILES", "LearnedAssertionConfig", "LearnedAssertionPlugin"]

#: The files of a model folder that define the classifier (:meth:`LearnedAssertion.save` writes them).
MODEL_FILES = ("config.json", "vocab.json", "model.safetensors")
#: The policy file ``train_and_choose`` writes beside the model (``extractor.assertion.combine.COMBINATION``;
#: named here so that validating a config does not import torch).
COMBINATION_FILE = "combination.json"


class LearnedAssertionConfig(ClosedConfig):
    """Settings of ``learned-assertion``."""

    model: str = Field(min_length=1)
    """The model folder (stored as an absolute path)."""
    combine: bool | None = None
    """Combine with the rules by the folder's stored policy; ``None``: yes when the folder has ``combination.json``."""
    rules: str | None = None
    """With ``combine``: a rule file (``None``: the rules medkg ships)."""

    @field_validator("model", "rules")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        # stored on the (:Extractor) node: a relative path would mean another folder in another directory
        return str(Path(value).expanduser().resolve()) if value else value

    @model_validator(mode="after")
    def _resolve_combine(self) -> LearnedAssertionConfig:
        # resolved now, so the stored config says which of the two the plugin runs
        if self.combine is None:
            self.combine = (Path(self.model) / COMBINATION_FILE).is_file()
        if self.rules and not self.combine:
            raise ValueError("rules: only used when combining with the rules (combine: true)")
        return self

    def rules_path(self) -> Path:
        """The rule file combined with the model."""
        return Path(self.rules) if self.rules else DEFAULT_RULES


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class LearnedAssertionPlugin(ConfiguredPlugin[LearnedAssertionConfig]):
    """Learned assertion plugin: the model of a folder, alone or combined with the rules."""

    name: ClassVar[str] = "learned-assertion"
    version: ClassVar[str] = "1"
    kind: ClassVar[PluginKind] = "assertion"
    Config: ClassVar[type[BaseModel]] = LearnedAssertionConfig
    uses_torch: ClassVar[bool] = True

    def __init__(self, config: LearnedAssertionConfig, context: Any = None) -> None:  # PluginContext
        """Load the model (and the rules when combining) now, so a broken folder fails when the plugin loads.

        Raises:
            LearnedCheckpointError: A missing or malformed model file or ``combination.json`` (the file named).
            RuleError: A malformed rule file.
        """
        from extractor.assertion.combine import Combined, read_combination
        from extractor.assertion.context import ContextEngine
        from extractor.assertion.learned import LearnedAssertion

        self.settings = config
        model = LearnedAssertion.load(config.model, device=context.device if context is not None else "cpu")
        # what load_combined does, with the model on the host's device
        self.method: Any = Combined(ContextEngine(load_rules(config.rules_path())), model,
                                    read_combination(config.model)["policy"]) if config.combine else model

    @classmethod
    def config_from_model(cls, model_dir: Path, options: Mapping[str, Any],
                          embedding_runs: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
        """The config for a model folder (``medkg plugins register learned-assertion --model DIR``).

        The folder itself is checked when the config is (:meth:`artifact_sha256` reads it).
        """
        return {"model": str(Path(model_dir).expanduser().resolve()), **options}

    @classmethod
    def artifact_sha256(cls, config: LearnedAssertionConfig) -> str:
        """A SHA-256 over the model files (and, when combining, ``combination.json`` and the rules' SHA-256).

        The folder is read as the plugin would read it, so a broken one is refused here.

        Raises:
            LearnedCheckpointError: A missing file, one that is not JSON, a model that does not fit its config,
                or a policy that is not one of the known ones (the file named).
            RuleError: A malformed rule file (``file:line field: reason``).
        """
        from extractor.assertion.combine import read_combination
        from extractor.assertion.learned import LearnedAssertion, LearnedCheckpointError

        folder = Path(config.model)
        if not folder.is_dir():
            raise LearnedCheckpointError(f"{folder}: no such model folder")
        LearnedAssertion.load(folder)
        parts = [f"{name} {_file_sha256(folder / name)}" for name in MODEL_FILES]
        if config.combine:
            read_combination(folder)
            parts += [f"{COMBINATION_FILE} {_file_sha256(folder / COMBINATION_FILE)}",
                      f"rules {load_rules(config.rules_path()).sha256}"]
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()

    def extract(self, records: Sequence[ExtractionRecord]) -> list[RecordResult]:
        """One assertion per span of each record (all spans of a record in one batch)."""
        out = []
        for record in records:
            spans = record.spans
            found = self.method(record.text, [(s.start, s.end) for s in spans]) if spans else []
            out.append(RecordResult(record.id, assertions=tuple(
                AssertionResult(span.key, assertion) for span, assertion in zip(spans, found, strict=True))))
        return out
