"""Recomputing record evidence when several relation extractors touch one relationship in one batch."""

from __future__ import annotations

from graph_helpers import one

from graph.db.connection import GraphClient
from graph.watch.merge import recompute_record_evidence

KEY = "Disease:a|HAS_SYMPTOM|Symptom:b"


def test_two_extractors_rows_for_one_relationship_in_one_call(client: GraphClient) -> None:
    """A requeue that swaps the rule for the learned extractor: the rule's support goes, the learned one's
    comes, the KG source stays, and the source lists keep their lengths in step (they once got a null)."""
    with client.session() as session:
        session.run(
            "CREATE (h:Concept:Disease {id: 'Disease:a', name: 'a'}), (t:Concept:Symptom {id: 'Symptom:b', name: 'b'}),"
            " (h)-[:HAS_SYMPTOM {sources: ['kg', 'x@1'], source_confidence: [0.8, 0.3], record_sources: ['x@1'],"
            " record_count: 1, current: true}]->(t),"
            " (:RelationMention {id: 'rm1', fact_key: $key, extractor: 'y@1', current: true, polarity: 'positive',"
            " score: 0.9, precision: 0.7, record_id: 'r1', text_sha256: 's1'})", key=KEY).consume()
    rows = [{"key": KEY, "head": "Disease:a", "tail": "Symptom:b", "type": "HAS_SYMPTOM", "extractor": x}
            for x in ("x@1", "y@1", "y@1")]
    with client.session() as session:
        sent = session.execute_write(lambda tx: recompute_record_evidence(tx, rows))
    assert sent == 2  # the repeated row is sent once
    sources, confidences, record_sources, count = one(
        client, "MATCH (:Disease {id: 'Disease:a'})-[r:HAS_SYMPTOM]->() "
                "RETURN [r.sources, r.source_confidence, r.record_sources, r.record_count]")
    assert sources == ["kg", "y@1"] and record_sources == ["y@1"] and count == 1
    assert confidences[0] == 0.8 and abs(confidences[1] - 0.63) < 1e-9
