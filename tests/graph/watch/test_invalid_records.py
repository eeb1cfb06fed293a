"""Records written by other clients that break the ``(:EMR {id, text})`` contract: never claimed, INVALID."""

from __future__ import annotations

from typing import Any

from graph_helpers import one, rows

from graph.db.connection import GraphClient
from graph.watch.claims import adopt_new, claim_batch
from graph.watch.config import WatchConfig
from graph.watch.status import watch_status
from graph.watch.worker import run_watcher_once

FAST = {"device": "cpu", "backoff_seconds": 0.0}
GOOD = {f"good-{i}": f"患者{i}诊断糖尿病，予二甲双胍。" for i in range(6)} | {"42": "高血压病。"}


def create(client: GraphClient, cypher: str, **params: Any) -> None:
    """Write the way an outside client would (ad-hoc Cypher, tests only)."""
    with client.session() as session:
        session.run(cypher, params).consume()


def add_good(client: GraphClient) -> None:
    create(client, "UNWIND $rows AS row CREATE (:EMR {id: row.id, text: row.text})",
           rows=[{"id": k, "text": v} for k, v in GOOD.items()])


def states(client: GraphClient) -> dict[Any, tuple[str, str | None]]:
    """(status, error) per node, keyed by its test marker, or by its id when it has no marker."""
    found = rows(client, "MATCH (e:EMR) RETURN coalesce(e.marker, e.id) AS key, e.status AS status, e.error AS error")
    return {r["key"]: (r["status"], r["error"]) for r in found}


def test_each_kind_of_malformed_record_is_invalid_and_the_rest_is_done(watch_graph: GraphClient) -> None:
    client = watch_graph
    add_good(client)
    # what another writer can create (no status: adopted; or status NEW written directly)
    create(client, "CREATE (:EMR {text: '患者发热', marker: 'no id'})")
    create(client, "CREATE (:EMR {id: 42, text: '糖尿病', marker: 'integer id'})")
    create(client, "CREATE (:EMR {id: ['a', 'b'], text: '糖尿病', marker: 'list id'})")
    create(client, "CREATE (:EMR {id: 4.5, text: '糖尿病', marker: 'float id', status: 'NEW'})")
    create(client, "CREATE (:EMR {id: '', text: '糖尿病', marker: 'empty id'})")
    create(client, "CREATE (:EMR {id: date('2024-05-01'), text: '糖尿病', marker: 'date id'})")
    create(client, "CREATE (:EMR {id: 'number-text', text: 42})")
    create(client, "CREATE (:EMR {id: 'list-text', text: ['糖尿病']})")
    create(client, "CREATE (:EMR {id: 'no-text'})")
    create(client, "CREATE (:EMR {id: 'bad-sha', text: '糖尿病', sha256: 7, status: 'NEW', attempts: 'x'})")
    create(client, "CREATE (:EMR {id: 'odd-attempts', text: '糖尿病', status: 'NEW', attempts: 'x'})")
    result = run_watcher_once(client, WatchConfig(batch_size=4, **FAST))
    found = states(client)
    assert all(found[rid] == ("DONE", None) for rid in GOOD), found
    assert found["no id"] == ("INVALID", "id is missing")
    assert found["integer id"] == ("INVALID", "id is an integer (42), expected a string")
    assert found["list id"] == ("INVALID", "id is a list of 2 values, expected a string")
    assert found["float id"] == ("INVALID", "id is a float (4.5), expected a string")
    assert found["empty id"] == ("INVALID", "id is empty")
    assert found["date id"] == ("INVALID", "id is a DATE (2024-05-01), expected a string")
    assert found["number-text"] == ("INVALID", "text is an integer (42), expected a string")
    assert found["list-text"] == ("INVALID", "text is a list of 1 values, expected a string")
    assert found["no-text"] == ("INVALID", "text is missing")
    assert found["bad-sha"] == ("INVALID", "sha256 is an integer (7), expected a string (or none)")
    assert found["odd-attempts"] == ("DONE", None)  # an attempts count that is not an integer counts as 0
    assert one(client, "MATCH (e:EMR {id: 'odd-attempts'}) RETURN e.attempts") == 1
    assert result.done == len(GOOD) + 1 and result.invalid == 10 and result.failed == 0
    assert one(client, "MATCH (e:EMR {status: 'INVALID'}) WHERE e.lease_run IS NOT NULL OR e.attempts > 0 "
                       "RETURN count(e)") == 0  # an invalid node holds no lease and used no attempt
    assert one(client, "MATCH (e:EMR {status: 'INVALID'})-[:HAS_MENTION]->() RETURN count(e)") == 0
    assert one(client, "MATCH (r:Run) UNWIND r.record_ids AS id RETURN count(DISTINCT id)") == len(GOOD) + 1

    status = watch_status(client, invalid=3)
    assert status.records["INVALID"] == 10 and status.records["DONE"] == len(GOOD) + 1
    assert status.invalid["count"] == 10 and len(status.invalid["first"]) == 3
    listed = watch_status(client, invalid=20).invalid["first"]
    by_error = {r["error"]: r for r in listed}
    no_id = by_error["id is missing"]
    assert no_id["id"] is None and no_id["element_id"] and no_id["text_start"] == "患者发热"
    assert by_error["text is missing"]["id"] == "no-text" and by_error["text is missing"]["element_id"] is None
    assert by_error["id is an integer (42), expected a string"]["element_id"]
    assert {f["id"] for f in status.failures} == set()  # INVALID is not FAILED


