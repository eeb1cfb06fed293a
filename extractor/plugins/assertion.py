"""``context-assertion``: the Chinese ConText rules as an ``assertion`` plugin.

The watcher runs it after the NER plugins and before linking and relations: for every merged span of a
record it reports what the record asserts about it (:class:`extractor.assertion.schema.Assertion`:
certainty, temporality, experiencer, the cue and its offsets, the section), by
:class:`extractor.assertion.context.ContextEngine`. Relation plugins and the graph then take only the
mentions asserted of the patient as evidence (:mod:`extractor.plugins.evidence`).

The rules are the file medkg ships (``extractor/assertion/data/zh_context_v1.tsv``) unless the config
names another (``rules``); the plugin's ``artifact_sha256`` is the rule file's SHA-256, so a changed file
is refused by the watcher until it is registered as a new version, and a malformed one is refused at
registration with ``file:line field: reason``.

It is the default assertion plugin (it measured better than the learned classifier); the learned one is
``learned-assertion`` (:mod:`extractor.plugins.learned_assertion`), selected instead of this one, since one
assertion plugin is enabled at a time.

Example:
    >>> from extractor.plugin import SpanResult
    >>> text = "无发热，诊断肺炎。"
    >>> spans = (SpanResult(1, 3, "Symptom", 0.8, "发热"), SpanResult(6, 8, "Disease", 0.8, "肺炎"))
    >>> out = ContextAssertion(ContextAssertionConfig()).extract([ExtractionRecord("r", text, spans)])[0]
    >>> [(a.span, a.assertion.certainty) for a in out.assertions]
    [((1, 3, 'Symptom'), 'negated'), ((6, 8, 'Disease'), 'affirmed')]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, field_validator

from core.config import ClosedConfig
from extractor.assertion.context import ContextEngine
from extractor.assertion.rules import DEFAULT_RULES, load_rules
from extractor.plugin import AssertionResult, ExtractionRecord, PluginKind, RecordResult
from extractor.plugins.base import ConfiguredPlugin

__all__ = ["ContextAssertion", "ContextAssertionConfig"]


class ContextAssertionConfig(ClosedConfig):
    """Settings of ``context-assertion``."""

    rules: str | None = None
    """A rule file (``extractor/assertion/rules.py`` describes the format); ``None``: the rules medkg ships."""

    @field_validator("rules")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        # stored on the (:Extractor) node: a relative path would mean another file in another directory
        return str(Path(value).expanduser().resolve()) if value else None

    def rules_path(self) -> Path:
        """The rule file this config uses."""
        return Path(self.rules) if self.rules else DEFAULT_RULES


class ContextAssertion(ConfiguredPlugin[ContextAssertionConfig]):
    """Rule-based assertion plugin (Chinese ConText)."""

    name: ClassVar[str] = "context-assertion"
    version: ClassVar[str] = "1"
    kind: ClassVar[PluginKind] = "assertion"
    Config: ClassVar[type[BaseModel]] = ContextAssertionConfig

    def __init__(self, config: ContextAssertionConfig | None = None, context: Any = None) -> None:
        self.settings = config or ContextAssertionConfig()
        self.engine = ContextEngine(load_rules(self.settings.rules_path()))

    @classmethod
    def artifact_sha256(cls, config: ContextAssertionConfig) -> str:
        """The rule file's SHA-256.

        Raises:
            RuleError: The file is missing, not UTF-8 or malformed (``file:line field: reason``).
        """
        return load_rules(config.rules_path()).sha256

    def extract(self, records: Sequence[ExtractionRecord]) -> list[RecordResult]:
        """One assertion per span of each record."""
        out = []
        for record in records:
            spans = record.spans
            found = self.engine.assert_spans(record.text, [(s.start, s.end) for s in spans]) if spans else []
            out.append(RecordResult(record.id, assertions=tuple(
                AssertionResult(span.key, assertion) for span, assertion in zip(spans, found, strict=True))))
        return out
