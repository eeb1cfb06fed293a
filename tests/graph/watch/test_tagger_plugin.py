"""The trained tagger as a stored plugin: KG vectors fetched from the graph by linked node, artifact checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from graph_helpers import add_records, one
from safetensors.torch import load_file, save_file

from extractor.batching import collate
from extractor.config import EncoderConfig, FeatureConfig, HeadConfig, TaggerConfig, TrainConfig
from extractor.data import Example, Span
from extractor.kge_quick import KgVectors
from extractor.plugin import ExtractionRecord
from extractor.train import train_tagger
from graph.db.connection import GraphClient
from graph.kge.imports import import_kg_vectors
from graph.watch.config import WatchConfig
from graph.watch.context import GraphResources
from graph.watch.plugins import PluginError, load_plugin, register_plugin, tagger_config
from graph.watch.worker import run_watcher_once
from linker.records import ConceptRecord

TEXTS = [("患者糖尿病十年，口服二甲双胍。", [("糖尿病", "Disease"), ("二甲双胍", "Drug")]),
         ("既往高血压，予氨氯地平。", [("高血压", "Disease"), ("氨氯地平", "Drug")]),
         ("诊断：糖尿病，高血压。", [("糖尿病", "Disease"), ("高血压", "Disease")]),
         ("予二甲双胍降糖治疗。", [("二甲双胍", "Drug")])] * 3
CONCEPTS = [ConceptRecord("Disease:糖尿病", "Disease", "糖尿病"), ConceptRecord("Disease:高血压", "Disease", "高血压"),
            ConceptRecord("Drug:二甲双胍", "Drug", "二甲双胍"), ConceptRecord("Drug:氨氯地平", "Drug", "氨氯地平")]


def _examples() -> list[Example]:
    out = []
    for i, (text, mentions) in enumerate(TEXTS):
        spans, pos = [], 0
        for mention, kind in mentions:
            start = text.index(mention, pos)
            spans.append(Span(start, start + len(mention), kind))
            pos = start + len(mention)
        out.append(Example(f"t{i}", text, tuple(spans)))
    return out


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, KgVectors]:
    rng = np.random.default_rng(3)
    kg = KgVectors({c.id: rng.normal(size=4).astype(np.float32) for c in CONCEPTS}, "unit-run-1")
    config = TaggerConfig(encoder=EncoderConfig(kind="char", dim=16, window=16, overlap=4),
                          features=FeatureConfig(kg_proj_dim=8, feature_dim=4, bigram_dim=8),
                          head=HeadConfig(lstm_layers=1, lstm_hidden=16, dropout=0.0),
                          train=TrainConfig(epochs=2, batch_size=8, lr_encoder=0.02, lr_head=0.02, dev_fraction=0.2,
                                            patience=2, threads=1))
    out = tmp_path_factory.mktemp("tagger")
    train_tagger(config, _examples(), out, concepts=CONCEPTS, kg=kg)
    return out, kg


def _fused(plugin: object, text: str) -> torch.Tensor:
    tagger = plugin.tagger  # type: ignore[attr-defined]
    items, _ = tagger.windows_of([text])
    with torch.inference_mode():
        return tagger.module.fused_input(collate(items, tagger.kg_table(), tagger.device))[0]


def test_the_fused_kg_input_comes_from_the_graph(kg_graph: GraphClient, checkpoint: tuple[Path, KgVectors]) -> None:
    client, (model_dir, kg) = kg_graph, checkpoint
    imported = import_kg_vectors(client, kg, "TransE")
    assert imported["vectors"] == 4 and imported["not_in_graph"] == 0  # all four concepts are in the sample KG
    config = tagger_config(model_dir, client)
    assert (config["kg_source"], config["kge_property"], config["kge_run"]) == ("graph", "kge_transe", "unit-run-1")
    stored = register_plugin(client, "cbt-kg-tagger", config=config, enable=True)
    assert len(stored.artifact_sha256) == 64

    resources = GraphResources(client)
    plugin = load_plugin(stored, resources.context())
    text = "患者糖尿病，予二甲双胍。"
    plugin.extract([ExtractionRecord("r", text)])
    featurizer = plugin.tagger.featurizer
    assert set(featurizer.kg_row) == {"Disease:糖尿病", "Drug:二甲双胍"}  # only what the batch's texts matched
    np.testing.assert_allclose(featurizer.kg_matrix[featurizer.kg_row["Disease:糖尿病"]], kg.vectors["Disease:糖尿病"])
    assert resources.vectors.queries == 1
    plugin.extract([ExtractionRecord("r2", "糖尿病")])
    assert resources.vectors.queries == 1  # cached per embedding run: nothing new to ask
    before = _fused(plugin, text)

    with client.session() as session:  # a curator (or a new fold-in) changes the vector in the graph
        session.run("MATCH (c:Concept {id: 'Disease:糖尿病'}) SET c.kge_transe = [9.0, -9.0, 9.0, -9.0]").consume()
    fresh = load_plugin(stored, GraphResources(client).context())
    fresh.extract([ExtractionRecord("r", text)])
    after = _fused(fresh, text)
    where = text.index("糖尿病")
    changed = (before - after).abs().sum(dim=-1) > 1e-6
    assert changed[where:where + 3].all() and not changed[:where].any() and not changed[where + 3:].any()
    np.testing.assert_allclose(fresh.tagger.featurizer.kg_matrix[fresh.tagger.featurizer.kg_row["Disease:糖尿病"]],
                               [9.0, -9.0, 9.0, -9.0])

    with client.session() as session:  # a vector of another run is not this checkpoint's space: not used
        session.run("MATCH (c:Concept {id: 'Drug:二甲双胍'}) SET c.kge_transe_run = 'another-run'").consume()
    other = load_plugin(stored, GraphResources(client).context())
    other.extract([ExtractionRecord("r", text)])
    assert "Drug:二甲双胍" not in other.tagger.featurizer.kg_row


def test_tagger_in_a_watcher_cycle_and_artifact_checks(kg_graph: GraphClient, checkpoint: tuple[Path, KgVectors],
                                                       tmp_path: Path) -> None:
    client, (model_dir, _) = kg_graph, checkpoint
    config = tagger_config(model_dir, client)  # no embedding run in this graph: the checkpoint's own vectors
    assert config["kg_source"] == "checkpoint" and "unit-run-1" in config["note"]
    register_plugin(client, "cbt-kg-tagger", config=config, enable=True)
    add_records(client, {"r": "患者糖尿病十年，口服二甲双胍。"})
    result = run_watcher_once(client, WatchConfig(device="cpu", threads=1))
    assert result.done == 1 and result.extractors == ["cbt-kg-tagger@2"]
    spans = one(client, "MATCH (:EMR {id: 'r'})-[:HAS_MENTION]->(m) RETURN collect([m.start, m.end, m.extractor])")
    assert all(x == "cbt-kg-tagger@2" for _, _, x in spans)

    weights = load_file(str(model_dir / "model.safetensors"))
    changed = {k: v.clone() for k, v in weights.items()}
    first = next(iter(changed))
    changed[first] += 1.0
    copy = tmp_path / "changed"
    copy.mkdir()
    for f in model_dir.iterdir():
        if f.is_file():
            (copy / f.name).write_bytes(f.read_bytes())
    save_file(changed, str(copy / "model.safetensors"))
    with pytest.raises(PluginError, match="already registered with another config or artifact"):
        register_plugin(client, "cbt-kg-tagger", config={**config, "model_dir": str(copy)})
    stored_config = {k: v for k, v in config.items() if k != "note"} | {"model_dir": str(copy)}
    with client.session() as session:  # the stored extractor now points at weights that changed after registration
        session.run("MATCH (x:Extractor {id: 'cbt-kg-tagger@2'}) SET x.config = $c",
                    c=json.dumps(stored_config, sort_keys=True)).consume()
    with pytest.raises(PluginError, match="artifact checksum .* differs from the registered"):
        run_watcher_once(client, WatchConfig(device="cpu"))
    with pytest.raises(PluginError, match="not a tagger checkpoint"):
        tagger_config(tmp_path / "nothing", client)


def test_a_several_schema_checkpoint_needs_version_2_and_gives_nested_mentions(
        kg_graph: GraphClient, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The tagger with a head per annotated corpus through the watcher: new types, nested spans as mentions."""
    from corpus_helpers import CMEEE, multi_schema_model

    client, model_dir = kg_graph, multi_schema_model(tmp_path_factory)
    with pytest.raises(PluginError, match="needs cbt-kg-tagger version 2"):
        register_plugin(client, "cbt-kg-tagger", "1", config=tagger_config(model_dir, None), enable=True)
    stored = register_plugin(client, "cbt-kg-tagger", config=tagger_config(model_dir, client), enable=True)
    assert stored.id == "cbt-kg-tagger@2"
    text = CMEEE[0][0]  # 慢性胃炎患者常有上腹部疼痛。: a body part inside a disease and inside a symptom
    add_records(client, {"r": text})
    result = run_watcher_once(client, WatchConfig(device="cpu", threads=1))
    assert (result.done, result.failed) == (1, 0)
    found = {tuple(row) for row in one(client, "MATCH (:EMR {id: 'r'})-[:HAS_MENTION]->(m:Mention) "
                                               "RETURN collect([m.text, m.type])")}
    # the mention types of the merged output, a nested pair among them, each its own mention
    assert ("上腹部疼痛", "Symptom") in found and ("上腹部", "Anatomy") in found
    assert {t for _, t in found} <= {"Disease", "Symptom", "Anatomy", "Drug", "Procedure", "Equipment",
                                     "Microorganism", "LabTest", "ImagingExam", "Operation", "Check"}