def test_a_claim_never_returns_an_invalid_record(watch_graph: GraphClient) -> None:
    client = watch_graph
    add_good(client)
    create(client, "CREATE (:EMR {id: 42, text: '糖尿病', marker: 'integer id'})")
    create(client, "CREATE (:EMR {text: '患者发热', marker: 'no id'})")
    assert adopt_new(client) == len(GOOD) + 2
    claim = claim_batch(client, WatchConfig(batch_size=100, worker="w"), ["gazetteer-ner@1"])
    assert sorted(r.id for r in claim.records) == sorted(GOOD)
    assert sorted(x["error"] for x in claim.invalid) == ["id is an integer (42), expected a string", "id is missing"]
    assert one(client, "MATCH (r:Run {id: $id}) RETURN size(r.record_ids)", id=claim.run_id) == len(GOOD)


def test_records_sharing_an_id_are_invalid(watch_graph: GraphClient) -> None:
    """Without the uniqueness constraint (a node written before it, or a server without medkg's schema)."""
    client = watch_graph
    add_good(client)
    run_watcher_once(client, WatchConfig(**FAST))
    create(client, "DROP CONSTRAINT emr_id")
    try:
        create(client, "CREATE (:EMR {id: 'twin', text: '糖尿病。', marker: 'twin 1'}), "
                       "(:EMR {id: 'twin', text: '高血压。', marker: 'twin 2'})")
        create(client, "CREATE (:EMR {id: 'good-1', text: '另一份：糖尿病。', marker: 'late copy'})")
        create(client, "CREATE (:EMR {id: 'fresh', text: '糖尿病伴多尿。'})")
        result = run_watcher_once(client, WatchConfig(**FAST))
        found = {(r["id"], r["marker"]): (r["status"], r["error"]) for r in rows(
            client, "MATCH (e:EMR) WHERE e.id IN ['twin', 'good-1', 'fresh'] "
                    "RETURN e.id AS id, e.marker AS marker, e.status AS status, e.error AS error")}
        assert found == {("twin", "twin 1"): ("INVALID", "id 'twin' is shared by 2 EMR nodes"),
                         ("twin", "twin 2"): ("INVALID", "id 'twin' is shared by 2 EMR nodes"),
                         ("good-1", None): ("DONE", None),  # the record processed before keeps its facts
                         ("good-1", "late copy"): ("INVALID", "id 'good-1' is shared by 2 EMR nodes"),
                         ("fresh", None): ("DONE", None)}
        assert result.done == 1 and result.invalid == 3
    finally:
        create(client, "MATCH (e:EMR) WHERE e.marker IS NOT NULL DETACH DELETE e")
        client.apply_schema()


def test_requeue_of_invalid_records_takes_only_those_fixed(watch_graph: GraphClient) -> None:
    client = watch_graph
    create(client, "CREATE (:EMR {id: 42, text: '糖尿病', marker: 'integer id'})")
    create(client, "CREATE (:EMR {id: 'no-text', marker: 'no text'})")
    run_watcher_once(client, WatchConfig(**FAST))
    assert one(client, "MATCH (e:EMR {status: 'INVALID'}) RETURN count(e)") == 2
    create(client, "MATCH (e:EMR {marker: 'integer id'}) SET e.id = toString(e.id)")  # the writer fixes one
    requeued, _ = client.write("internal/requeue_emrs", status="INVALID", ids=None)
    assert requeued == [{"requeued": 1, "skipped": 1}]
    assert states(client) == {"integer id": ("NEW", None), "no text": ("INVALID", "text is missing")}
    assert run_watcher_once(client, WatchConfig(**FAST)).done == 1
    assert states(client)["integer id"] == ("DONE", None)
