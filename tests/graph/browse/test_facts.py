"""The fact page's reading: a relationship's sources, the confidence rule worked through again from its record
spans (it must agree with what the evidence step stored), and a pruned fact's archive."""

from __future__ import annotations

import pytest
from analyst_helpers import build_processed_graph
from graph_helpers import one

from graph.browse.facts import fact_page, noisy_or
from graph.curate.actions import PruneCriteria, prune
from graph.db.connection import GraphClient


def _facts(client: GraphClient, derived: bool | None) -> list[tuple[str, str, str]]:
    """Concept-to-concept facts: record-derived ones (``True``), the others (``False``) or all (``None``)."""
    with client.session() as session:
        return [(r["h"], r["t"], r["x"]) for r in session.run(
            "MATCH (h:Concept)-[r]->(x:Concept) "
            "WHERE $derived IS NULL OR (coalesce(r.record_count, 0) > 0) = $derived "
            "RETURN h.id AS h, type(r) AS t, x.id AS x ORDER BY h, t, x", derived=derived)]


@pytest.fixture
def processed(client: GraphClient) -> GraphClient:
    return build_processed_graph(client)


def test_every_record_derived_fact_agrees_with_the_rule_worked_through_again(processed: GraphClient) -> None:
    facts = _facts(processed, True)
    assert len(facts) >= 3
    for head, kind, tail in facts:
        page = fact_page(processed, head, kind, tail)
        assert page is not None and page.fact["exists"]
        assert page.agrees, (head, kind, tail, [(s.source, s.stored, s.recomputed) for s in page.steps])
        records = {row["record"] for row in page.evidence}
        assert len(records) >= page.fact["record_count"] >= 1
        record_steps = [s for s in page.steps if s.kind == "record"]
        assert record_steps and all(s.terms for s in record_steps)
        for row in page.evidence:  # the context holds both spans, at their offsets
            assert row["context"][row["subject_start"] - row["context_start"]:][:len(row["subject"])] == row["subject"]
            assert row["context"][row["object_start"] - row["context_start"]:][:len(row["object"])] == row["object"]


def test_a_kg_only_fact_has_one_step_per_source_and_no_spans(processed: GraphClient) -> None:
    head, kind, tail = _facts(processed, False)[0]
    page = fact_page(processed, head, kind, tail)
    assert page is not None and page.evidence == [] and page.agrees
    assert [s.kind for s in page.steps] == ["kg"] * len(page.fact["sources"])
    assert page.confidence == pytest.approx(noisy_or(page.fact["source_confidence"]))
    assert [k["id"] for k in page.fact["kg_sources"]] == ["sample"]


def test_a_pruned_fact_keeps_a_page_with_its_archive(processed: GraphClient) -> None:
    result = prune(processed, PruneCriteria(below=0.5, origin="records"), actor="tester", reason="test", apply=True,
                   confirm=True)
    assert result.pruned >= 1
    head, kind, tail = (result.triples[0][k] for k in ("head", "type", "tail"))
    page = fact_page(processed, head, kind, tail)
    assert page is not None and not page.fact["exists"]
    assert [p["action_id"] for p in page.fact["pruned"]] == [result.action_id]
    assert page.evidence, "the relation mentions stay: the spans are still shown"


def test_unknown_facts_and_types_have_no_page(processed: GraphClient) -> None:
    head, kind, tail = _facts(processed, None)[0]
    assert fact_page(processed, head, "NOT_A_TYPE", tail) is None
    assert fact_page(processed, head, kind, "Disease:no-such") is None
    other = "HAS_ADVERSE_REACTION" if kind != "HAS_ADVERSE_REACTION" else "HAS_SYMPTOM"
    assert fact_page(processed, head, other, tail) is None
    assert one(processed, "MATCH (p:PrunedTriple) RETURN count(p)") == 0


def test_concept_extras_treatments_findings_neighbours_and_merged(processed: GraphClient) -> None:
    from embeddings.config import KGEConfig
    from graph.browse.pages import concept_extras, concept_page
    from graph.curate.actions import merge_candidate
    from graph.kge.workflow import train_graph_embeddings

    def extras(key: str):
        page = concept_page(processed, key)
        assert page is not None
        return concept_extras(processed, page.concept)

    before = extras("Disease:糖尿病")
    assert before.neighbours == [] and before.neighbours_note == "no-vector" and before.merged == []
    assert before.findings, "the sample records assert findings beside 糖尿病"
    assert extras("Symptom:多饮").treatments == []  # only diseases have the treatment section
    train_graph_embeddings(processed, KGEConfig(model="TransE", dim=8, epochs=2, seed=1))
    with_vectors = extras("Disease:糖尿病")
    assert len(with_vectors.neighbours) == 10 and with_vectors.neighbours_note is None
    assert "Disease:糖尿病" not in {n["id"] for n in with_vectors.neighbours}
    with processed.session() as session:
        candidate = session.run("MATCH (c:Concept {status: 'candidate'}) RETURN c.id AS id LIMIT 1").single()["id"]
    merge_candidate(processed, candidate, "Symptom:多饮", actor="tester", reason="test")
    merged = extras("Symptom:多饮").merged
    assert [m["id"] for m in merged] == [candidate] and merged[0]["action"].startswith("merge")
