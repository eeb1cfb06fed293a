"""``learned-assertion``: the learned classifier selectable as the watcher's assertion plugin (on a tiny model).

The model is trained here on a handful of examples and saved as ``benchmarks/bench_assertion.py --train`` saves
it (:func:`train_and_choose`: the model files and ``combination.json``). What the plugin writes is compared
with what the library answers for the same folder, so the tests do not depend on how well a tiny model reads.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from assertion_helpers import RECORD_EXAMPLES, TINY
from cli_helpers import one_json
from graph_helpers import add_records, rows
from typer.testing import CliRunner

from app.cli import app
from extractor.assertion.combine import train_and_choose
from extractor.assertion.evalset import AnnotatedMention
from extractor.assertion.learned import LearnedAssertion, train_learned
from extractor.assertion.schema import DIMENSIONS, Assertion
from extractor.plugin import ExtractionRecord, SpanResult, validate_result
from extractor.plugins.assertion import ContextAssertion
from extractor.plugins.learned_assertion import LearnedAssertionConfig, LearnedAssertionPlugin
from extractor.plugins.registry import find_spec, load_class
from graph.db.connection import ConnectionInfo, GraphClient
from graph.watch.config import WatchConfig
from graph.watch.plugins import (
    DEFAULT_PLUGINS,
    PluginError,
    list_extractors,
    load_plugin,
    register_plugin,
    set_enabled,
)
from graph.watch.worker import run_watcher_once

RECORD = "患者否认高血压。无发热。"
NAMES = {"高血压": "Disease", "发热": "Symptom"}
EXAMPLES = RECORD_EXAMPLES


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``plain``: the model files only; ``bench``: as the bench saves it (policy: the rules, no folds);
    ``mixed``: the bench's folder with a policy that takes certainty from the model."""
    root = tmp_path_factory.mktemp("learned")
    train_learned(EXAMPLES, TINY).model.save(root / "plain")
    items = [(AnnotatedMention(f"written:{n}", ex.start, ex.end, "Symptom", "written",
                               Assertion(**ex.labels), "train"), ex.text)  # type: ignore[arg-type]
             for n, ex in enumerate(EXAMPLES)]
    train_and_choose(items, [], TINY, root / "bench", folds=0)
    shutil.copytree(root / "bench", root / "mixed")
    (root / "mixed" / "combination.json").write_text(json.dumps({"version": 1, "policy": {
        "certainty": "learned", "temporality": "rules", "experiencer": "rules"}}), encoding="utf-8")
    return {"plain": root / "plain", "bench": root / "bench", "mixed": root / "mixed"}


def _record(text: str = RECORD) -> ExtractionRecord:
    spans = [SpanResult(text.index(n), text.index(n) + len(n), t, 0.8, n) for n, t in NAMES.items()]
    return ExtractionRecord("r", text, tuple(sorted(spans, key=lambda s: s.start)))


def _asserted(plugin: Any, record: ExtractionRecord) -> dict[str, Assertion]:
    result = validate_result(record, plugin.extract([record])[0], "assertion", frozenset(s.key for s in record.spans))
    return {record.text[a.span[0]:a.span[1]]: a.assertion for a in result.assertions}


# --- the plugin itself ------------------------------------------------------------------------------------------


def test_learned_assertion_is_a_builtin_assertion_plugin_but_not_a_default() -> None:
    spec = find_spec("learned-assertion")
    assert (spec.id, spec.kind, spec.builtin) == ("learned-assertion@1", "assertion", True)
    assert load_class(spec.id, spec.entry_point) is LearnedAssertionPlugin
    assert "learned-assertion" not in DEFAULT_PLUGINS


def test_the_model_alone_asserts_every_span_as_the_library_does(models: dict[str, Path]) -> None:
    config = LearnedAssertionConfig(model=str(models["plain"]))
    assert config.combine is False  # no combination.json: the model alone
    record = _record()
    found = _asserted(LearnedAssertionPlugin(config), record)
    expected = LearnedAssertion.load(models["plain"])(record.text, [(s.start, s.end) for s in record.spans])
    assert [found[s.text] for s in record.spans] == expected
    assert all(a.cue == "" and a.values()[d] in DIMENSIONS[d] for a in found.values() for d in DIMENSIONS)
    assert LearnedAssertionPlugin(config).extract([ExtractionRecord("empty", "无。")])[0].assertions == ()


