"""The shared stub plugin base and ``registered``: a stub goes through the real registry and leaves no trace."""

from __future__ import annotations

from typing import ClassVar

import pydantic
import pytest
from plugin_helpers import NoConfig, StubPlugin, registered

from extractor.plugin import ExtractionRecord, RecordResult, SpanResult, validate_result
from extractor.plugins.registry import UnknownPluginError, build_plugin, find_spec, load_class, plugin_specs


class Shout(StubPlugin):
    """Finds every 痛."""

    name: ClassVar[str] = "shout-ner"
    kind: ClassVar[str] = "ner"

    def extract(self, records: list[ExtractionRecord]) -> list[RecordResult]:
        return [RecordResult(r.id, tuple(SpanResult(i, i + 1, "Symptom", 0.5, "痛") for i, c in enumerate(r.text)
                                         if c == "痛")) for r in records]


def test_a_stub_registers_loads_builds_and_runs_through_the_registry() -> None:
    with registered(Shout) as spec:
        assert (spec.id, spec.kind, spec.builtin) == ("shout-ner@1", "ner", False)
        assert spec.entry_point == f"{__name__}:Shout" and find_spec("shout-ner") == spec
        cls = load_class(spec.id, spec.entry_point)
        assert cls is Shout and cls.artifact_sha256(NoConfig()) is None
        plugin = build_plugin(cls, {}, context=None)
        assert plugin.config == {} and isinstance(plugin.settings, NoConfig)
        record = ExtractionRecord("r", "头痛，腹痛")
        [result] = plugin.extract([record])
        validate_result(record, result, "ner")
        assert [(s.start, s.text) for s in result.spans] == [(1, "痛"), (4, "痛")]
        with pytest.raises(pydantic.ValidationError, match="colour"):
            build_plugin(cls, {"colour": "red"}, context=None)  # NoConfig is closed
    assert "shout-ner@1" not in plugin_specs()


def test_registered_forgets_the_class_when_the_block_fails() -> None:
    with pytest.raises(RuntimeError, match="inside"), registered(Shout):
        assert "shout-ner@1" in plugin_specs()
        raise RuntimeError("inside the block")
    assert "shout-ner@1" not in plugin_specs()


def test_the_base_alone_is_not_a_plugin() -> None:
    with pytest.raises(UnknownPluginError, match="StubPlugin: plugin class lacks 'name'"), registered(StubPlugin):
        pass
    with pytest.raises(NotImplementedError, match="Shoutless does not define extract"):
        type("Shoutless", (StubPlugin,), {})(NoConfig()).extract([])
