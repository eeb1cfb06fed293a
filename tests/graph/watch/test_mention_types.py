"""Mentions of every mapped corpus type through the watcher: merged, asserted, linked (or NIL), related.

A stub NER plugin stands in for the multi-schema tagger: it reports the mention types the annotated corpora
map to (``linker.typemap.CORPUS_TYPE_MAP``), a nested pair included, on one record of the sample KG's world.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import pytest
from graph_helpers import add_records, one, rows
from plugin_helpers import StubPlugin, registered

from extractor.plugin import ExtractionRecord, RecordResult, RelationResult, SpanResult
from graph.analyst.library import run_library_query
from graph.db.connection import GraphClient
from graph.watch.config import WatchConfig
from graph.watch.plugins import register_plugin
from graph.watch.worker import run_watcher_once
from kgmodel.model import CONCEPT_LABELS

TEXT = "胃溃疡患者，查体左下腹压痛，无头晕。予吸氧，行胃镜，呼吸机辅助通气，培养见幽门螺杆菌及大肠杆菌。转消化内科。"

#: (mention, type, score); 左下腹 lies inside 左下腹压痛 (a nested annotation, as CMeEE has them).
MENTIONS: tuple[tuple[str, str, float], ...] = (
    ("胃溃疡", "Disease", 0.9), ("左下腹压痛", "Symptom", 0.9), ("左下腹", "Anatomy", 0.8),
    ("头晕", "Symptom", 0.9), ("吸氧", "Procedure", 0.9), ("胃镜", "Check", 0.9), ("呼吸机", "Equipment", 0.9),
    ("幽门螺杆菌", "Microorganism", 0.9), ("大肠杆菌", "Microorganism", 0.9), ("消化内科", "Department", 0.9),
    ("通气", "Gene`) DETACH DELETE (n", 0.9),  # a type outside every allow-list: kept as text, never a label
)

#: Mention -> the concept it links to: a KG concept of its label when there is one, else a candidate.
EXPECTED_LINKS = {
    "胃溃疡": ("Disease:胃溃疡", "Disease", "curated"),
    "左下腹压痛": ("candidate:Symptom:左下腹压痛", "Symptom", "candidate"),
    "左下腹": ("candidate:Anatomy:左下腹", "Anatomy", "candidate"),
    "头晕": ("Symptom:头晕", "Symptom", "curated"),
    "吸氧": ("Procedure:吸氧", "Procedure", "curated"),
    "胃镜": ("Check:胃镜", "Check", "curated"),
    "呼吸机": ("candidate:Equipment:呼吸机", "Equipment", "candidate"),
    "幽门螺杆菌": ("Microorganism:幽门螺杆菌", "Microorganism", "curated"),
    "大肠杆菌": ("candidate:Microorganism:大肠杆菌", "Microorganism", "candidate"),
    "消化内科": ("Department:消化内科", "Department", "curated"),
}

#: What the stub relation plugin calls a (disease, finding) pair, by the finding's type (CMeIE's predicates
#: where one fits; 辅助检查 is allow-listed, so the check pair becomes an EXAMINED_BY fact).
PREDICATES = {"Check": "辅助检查", "Procedure": "手术治疗", "Microorganism": "病因"}


class CorpusTypesNER(StubPlugin):
    """Reports :data:`MENTIONS` wherever they occur."""

    name: ClassVar[str] = "corpus-types-ner"
    kind: ClassVar[str] = "ner"

    def extract(self, records: Sequence[ExtractionRecord]) -> list[RecordResult]:
        out = []
        for rec in records:
            spans = tuple(SpanResult(rec.text.index(m), rec.text.index(m) + len(m), kind, score, m)
                          for m, kind, score in MENTIONS if m in rec.text)
            out.append(RecordResult(rec.id, spans))
        return out


class DiseasePairs(StubPlugin):
    """Relates the record's disease to every other mention that reached it asserted and linked."""

    name: ClassVar[str] = "disease-pairs"
    kind: ClassVar[str] = "relation"

    def extract(self, records: Sequence[ExtractionRecord]) -> list[RecordResult]:
        out = []
        for rec in records:
            linked = {tuple(link.span) for link in rec.links}
            diseases = [s for s in rec.spans if s.type == "Disease"]
            relations = tuple(RelationResult(d.key, s.key, PREDICATES.get(s.type, "相关"), 0.9)
                              for d in diseases for s in rec.spans
                              if s.type != "Disease" and s.key in linked and s.key in rec.assertions)
            out.append(RecordResult(rec.id, relations=relations))
        return out


@pytest.fixture
def typed_graph(kg_graph: GraphClient) -> GraphClient:
    """The sample KG plus one concept of two labels no loaded KG has yet (as a curator or a later KG adds them)."""
    with kg_graph.session() as session:
        session.run("CREATE (:Concept:Procedure {id: 'Procedure:吸氧', name: '吸氧', aliases: [], sources: ['test']}), "
                    "(:Concept:Microorganism {id: 'Microorganism:幽门螺杆菌', name: '幽门螺杆菌', aliases: [], "
                    "sources: ['test']})").consume()
    for name in ("context-assertion", "kg-linker", "cooccurrence-relations"):
        register_plugin(kg_graph, name, enable=True)
    return kg_graph


