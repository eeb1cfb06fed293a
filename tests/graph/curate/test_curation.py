"""Curators: list, prune (dry run, batches, audit, confirmation), restore exactly and idempotently, merge candidates,
conflicts, and pruned facts that stay pruned while the watcher goes on."""

from __future__ import annotations

import json

import pytest
from analyst_helpers import build_processed_graph, graph_dump, watch_once
from graph_helpers import add_records, one

from graph.curate.actions import (
    ConfirmationRequired,
    CurationError,
    PruneCriteria,
    PrunePlan,
    curation_log,
    list_low_confidence,
    list_suppressed,
    merge_candidate,
    prune,
    restore,
)
from graph.db.connection import GraphClient

AUDIT = ("CurationAction", "PrunedTriple")


@pytest.fixture
def processed(client: GraphClient) -> GraphClient:
    return build_processed_graph(client)


def test_list_by_confidence_type_and_origin(processed: GraphClient):
    everything = list_low_confidence(processed, PruneCriteria(below=1.0))
    assert everything == sorted(everything, key=lambda r: (r["confidence"], r["head"], r["type"], r["tail"]))
    low = list_low_confidence(processed, PruneCriteria(below=0.5))
    assert low and all(r["confidence"] < 0.5 for r in low)
    assert all(r["record_count"] > 0 and r["kg_sources"] == [] for r in low)  # KG facts are 0.8 here
    records = list_low_confidence(processed, PruneCriteria(below=1.0, origin="records"))
    kg = list_low_confidence(processed, PruneCriteria(below=1.0, origin="kg"))
    assert all(r["record_count"] > 0 for r in records) and all(r["kg_sources"] for r in kg)
    both = {(r["head"], r["type"], r["tail"]) for r in records} & {(r["head"], r["type"], r["tail"]) for r in kg}
    assert both, "a KG fact that records support too is in both lists"
    treated = list_low_confidence(processed, PruneCriteria(below=1.0, type="TREATED_WITH"))
    assert treated and {r["type"] for r in treated} == {"TREATED_WITH"}
    total = one(processed, "MATCH (:Concept)-[r]->(:Concept) WHERE coalesce(r.confidence, 0) < 1.0 RETURN count(r)")
    assert len(everything) == total
    first, last = treated[0], treated[-1]
    single = list_low_confidence(processed, PruneCriteria(below=1.0, type="TREATED_WITH", head=last["head"],
                                                          tail=last["tail"]))
    assert [(r["head"], r["tail"]) for r in single] == [(last["head"], last["tail"])]
    from_head = list_low_confidence(processed, PruneCriteria(below=1.0, head=first["head"]))
    assert from_head and {r["head"] for r in from_head} == {first["head"]}
    assert list_low_confidence(processed, PruneCriteria(below=1.0, head="Disease:no-such")) == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"below": 1.5}, "--below must be a number in 0..1, got 1.5"),
    ({"below": -0.1}, "--below must be a number in 0..1"),
    ({"below": "0.5"}, "--below must be a number in 0..1, got '0.5'"),
    ({"below": 0.5, "type": "HAS_SYMPTOM) DETACH DELETE (n"}, "unknown relationship type"),
    ({"below": 0.5, "origin": "rumour"}, "--origin must be 'kg' or 'records'"),
    ({"below": 0.5, "head": " "}, "--head must be a concept id"),
    ({"below": 0.5, "tail": 3}, "--tail must be a concept id"),
])
def test_bad_criteria_are_refused(kwargs, message):
    with pytest.raises(CurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        PruneCriteria(**kwargs)


def test_prune_then_restore_leaves_the_graph_identical(processed: GraphClient):
    client = processed
    before = graph_dump(client)
    criteria = PruneCriteria(below=0.5, origin="records")
    dry = prune(client, criteria, actor="dr.li", reason="review", apply=False)
    assert dry.status == "dry-run" and dry.selected > 3 and dry.pruned == 0 and dry.action_id is None
    assert graph_dump(client) == before  # a dry run writes nothing, not even an audit node

    done = prune(client, criteria, actor="dr.li", reason="low confidence, one record", apply=True, batch_size=2)
    assert (done.status, done.pruned, done.selected) == ("done", dry.selected, dry.selected)
    assert done.batches == -(-dry.selected // 2)
    assert list_low_confidence(client, criteria) == []
    assert one(client, "MATCH (:CurationAction {id: $id})-[:PRUNED]->(p:PrunedTriple) RETURN count(p)",
                id=done.action_id) == done.pruned
    archived = one(client, "MATCH (p:PrunedTriple) RETURN p {.*} AS p LIMIT 1")
    assert set(archived["pruned_keys"]) <= set(archived) and archived["pruned_head"].startswith("Disease:")
    log = curation_log(client)
    assert [(a["kind"], a["status"], a["actor"], a["count"]) for a in log] == [
        ("prune", "done", "dr.li", done.pruned)]
    assert json.loads(log[0]["criteria"]) == {"below": 0.5, "origin": "records"}

    back = restore(client, done.action_id, actor="dr.wang", reason="pruned too much")
    assert back["restored"] == done.pruned
    assert graph_dump(client, skip=AUDIT) == before  # every relationship back with all its properties
    again = restore(client, done.action_id, actor="dr.wang", reason="again")
    assert again["restored"] == 0 and "already restored by " + back["restore_id"] in again["note"]
    assert graph_dump(client, skip=AUDIT) == before
    kinds = [(a["kind"], a["status"], a["target"]) for a in curation_log(client)]
    assert kinds == [("restore", "done", done.action_id), ("prune", "restored", None)]


def test_prune_of_nothing_is_a_no_op(processed: GraphClient):
    before = graph_dump(processed)
    nothing = prune(processed, PruneCriteria(below=0.0), actor="dr.li", reason="x", apply=True)
    assert (nothing.selected, nothing.pruned, nothing.status, nothing.action_id) == (0, 0, "nothing to prune", None)
    assert graph_dump(processed) == before
    with pytest.raises(CurationError, match="--actor is required"):
        prune(processed, PruneCriteria(below=0.5), actor=" ", reason="x", apply=True)
    with pytest.raises(CurationError, match="--reason is required"):
        prune(processed, PruneCriteria(below=0.5), actor="dr.li", reason="", apply=True)
    with pytest.raises(CurationError, match="no curation action 'prune-nope'"):
        restore(processed, "prune-nope", actor="dr.li")
    assert graph_dump(processed) == before


def test_an_interrupted_prune_is_partial_and_restorable(processed: GraphClient):
    client = processed
    before = graph_dump(client)
    criteria = PruneCriteria(below=0.5)
    batches = []

    def stop_after_first(n: int) -> None:
        batches.append(n)
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        prune(client, criteria, actor="dr.li", reason="x", apply=True, batch_size=3, on_batch=stop_after_first)
    (action,) = curation_log(client)
    assert action["status"] == "partial" and action["count"] == 3 == batches[0]
    assert len(list_low_confidence(client, criteria)) == len(prune(client, criteria, actor="a", reason="b").triples)
    restore(client, action["id"], actor="dr.li", reason="undo the partial prune")
    assert graph_dump(client, skip=AUDIT) == before


def test_restore_refuses_a_relationship_recreated_since(processed: GraphClient):
    client = processed
    done = prune(client, PruneCriteria(below=0.5, type="TREATED_WITH"), actor="dr.li", reason="x", apply=True)
    assert done.pruned > 0
    head, tail = done.triples[0]["head"], done.triples[0]["tail"]
    with client.session() as session:  # e.g. a KG reload asserted it again
        session.run("MATCH (h:Concept {id: $h}), (t:Concept {id: $t}) "
                    "CREATE (h)-[:TREATED_WITH {confidence: 0.9}]->(t)", h=head, t=tail).consume()
    before = graph_dump(client)
    with pytest.raises(CurationError, match=f"1 relationship\\(s\\) were re-created since it ran \\({head} "
                                            f"-\\[TREATED_WITH\\]-> {tail}\\).*nothing changed"):
        restore(client, done.action_id, actor="dr.li")
    assert graph_dump(client) == before


def test_a_kg_reload_does_not_bring_back_a_pruned_kg_triple(processed: GraphClient):
    from pathlib import Path

    from graph.kg.loader import LoadConfig, load_kg

    client = processed
    sample = Path(__file__).resolve().parents[3] / "data" / "sample" / "kg.tsv"
    done = prune(client, PruneCriteria(below=1.0, type="COMMON_DRUG", origin="kg"), actor="dr.li", reason="x",
                 apply=True, confirm=True)
    assert done.pruned > 0
    head, tail = done.triples[0]["head"], done.triples[0]["tail"]
    load_kg(client, sample, LoadConfig(format="triples", source="sample"))
    query = "MATCH (:Concept {id: $h})-[r:COMMON_DRUG]->(:Concept {id: $t}) RETURN count(r) AS n"
    assert one(client, query, h=head, t=tail) == 0  # the reload left it pruned
    restore(client, done.action_id, actor="dr.li")
    assert one(client, query, h=head, t=tail) == 1


def test_merge_a_candidate_and_undo_it(processed: GraphClient):
    client = processed
    before = graph_dump(client)
    candidate = one(client, "MATCH (c:Concept {status: 'candidate'}) RETURN c.id")
    assert candidate == "candidate:Symptom:蜗鸣音样不适"
    with pytest.raises(CurationError, match="is Symptom but 'Disease:糖尿病' is Disease; merge within one type"):
        merge_candidate(client, candidate, "Disease:糖尿病", actor="dr.li", reason="x")
    with pytest.raises(CurationError, match="'Symptom:头痛' is not a candidate concept"):
        merge_candidate(client, "Symptom:头痛", "Symptom:耳鸣", actor="dr.li", reason="x")
    with pytest.raises(CurationError, match="no concept 'Symptom:nope' to merge into"):
        merge_candidate(client, candidate, "Symptom:nope", actor="dr.li", reason="x")
    assert graph_dump(client) == before
    target = one(client, "MATCH (c:Symptom) WHERE c.status = 'curated' RETURN c.id ORDER BY c.id LIMIT 1")
    merged = merge_candidate(client, candidate, target, actor="dr.li", reason="same finding, other wording")
    assert merged["moved"] == 2 and merged["alias_added"]
    assert one(client, "MATCH (:Mention)-[l:REFERS_TO]->(c:Concept {id: $id}) WHERE l.curated_by = $a "
                        "RETURN count(l)", id=target, a=merged["action_id"]) == 2
    assert "蜗鸣音样不适" in one(client, "MATCH (c:Concept {id: $id}) RETURN c.aliases", id=target)
    assert one(client, "MATCH (c:Concept {id: $id}) RETURN c.status", id=candidate) == "merged"
    undone = restore(client, merged["action_id"], actor="dr.wang", reason="not the same")
    assert undone["restored"] == 2
    assert graph_dump(client, skip=AUDIT) == before
    assert restore(client, merged["action_id"], actor="dr.wang")["restored"] == 0
    assert graph_dump(client, skip=AUDIT) == before
    assert [a["kind"] for a in curation_log(client)] == ["restore", "merge"]


def test_a_prune_that_selects_too_much_is_refused(processed: GraphClient, monkeypatch: pytest.MonkeyPatch):
    import graph.curate.actions as actions

    before = graph_dump(processed)
    monkeypatch.setattr(actions, "MAX_PRUNE", 3)
    with pytest.raises(CurationError, match="more than 3 relationships match .*narrow the criteria"):
        prune(processed, PruneCriteria(below=0.5), actor="dr.li", reason="x", apply=True)
    assert graph_dump(processed) == before


def _relationship(client: GraphClient, key: str) -> dict | None:
    head, rel_type, tail = key.split("|")
    with client.session() as session:
        found = session.run("MATCH (:Concept {id: $h})-[r]->(:Concept {id: $t}) WHERE type(r) = $type "
                            "RETURN properties(r) AS r", h=head, t=tail, type=rel_type).single()
    return None if found is None else found["r"]


def test_a_pruned_record_fact_stays_pruned_until_restored_with_all_its_evidence(processed: GraphClient):
    client = processed
    treated = list_low_confidence(client, PruneCriteria(below=1.0, type="TREATED_WITH"))
    fact = next(r for r in treated if r["record_count"] == 1)
    key = f"{fact['head']}|TREATED_WITH|{fact['tail']}"
    before = _relationship(client, key)
    record = one(client, "MATCH (rm:RelationMention {fact_key: $k}) WHERE rm.current RETURN rm.record_id", k=key)
    text = one(client, "MATCH (e:EMR {id: $id}) RETURN e.text", id=record)
    done = prune(client, PruneCriteria(below=1.0, type="TREATED_WITH"), actor="dr.li", reason="not a treatment",
                 apply=True)
    assert done.pruned == len(treated) > 1 and done.kg_asserted == 0

    # a new record that supports the pruned fact, through the watcher
    # (another text: a record with identical text would count once with the first)
    add_records(client, {"again-1": text + "复诊。"})
    assert watch_once(client) == 1
    assert one(client, "MATCH (rm:RelationMention {fact_key: $k, record_id: 'again-1'}) WHERE rm.current "
                        "RETURN count(rm)", k=key) == 1  # provenance is kept...
    assert _relationship(client, key) is None  # ...but the fact is neither re-created nor counted
    assert list_low_confidence(client, PruneCriteria(below=1.0, type="TREATED_WITH")) == []
    suppressed = {f"{r['head']}|{r['type']}|{r['tail']}": r for r in list_suppressed(client)}
    assert len(suppressed) == done.pruned
    assert {k: suppressed[key][k] for k in ("action_id", "actor", "reason", "arrived", "arrived_records")} == {
        "action_id": done.action_id, "actor": "dr.li", "reason": "not a treatment", "arrived": 1,
        "arrived_records": 1}
    assert list_suppressed(client, "HAS_SYMPTOM") == []
    supported = {k for k, r in suppressed.items() if r["arrived"]}  # the new record may support more than one
    assert key in supported and all(k.split("|")[1] == "TREATED_WITH" for k in supported)

    back = restore(client, done.action_id, actor="dr.wang", reason="it is one")  # not refused: nothing re-created
    assert (back["restored"], back["recomputed"]) == (done.pruned, len(supported))
    after = _relationship(client, key)
    assert after is not None and after["record_count"] == 2 and after["confidence"] > before["confidence"]
    assert after["record_sources"] == before["record_sources"] and after["evidence_count"] == 2
    assert list_suppressed(client) == []
    counts = {f"{r['head']}|TREATED_WITH|{r['tail']}": r["record_count"]
              for r in list_low_confidence(client, PruneCriteria(below=1.0, type="TREATED_WITH"))}
    assert counts == {f"{r['head']}|TREATED_WITH|{r['tail']}": r["record_count"] + (
        f"{r['head']}|TREATED_WITH|{r['tail']}" in supported) for r in treated}


def test_a_kg_or_large_prune_needs_confirmation(processed: GraphClient, monkeypatch: pytest.MonkeyPatch):
    import graph.curate.actions as actions

    client = processed
    before = graph_dump(client)
    kg = PruneCriteria(below=1.0, type="HAS_SYMPTOM")
    dry = prune(client, kg, actor="dr.li", reason="x")
    assert dry.kg_asserted > 0 and dry.needs_confirmation
    with pytest.raises(ConfirmationRequired, match=f"would delete {dry.selected} relationships \\(HAS_SYMPTOM "
                                                   f"{dry.selected}\\), {dry.kg_asserted} asserted by a KG source "
                                                   f"\\(sample {dry.kg_asserted}\\); it needs confirmation"):
        prune(client, kg, actor="dr.li", reason="x", apply=True)
    asked: list[PrunePlan] = []
    with pytest.raises(ConfirmationRequired, match="was not confirmed .*nothing changed") as declined:
        prune(client, kg, actor="dr.li", reason="x", apply=True, confirm=lambda plan: asked.append(plan) or False)
    assert declined.value.declined and asked == [declined.value.plan]
    assert (asked[0].selected, asked[0].kg_asserted, asked[0].by_kg_source) == (
        dry.selected, dry.kg_asserted, {"sample": dry.kg_asserted})
    assert graph_dump(client) == before  # nothing written, not even an audit node

    monkeypatch.setattr(actions, "CONFIRM_ABOVE", 3)
    records = PruneCriteria(below=0.5, origin="records")
    assert prune(client, records, actor="dr.li", reason="x").kg_asserted == 0
    with pytest.raises(ConfirmationRequired, match="because it selects more than 3 relationships; nothing changed"):
        prune(client, records, actor="dr.li", reason="x", apply=True)
    assert graph_dump(client) == before
    done = prune(client, records, actor="dr.li", reason="x", apply=True, confirm=lambda plan: plan.selected > 3)
    assert done.status == "done" and done.pruned > 3
    monkeypatch.setattr(actions, "CONFIRM_ABOVE", 10_000)
    small = prune(client, kg, actor="dr.li", reason="x", apply=True, confirm=True)
    assert small.status == "done" and small.pruned == small.selected > 0 and small.kg_asserted > 0