def test_combined_by_the_stored_policy(models: dict[str, Path]) -> None:
    record = _record()
    rules = _asserted(ContextAssertion(), record)
    bench = LearnedAssertionConfig(model=str(models["bench"]))
    assert bench.combine is True  # the bench's folder has combination.json
    assert _asserted(LearnedAssertionPlugin(bench), record) == rules  # its policy (no folds): the rules
    learned = LearnedAssertion.load(models["mixed"])(record.text, [(s.start, s.end) for s in record.spans])
    mixed = _asserted(LearnedAssertionPlugin(LearnedAssertionConfig(model=str(models["mixed"]))), record)
    for span, model_says in zip(record.spans, learned, strict=True):
        assert mixed[span.text].certainty == model_says.certainty
        assert (mixed[span.text].temporality, mixed[span.text].experiencer) == (
            rules[span.text].temporality, rules[span.text].experiencer)
    alone = LearnedAssertionPlugin(LearnedAssertionConfig(model=str(models["bench"]), combine=False))
    assert [_asserted(alone, record)[s.text] for s in record.spans] == LearnedAssertion.load(models["bench"])(
        record.text, [(s.start, s.end) for s in record.spans])


def test_the_config_is_closed_and_resolves_the_folder(models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    monkeypatch.chdir(models["plain"].parent)
    assert LearnedAssertionConfig(model="plain").model == str(models["plain"])
    with pytest.raises(ValueError, match="rules: only used when combining"):
        LearnedAssertionConfig(model="plain", rules="mine.tsv")
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        LearnedAssertionConfig(model="plain", device="cuda")
    with pytest.raises(ValueError, match="at least 1 character"):
        LearnedAssertionConfig(model="")


# --- the artifact -----------------------------------------------------------------------------------------------


def _digest(folder: Path, **options: Any) -> str:
    return LearnedAssertionPlugin.artifact_sha256(LearnedAssertionConfig(model=str(folder), **options))


def test_the_checksum_covers_the_weights_the_vocabulary_the_config_and_the_policy(models: dict[str, Path],
                                                                                  tmp_path: Path) -> None:
    folder = tmp_path / "m"
    shutil.copytree(models["bench"], folder)
    combined, alone = _digest(folder), _digest(folder, combine=False)
    assert combined != alone and len(combined) == 64
    train_learned(EXAMPLES, TINY.model_copy(update={"seed": 7})).model.save(folder)  # new weights, same layout
    assert _digest(folder) != combined and _digest(folder, combine=False) != alone
    before = _digest(folder)
    record = json.loads((folder / "combination.json").read_text(encoding="utf-8"))
    record["policy"]["certainty"] = "learned-first"
    (folder / "combination.json").write_text(json.dumps(record), encoding="utf-8")
    assert _digest(folder) != before
    rules = tmp_path / "rules.tsv"
    rules.write_text("neg-mei\tnegated\tforward\t0\t没\n", encoding="utf-8")
    assert _digest(folder, rules=str(rules)) != _digest(folder)


# --- in the graph -----------------------------------------------------------------------------------------------


def _mentions(client: GraphClient, record: str) -> dict[str, dict[str, Any]]:
    return {r["text"]: r for r in rows(
        client, "MATCH (:EMR {id: $id})-[:HAS_MENTION]->(m:Mention) WHERE m.current RETURN m.text AS text, "
                "m.certainty AS certainty, m.temporality AS temporality, m.experiencer AS experiencer, "
                "m.assertion_cue AS cue, m.section AS section, m.assertion_extractor AS by", id=record)}


def test_the_watcher_runs_the_learned_model_as_its_assertion_plugin(watch_graph: GraphClient,
                                                                    models: dict[str, Path]) -> None:
    client = watch_graph  # gazetteer-ner, kg-linker, cooccurrence-relations; no context-assertion
    stored = register_plugin(client, "learned-assertion", config={"model": str(models["plain"])}, enable=True)
    assert stored.config == {"model": str(models["plain"].resolve()), "combine": False, "rules": None}
    assert stored.artifact_sha256 == _digest(models["plain"])
    add_records(client, {"r": RECORD})
    result = run_watcher_once(client, WatchConfig(device="cpu", backoff_seconds=0.0))
    assert result.failed == 0 and result.done == 1, result.failures
    assert result.extractors == ["gazetteer-ner@1", "learned-assertion@1", "kg-linker@1", "cooccurrence-relations@1"]
    found = _mentions(client, "r")
    assert set(found) == set(NAMES)
    expected = LearnedAssertion.load(models["plain"])(RECORD, [(RECORD.index(n), RECORD.index(n) + len(n))
                                                              for n in found])
    for (name, mention), model_says in zip(found.items(), expected, strict=True):
        assert mention["by"] == "learned-assertion@1", name
        assert (mention["certainty"], mention["temporality"], mention["experiencer"], mention["cue"]) == (
            model_says.certainty, model_says.temporality, model_says.experiencer, ""), name


@pytest.mark.parametrize(("damage", "named"), [
    ("no-folder", "no such model folder"),
    ("config.json", "config.json"),
    ("model.safetensors", "model.safetensors: missing"),
    ("combination.json", "combination.json: cannot read"),
])
def test_a_missing_or_malformed_folder_is_refused_at_registration(kg_graph: GraphClient, models: dict[str, Path],
                                                                  tmp_path: Path, damage: str, named: str) -> None:
    folder = tmp_path / "m"
    if damage != "no-folder":
        shutil.copytree(models["bench"], folder)
    if damage == "config.json":
        (folder / "config.json").write_text('{"version": 1, "config": ', encoding="utf-8")
    elif damage == "model.safetensors":
        (folder / "model.safetensors").unlink()
    elif damage == "combination.json":
        (folder / "combination.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(PluginError, match="^learned-assertion: ") as caught:
        register_plugin(kg_graph, "learned-assertion", config={"model": str(folder)}, enable=True)
    assert str(folder) in str(caught.value) and named in str(caught.value)
    assert list_extractors(kg_graph) == []  # nothing stored


def test_weights_changed_after_registration_are_refused_when_loading(kg_graph: GraphClient, models: dict[str, Path],
                                                                     tmp_path: Path) -> None:
    folder = tmp_path / "m"
    shutil.copytree(models["plain"], folder)
    stored = register_plugin(kg_graph, "learned-assertion", config={"model": str(folder)})
    assert isinstance(load_plugin(stored, None), LearnedAssertionPlugin)
    train_learned(EXAMPLES, TINY.model_copy(update={"seed": 7})).model.save(folder)
    with pytest.raises(PluginError, match=r"^learned-assertion@1: artifact checksum \w+ differs from the registered"):
        load_plugin(stored, None)


# --- one assertion plugin at a time -----------------------------------------------------------------------------


def test_a_second_assertion_plugin_is_refused_until_the_first_is_disabled(kg_graph: GraphClient,
                                                                          models: dict[str, Path]) -> None:
    client, config = kg_graph, {"model": str(models["bench"])}
    register_plugin(client, "context-assertion", enable=True)
    with pytest.raises(PluginError, match="context-assertion@1 is enabled.*`medkg plugins disable context-assertion` "
                                          "first"):
        register_plugin(client, "learned-assertion", config=config, enable=True)
    assert [x.id for x in list_extractors(client)] == ["context-assertion@1"]  # nothing stored
    register_plugin(client, "learned-assertion", config=config)  # stored disabled: allowed
    with pytest.raises(PluginError, match="`medkg plugins disable context-assertion` first"):
        set_enabled(client, "learned-assertion", True)
    set_enabled(client, "context-assertion", False)
    assert register_plugin(client, "learned-assertion", config=config, enable=True).enabled
    with pytest.raises(PluginError, match="learned-assertion@1 is enabled.*disable learned-assertion` first"):
        set_enabled(client, "context-assertion", True)
    assert {x.id: x.enabled for x in list_extractors(client)} == {"context-assertion@1": False,
                                                                   "learned-assertion@1": True}


def test_the_cli_selects_the_learned_model(client: GraphClient, neo4j_env: ConnectionInfo,
                                           models: dict[str, Path]) -> None:
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, dict]:
        result = runner.invoke(app, [*args, "--json"])
        return result.exit_code, one_json(result.stdout)

    code, stored = invoke("plugins", "register", "gazetteer-ner", "--enable")
    assert code == 0 and stored["also_enabled"] == ["context-assertion@1"]
    code, error = invoke("plugins", "register", "learned-assertion", "--model", str(models["bench"]), "--enable")
    assert code == 2 and "`medkg plugins disable context-assertion` first" in error["error"]
    code, _ = invoke("plugins", "disable", "context-assertion")
    assert code == 0
    code, stored = invoke("plugins", "register", "learned-assertion", "--model", str(models["bench"]), "--enable")
    assert code == 0 and stored["id"] == "learned-assertion@1" and stored["enabled"]
    assert stored["config"] == {"model": str(models["bench"].resolve()), "combine": True, "rules": None}
    code, error = invoke("plugins", "register", "kg-linker", "--model", str(models["bench"]))
    assert code == 2 and "--model is for cbt-kg-tagger, entity-marker-relations and learned-assertion" in error["error"]