def test_every_mapped_mention_type_is_merged_asserted_linked_and_related(typed_graph: GraphClient) -> None:
    client = typed_graph
    add_records(client, {"r": TEXT})
    with registered(CorpusTypesNER), registered(DiseasePairs):
        register_plugin(client, "corpus-types-ner", enable=True)
        register_plugin(client, "disease-pairs", enable=True)
        result = run_watcher_once(client, WatchConfig(device="cpu", backoff_seconds=0.0))
    assert (result.done, result.failed) == (1, 0)
    mentions = rows(client, "MATCH (:EMR {id: 'r'})-[:HAS_MENTION]->(m:Mention) RETURN m.text AS text, "
                            "m.type AS type, m.start AS start, m.end AS end, m.certainty AS certainty, "
                            "m.assertion_extractor AS asserted_by ORDER BY m.start, m.end")
    # every span is its own mention, the nested 左下腹 inside 左下腹压痛 included, with its own offsets
    assert sorted((m["text"], m["type"]) for m in mentions) == sorted((m, t) for m, t, _ in MENTIONS)
    nested = {m["type"]: (m["start"], m["end"]) for m in mentions if m["text"].startswith("左下腹")}
    start = TEXT.index("左下腹压痛")
    assert nested == {"Anatomy": (start, start + 3), "Symptom": (start, start + 5)}
    # the assertion step saw every mention: 无头晕 is a pertinent negative, the rest are affirmed
    assert all(m["asserted_by"] == "context-assertion@1" for m in mentions)
    assert {m["text"]: m["certainty"] for m in mentions}["头晕"] == "negated"
    assert {m["certainty"] for m in mentions if m["text"] != "头晕"} == {"affirmed"}
    links = {r["text"]: (r["concept"], *r["labels"], r["status"]) for r in rows(
        client, "MATCH (:EMR {id: 'r'})-[:HAS_MENTION]->(m:Mention)-[l:REFERS_TO]->(c:Concept) WHERE l.current "
                "RETURN m.text AS text, c.id AS concept, [x IN labels(c) WHERE x <> 'Concept'] AS labels, "
                "coalesce(c.status, 'curated') AS status")}
    assert links == EXPECTED_LINKS  # the type outside the allow-lists is left unlinked
    assert one(client, "MATCH (c:Concept) WHERE NOT all(x IN labels(c) WHERE x IN $allowed) RETURN count(c)",
               allowed=["Concept", *CONCEPT_LABELS]) == 0
    # relation extraction saw them all: the stub related the disease to each asserted, linked mention
    related = {r["type"] for r in rows(client, "MATCH (rm:RelationMention)-[:OBJECT]->(m:Mention) "
                                               "WHERE rm.extractor = 'disease-pairs@1' RETURN m.type AS type")}
    assert related == {t for _, t, _ in MENTIONS} - {"Disease", "Gene`) DETACH DELETE (n"}
    facts = {(r["head"], r["type"], r["tail"]): r["records"] for r in rows(
        client, "MATCH (h:Concept)-[f]->(t:Concept) WHERE f.record_count > 0 "
                "RETURN h.id AS head, type(f) AS type, t.id AS tail, f.record_count AS records")}
    # the rule's record-derived HAS_SYMPTOM reaches the tagger's symptom (a candidate concept: no KG name)
    assert facts[("Disease:胃溃疡", "HAS_SYMPTOM", "candidate:Symptom:左下腹压痛")] == 1
    assert facts[("Disease:胃溃疡", "EXAMINED_BY", "Check:胃镜")] == 1
    # a procedure linked to a Procedure concept is outside 手术治疗's signature: a relation mention only
    assert not any(tail == "Procedure:吸氧" for _, _, tail in facts)
    negative = rows(client, "MATCH (rm:RelationMention {extractor: 'cooccurrence-relations@1'})-[:OBJECT]->"
                            "(:Mention {text: '头晕'}) RETURN rm.polarity AS polarity, rm.fact_key AS key")
    assert negative == [{"polarity": "negative", "key": "Disease:胃溃疡|HAS_SYMPTOM|Symptom:头晕"}]
    by_type = {r["type"]: r for r in run_library_query(
        client, "mentions_by_type", {"certainty": "any", "experiencer": "any", "temporality": "any"}).rows}
    assert {t: (r["linked_kg"], r["linked_candidate"]) for t, r in by_type.items()} == {
        "Disease": (1, 0), "Symptom": (1, 1), "Anatomy": (0, 1), "Procedure": (1, 0), "Check": (1, 0),
        "Equipment": (0, 1), "Microorganism": (1, 1), "Department": (1, 0), "Gene`) DETACH DELETE (n": (0, 0)}
