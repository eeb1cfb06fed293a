"""Assertions through the watcher: Mention assertion fields, only findings true of the patient as evidence,
pertinent negatives, identical texts counted once, supersession by a new assertion version, failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from graph_helpers import add_records, one, rows
from plugin_helpers import StubPlugin, registered

from extractor.assertion.rules import DEFAULT_RULES, load_rules
from extractor.plugin import ExtractionRecord, RecordResult, RelationResult
from extractor.plugins.assertion import ContextAssertion
from graph.db.connection import GraphClient
from graph.watch.config import WatchConfig
from graph.watch.plugins import PluginError, list_extractors, register_defaults, register_plugin, set_enabled
from graph.watch.worker import run_watcher_once

FAST = {"device": "cpu", "backoff_seconds": 0.0}
PLUGINS = ("gazetteer-ner", "context-assertion", "kg-linker", "cooccurrence-relations")
EXAMPLE = "患者否认高血压、糖尿病病史。无发热、咳嗽、咳痰，无胸痛。诊断：脑梗死。予阿司匹林口服。"
NEGATED = ("发热", "咳嗽", "咳痰", "胸痛")


@pytest.fixture
def asserting_graph(kg_graph: GraphClient) -> GraphClient:
    """The sample KG with gazetteer-ner, context-assertion, kg-linker and cooccurrence-relations enabled."""
    for name in PLUGINS:
        register_plugin(kg_graph, name, enable=True)
    return kg_graph


def cycle(client: GraphClient, **options: Any) -> Any:
    result = run_watcher_once(client, WatchConfig(**(FAST | options)))
    assert result.failed == 0, result.failures
    return result


def mentions(client: GraphClient, record: str) -> dict[str, dict[str, Any]]:
    return {r["text"]: r for r in rows(
        client, "MATCH (:EMR {id: $id})-[:HAS_MENTION]->(m:Mention) WHERE m.current RETURN m.text AS text, "
                "m.certainty AS certainty, m.temporality AS temporality, m.experiencer AS experiencer, "
                "m.assertion_cue AS cue, m.assertion_cue_offsets AS offsets, m.section AS section, "
                "m.assertion_extractor AS by", id=record)}


def relationship(client: GraphClient, head: str, rel_type: str, tail: str) -> dict[str, Any] | None:
    found = rows(client, "MATCH (h:Concept {name: $head})-[r]->(t:Concept {name: $tail}) WHERE type(r) = $type "
                         "RETURN r.record_count AS record_count, r.record_sources AS record_sources, "
                         "r.sources AS sources, r.confidence AS confidence", head=head, tail=tail, type=rel_type)
    return found[0] if found else None


def test_the_issue_example_writes_assertions_and_no_evidence_from_negated_findings(
        asserting_graph: GraphClient) -> None:
    client = asserting_graph
    kg_fact = relationship(client, "社区获得性肺炎", "HAS_SYMPTOM", "发热")  # a KG fact a negated 发热 must not touch
    add_records(client, {"ex": EXAMPLE, "kg": "诊断：社区获得性肺炎。无发热。"})
    result = cycle(client)
    assert result.extractors == ["gazetteer-ner@1", "context-assertion@1", "kg-linker@1",
                                 "cooccurrence-relations@1"]
    found = mentions(client, "ex")
    assert {name: m["certainty"] for name, m in found.items()} == {
        "高血压": "negated", "糖尿病": "negated", "发热": "negated", "咳嗽": "negated", "咳痰": "negated",
        "胸痛": "negated", "脑梗死": "affirmed", "阿司匹林": "affirmed"}
    assert found["高血压"] | {"text": None} == {"text": None, "certainty": "negated", "temporality": "current",
                                               "experiencer": "patient", "cue": "否认", "offsets": [2, 4],
                                               "section": "", "by": "context-assertion@1"}
    assert found["糖尿病"]["temporality"] == "historical"  # 糖尿病病史
    assert found["脑梗死"]["cue"] == "" and found["脑梗死"]["offsets"] == []
    # no record evidence for any negated finding, whichever disease it is paired with
    assert one(client, "MATCH (:Concept)-[r:HAS_SYMPTOM]->(:Concept) WHERE r.record_count > 0 "
                       "OR size(coalesce(r.record_sources, [])) > 0 RETURN count(r)") == 0
    for disease in ("脑梗死", "高血压", "糖尿病"):
        for symptom in NEGATED:
            assert relationship(client, disease, "HAS_SYMPTOM", symptom) is None, (disease, symptom)
    assert relationship(client, "社区获得性肺炎", "HAS_SYMPTOM", "发热") == kg_fact  # untouched
    # the negated pairs are kept as pertinent negatives, of the affirmed disease only
    negatives = rows(client, "MATCH (rm:RelationMention)-[:SUBJECT]->(s), (rm)-[:OBJECT]->(o) WHERE rm.current "
                             "RETURN rm.record_id AS record, s.text AS s, o.text AS o, rm.polarity AS polarity, "
                             "rm.temporality AS temporality, rm.fact_key AS key, rm.text_sha256 AS sha ORDER BY o")
    assert {(r["record"], r["s"], r["o"]) for r in negatives if r["polarity"] == "negative"} == {
        ("ex", "脑梗死", s) for s in NEGATED} | {("kg", "社区获得性肺炎", "发热")}
    assert all(r["key"] for r in negatives) and all(len(r["sha"]) == 64 for r in negatives)
    assert {(r["s"], r["o"], r["polarity"], r["temporality"]) for r in negatives if r["polarity"] == "positive"} == {
        ("脑梗死", "阿司匹林", "positive", "current")}
    treated = relationship(client, "脑梗死", "TREATED_WITH", "阿司匹林")
    assert treated is not None and treated["record_count"] == 1
    assert treated["record_sources"] == ["cooccurrence-relations@1"] and treated["confidence"] > 0


def test_a_pertinent_negative_beside_positive_evidence_adds_nothing(asserting_graph: GraphClient) -> None:
    client = asserting_graph
    add_records(client, {"yes": "诊断：脑梗死，伴头晕。"})
    cycle(client)
    single = relationship(client, "脑梗死", "HAS_SYMPTOM", "头晕")
    assert single["record_count"] == 1 and single["record_sources"] == ["cooccurrence-relations@1"]
    add_records(client, {"no": "诊断：脑梗死，无头晕。", "no-2": "脑梗死诊断明确，患者否认头晕。"})
    cycle(client)
    assert one(client, "MATCH (rm:RelationMention {fact_key: 'Disease:脑梗死|HAS_SYMPTOM|Symptom:头晕'}) "
                       "WHERE rm.polarity = 'negative' RETURN count(DISTINCT rm.record_id)") == 2
    # re-processing the positive record recomputes the fact from all its relation mentions: still one record
    client.write("internal/requeue_emrs", status="DONE", ids=["yes"])
    with client.session() as session:  # new text, same support: the fact is recomputed
        session.run("MATCH (e:EMR {id: 'yes'}) SET e.text = '诊断：脑梗死，伴有头晕。', e.sha256 = null").consume()
    cycle(client)
    assert relationship(client, "脑梗死", "HAS_SYMPTOM", "头晕") == single


def test_family_history_and_hypothetical_findings_add_no_evidence(asserting_graph: GraphClient) -> None:
    client = asserting_graph
    add_records(client, {"family": "其父患高血压，伴头晕。", "if": "诊断：高血压。如出现头晕及时就诊。"})
    cycle(client)
    family = mentions(client, "family")
    assert {m["experiencer"] for m in family.values()} == {"family"} and family["高血压"]["cue"] == "其父"
    assert mentions(client, "if")["头晕"]["temporality"] == "hypothetical"
    assert one(client, "MATCH (rm:RelationMention) RETURN count(rm)") == 0
    assert relationship(client, "高血压", "HAS_SYMPTOM", "头晕")["record_count"] is None  # a KG fact, untouched


def test_without_the_assertion_plugin_mentions_count_as_before(asserting_graph: GraphClient) -> None:
    """The same records without assertions give the evidence the filter keeps out above (the filter's contrast)."""
    client = asserting_graph
    set_enabled(client, "context-assertion", False)
    add_records(client, {"ex": EXAMPLE, "family": "其父患高血压，伴头晕。"})
    cycle(client)
    assert {m["certainty"] for m in mentions(client, "ex").values()} == {None}  # no assertion: unknown
    assert relationship(client, "高血压", "HAS_SYMPTOM", "头晕")["record_count"] == 1
    assert relationship(client, "脑梗死", "HAS_SYMPTOM", "发热")["record_count"] == 1
    assert one(client, "MATCH (rm:RelationMention) WHERE rm.polarity = 'negative' RETURN count(rm)") == 0


class EveryPair(StubPlugin):
    """A third-party relation plugin that ignores assertions: every Disease-Symptom pair is 临床表现."""

    name: ClassVar[str] = "every-pair"
    kind: ClassVar[str] = "relation"

    def extract(self, records: list[ExtractionRecord]) -> list[RecordResult]:
        return [RecordResult(r.id, relations=tuple(
            RelationResult(d.key, s.key, "临床表现", 1.0) for d in r.spans for s in r.spans
            if d.type == "Disease" and s.type == "Symptom")) for r in records]


def test_the_graph_applies_the_evidence_rule_to_any_relation_plugin(asserting_graph: GraphClient) -> None:
    client = asserting_graph
    set_enabled(client, "cooccurrence-relations", False)
    add_records(client, {"ex": EXAMPLE, "family": "其父患高血压，伴头晕。"})
    with registered(EveryPair):
        register_plugin(client, "every-pair", enable=True)
        cycle(client)
    written = rows(client, "MATCH (rm:RelationMention)-[:SUBJECT]->(s), (rm)-[:OBJECT]->(o) "
                           "RETURN s.text AS s, o.text AS o, rm.polarity AS polarity")
    assert {(r["s"], r["o"], r["polarity"]) for r in written} == {("脑梗死", s, "negative") for s in NEGATED}
    assert one(client, "MATCH (:Concept)-[r:HAS_SYMPTOM]->(:Concept) WHERE r.record_count > 0 RETURN count(r)") == 0


def test_identical_texts_count_once(asserting_graph: GraphClient) -> None:
    client = asserting_graph
    text = "诊断：脑梗死。予阿司匹林口服。"
    add_records(client, {"a": text})
    cycle(client)
    single = relationship(client, "脑梗死", "TREATED_WITH", "阿司匹林")
    assert single["record_count"] == 1
    add_records(client, {"b": text})  # the same note stored again under another id
    cycle(client)
    assert one(client, "MATCH (rm:RelationMention {fact_key: 'Disease:脑梗死|TREATED_WITH|Drug:阿司匹林'}) "
                       "RETURN count(DISTINCT rm.record_id)") == 2  # both records keep their provenance
    assert relationship(client, "脑梗死", "TREATED_WITH", "阿司匹林") == single  # ... and add evidence once
    add_records(client, {"c": "诊断：脑梗死。予阿司匹林100mg口服。"})  # another text is another record
    cycle(client)
    third = relationship(client, "脑梗死", "TREATED_WITH", "阿司匹林")
    assert third["record_count"] == 2 and third["confidence"] > single["confidence"]


class ContextAssertionV2(ContextAssertion):
    """The rules as a new version (a user's rule file, registered under a new version)."""

    version: ClassVar[str] = "2"


def test_a_new_assertion_version_supersedes_mentions_and_their_evidence(asserting_graph: GraphClient,
                                                                        tmp_path: Path) -> None:
    client = asserting_graph
    add_records(client, {"ex": EXAMPLE})
    cycle(client)
    before = mentions(client, "ex")
    # a rule file without 无 as a negation: 发热 becomes affirmed, and evidence
    rules = tmp_path / "no_wu.tsv"
    rules.write_text("".join(line for line in DEFAULT_RULES.read_text(encoding="utf-8").splitlines(keepends=True)
                             if not line.startswith("neg-wu\t")), encoding="utf-8")
    with registered(ContextAssertionV2):
        set_enabled(client, "context-assertion@1", False)  # one assertion plugin is enabled at a time
        register_plugin(client, "context-assertion", "2", {"rules": str(rules)}, enable=True)
        client.write("internal/requeue_emrs", status="DONE", ids=None)
        second = cycle(client)
    after = mentions(client, "ex")
    assert after["发热"]["certainty"] == "affirmed" and after["发热"]["by"] == "context-assertion@2"
    assert after["高血压"]["certainty"] == "negated" and before["发热"]["certainty"] == "negated"
    old = rows(client, "MATCH (m:Mention {assertion_extractor: 'context-assertion@1'}) "
                       "RETURN m.current AS current, m.superseded_by_run AS by")
    assert len(old) == len(before) and all(not m["current"] and m["by"] in second.runs for m in old)
    assert one(client, "MATCH (rm:RelationMention) WHERE rm.current AND rm.polarity = 'negative' "
                       "RETURN count(rm)") == 0
    assert relationship(client, "脑梗死", "HAS_SYMPTOM", "发热")["record_count"] == 1
    assert relationship(client, "脑梗死", "TREATED_WITH", "阿司匹林")["record_count"] == 1


def test_a_rule_file_with_an_unknown_category_is_refused_at_registration(kg_graph: GraphClient,
                                                                        tmp_path: Path) -> None:
    bad = tmp_path / "mine.tsv"
    bad.write_text("# my rules\nneg-mei\tnegated\tforward\t0\t没\nx-1\tmaybe\tforward\t0\t或许\n", encoding="utf-8")
    with pytest.raises(PluginError, match=rf"^context-assertion: {bad}:3 category: unknown category 'maybe'"):
        register_plugin(kg_graph, "context-assertion", config={"rules": str(bad)}, enable=True)
    assert list_extractors(kg_graph) == []  # nothing stored
    stored = register_plugin(kg_graph, "context-assertion", enable=True)
    assert (stored.kind, stored.artifact_sha256) == ("assertion", load_rules().sha256)


def test_defaults_are_registered_for_a_new_graph_once(kg_graph: GraphClient) -> None:
    assert [x.id for x in register_defaults(kg_graph)] == ["context-assertion@1"]
    assert [(x.id, x.enabled) for x in list_extractors(kg_graph)] == [("context-assertion@1", True)]
    set_enabled(kg_graph, "context-assertion", False)
    assert register_defaults(kg_graph) == []  # a user who disabled it keeps it disabled


class BrokenAssertion(ContextAssertion):
    """An assertion plugin that raises on one record."""

    name: ClassVar[str] = "broken-assertion"

    def extract(self, records: list[ExtractionRecord]) -> list[RecordResult]:
        if any("☠" in r.text for r in records):
            raise RuntimeError("cannot assert this record")
        return super().extract(records)


def test_a_failing_assertion_plugin_fails_its_record_only(asserting_graph: GraphClient) -> None:
    client = asserting_graph
    add_records(client, {f"good-{i}": f"患者{i}诊断糖尿病。" for i in range(5)} | {"poison": "☠ 无发热"})
    set_enabled(client, "context-assertion", False)
    with registered(BrokenAssertion):
        register_plugin(client, "broken-assertion", enable=True)
        result = run_watcher_once(client, WatchConfig(batch_size=3, max_attempts=1, **FAST))
    states = {r["id"]: r for r in rows(client, "MATCH (e:EMR) RETURN e.id AS id, e.status AS status, e.error AS error")}
    assert states["poison"] == {"id": "poison", "status": "FAILED",
                                "error": "extractor broken-assertion@1: RuntimeError: cannot assert this record"}
    assert all(states[f"good-{i}"]["status"] == "DONE" for i in range(5)) and result.done == 5
    assert one(client, "MATCH (e:EMR {id: 'poison'})-[:HAS_MENTION]->() RETURN count(*)") == 0
    good = mentions(client, "good-0")["糖尿病"]
    assert (good["certainty"], good["by"]) == ("affirmed", "broken-assertion@1")
