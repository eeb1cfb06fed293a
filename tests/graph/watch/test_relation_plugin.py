"""``entity-marker-relations``: the learned relation classifier as a stored plugin, alone and in a watcher cycle."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from graph_helpers import one, rows

from extractor.plugin import ExtractionRecord, SpanResult
from extractor.plugins.entity_marker import EntityMarkerConfig, EntityMarkerRelations, sentence_bounds
from extractor.relations.config import RelationConfig, RelationEncoderConfig, RelationTrainConfig
from extractor.relations.data import NONE, Mention, Schema, build_candidates
from extractor.relations.train import train_relations
from graph.db.connection import GraphClient
from graph.watch.config import IngestConfig, WatchConfig
from graph.watch.ingest import ingest_path
from graph.watch.plugins import register_plugin, set_enabled
from graph.watch.worker import run_watcher_once

REPO = Path(__file__).resolve().parents[3]
SCHEMA = Schema((("疾病", "临床表现", "症状"), ("疾病", "病因", "症状"), ("疾病", "药物治疗", "药物")))
TEMPLATES = {"临床表现": "{d}患者可见{s}。", "病因": "{d}常由{s}引起。", NONE: "{d}与{s}无关。"}


@pytest.fixture(scope="module", params=["markers", "shared"])
def relation_model(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """A tiny trained checkpoint of each pairing."""
    torch.set_num_threads(1)
    cands, texts = [], {}
    for k in range(6):
        for i, d in enumerate(["胃炎", "肺炎", "肝炎", "肾炎", "鼻炎", "咽炎"]):
            for j, s in enumerate(["腹痛", "咳嗽", "发热", "乏力", "头痛"]):
                label = list(TEMPLATES)[(i + j + k) % 3]
                text, sid = TEMPLATES[label].format(d=d, s=s), f"t{k}-{i}-{j}"
                texts[sid] = text
                mentions = [Mention(0, 2, d, "疾病"), Mention(text.index(s), text.index(s) + 2, s, "症状")]
                gold = {} if label == NONE else {(d, "疾病", s, "症状"): label}
                cands.extend(build_candidates(sid, text, mentions, SCHEMA, gold=gold))
    config = RelationConfig(encoder=RelationEncoderConfig(dim=8), lstm_hidden=16, ffnn_hidden=16, dropout=0.0,
                            pairing=request.param, train=RelationTrainConfig(epochs=3, batch_size=4, lr=1e-2, seed=1))
    out = tmp_path_factory.mktemp("relations")
    result = train_relations(config, SCHEMA, cands, texts, cands[:60], texts, out_dir=out)
    assert result.best_val_f1 > 0.9
    return out


def spans_of(text: str, *mentions: tuple[str, str]) -> tuple[SpanResult, ...]:
    out = []
    for mention, kind in mentions:
        start = text.index(mention)
        out.append(SpanResult(start, start + len(mention), kind, 0.9, mention))
    return tuple(out)


def test_plugin_finds_relations_within_sentences_only(relation_model: Path) -> None:
    plugin = EntityMarkerRelations(EntityMarkerConfig(model_dir=str(relation_model)))
    text = "胃炎患者可见腹痛。肺炎常由发热引起。"
    spans = spans_of(text, ("胃炎", "Disease"), ("腹痛", "Symptom"), ("肺炎", "Disease"), ("发热", "Symptom"))
    result = plugin.extract([ExtractionRecord("r", text, spans), ExtractionRecord("empty", "无殊。")])
    found = {(r.subject, r.predicate, r.object) for r in result[0].relations}
    assert found == {(spans[0].key, "临床表现", spans[1].key), (spans[2].key, "病因", spans[3].key)}
    assert all(0.0 < r.score <= 1.0 for r in result[0].relations) and result[1].relations == ()
    assert sentence_bounds(text) == [(0, 9), (9, 18)]


def test_plugin_skips_pairs_beyond_max_distance(relation_model: Path) -> None:
    text = "胃炎患者" + "，" * 30 + "可见腹痛。"
    spans = spans_of(text, ("胃炎", "Disease"), ("腹痛", "Symptom"))
    near = EntityMarkerRelations(EntityMarkerConfig(model_dir=str(relation_model), max_distance=10))
    assert near._candidates(ExtractionRecord("r", text, spans), "0:")[0] == []
    far = EntityMarkerRelations(EntityMarkerConfig(model_dir=str(relation_model), max_distance=None))
    assert len(far._candidates(ExtractionRecord("r", text, spans), "0:")[0]) == 1


def test_plugin_pairs_only_mentions_asserted_of_the_patient(relation_model: Path) -> None:
    from extractor.assertion.schema import Assertion

    plugin = EntityMarkerRelations(EntityMarkerConfig(model_dir=str(relation_model)))
    text = "胃炎患者可见腹痛。肺炎常由发热引起。"
    spans = spans_of(text, ("胃炎", "Disease"), ("腹痛", "Symptom"), ("肺炎", "Disease"), ("发热", "Symptom"))

    def pairs(assertions: dict) -> set:
        keys = plugin._candidates(ExtractionRecord("r", text, spans, assertions=assertions), "0:")[2]
        return {(text[a[0]:a[1]], text[b[0]:b[1]]) for a, b in keys}

    everything = pairs({})
    assert {("胃炎", "腹痛"), ("肺炎", "发热")} <= everything
    # a family member's disease takes part in nothing; a negated finding stays a candidate (a pertinent negative)
    only = pairs({spans[0].key: Assertion(experiencer="family"), spans[3].key: Assertion(certainty="negated")})
    assert ("胃炎", "腹痛") not in only and ("肺炎", "发热") in only
    assert only == {p for p in everything if "胃炎" not in p}


def test_plugin_stays_bounded_on_500_mentions(relation_model: Path) -> None:
    plugin = EntityMarkerRelations(EntityMarkerConfig(model_dir=str(relation_model), max_pairs=50, max_distance=None))
    text = "胃炎" * 250 + "腹痛" * 250
    spans = tuple(SpanResult(i, i + 2, "Disease" if i < 500 else "Symptom", 0.9, text[i:i + 2])
                  for i in range(0, 1000, 2))
    result = plugin.extract([ExtractionRecord("r", text, spans)])[0]
    assert len(result.relations) <= 50
    assert EntityMarkerRelations.artifact_sha256(plugin.settings) == plugin.artifact_sha256(plugin.settings)


def test_plugin_in_a_watcher_cycle_writes_relation_evidence(watch_graph: GraphClient, relation_model: Path) -> None:
    client = watch_graph
    set_enabled(client, "cooccurrence-relations", False)
    stored = register_plugin(client, "entity-marker-relations",
                             config={"model_dir": str(relation_model), "precision": 0.7}, enable=True)
    assert stored.kind == "relation" and len(stored.artifact_sha256) == 64
    ingest_path(client, REPO / "data/sample/emr.jsonl", IngestConfig(format="ccks"))
    result = run_watcher_once(client, WatchConfig(device="cpu", threads=1))
    assert result.done == 8 and result.extractors[-1] == "entity-marker-relations@1"
    written = rows(client, "MATCH (rm:RelationMention) RETURN rm.extractor AS x, rm.type AS p, rm.precision AS prec")
    assert all(r["x"] == "entity-marker-relations@1" and r["p"] in SCHEMA.predicates and r["prec"] == 0.7
               for r in written)
    assert one(client, "MATCH (rm:RelationMention)-[:SUBJECT]->(m:Mention) WHERE m.type = 'Disease' "
                       "RETURN count(rm)") == len(written)


def test_registering_a_checkpoint_takes_its_measured_precision(relation_model: Path) -> None:
    import json

    from graph.watch.plugins import PluginError, relation_config

    meta = json.loads((relation_model / "config.json").read_text(encoding="utf-8"))
    assert 0.9 < meta["val_precision"] <= 1.0  # measured on the validation candidates at the tuned threshold
    config = relation_config(relation_model)
    assert config == {"model_dir": str(relation_model.resolve()), "precision": meta["val_precision"]}
    assert relation_config(relation_model, precision=0.3)["precision"] == 0.3
    with pytest.raises(PluginError, match="not a relation checkpoint folder"):
        relation_config(relation_model / "nope")


def test_a_procedure_is_paired_as_cmeie_other_treatment(relation_model: Path) -> None:
    """CMeEE's procedures reach the model as CMeIE's 其他治疗 wherever its schema relates a disease to one."""
    from graph.kg.relations import record_relationship

    plugin = EntityMarkerRelations(EntityMarkerConfig(model_dir=str(relation_model)))
    text = "胃炎患者予吸氧治疗。"
    record = ExtractionRecord("r", text, spans_of(text, ("胃炎", "Disease"), ("吸氧", "Procedure")))
    assert plugin._candidates(record, "0:")[0] == []  # the tiny model's schema has no 其他治疗
    plugin.classifier.schema = Schema((*SCHEMA.rows, ("疾病", "其他治疗", "其他治疗")))
    found = plugin._candidates(record, "0:")[0]
    assert [(c.subject.type, c.object.type, c.object.text) for c in found] == [("疾病", "其他治疗", "吸氧")]
    assert record_relationship("其他治疗", "Disease", "Procedure") == "TREATED_BY_PROCEDURE"
