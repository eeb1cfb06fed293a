"""Fault tests of the watcher (issue figures): SIGKILL at random moments, a database restart, four worker
processes, a poison record. Each prints one ``RELIABILITY {json}`` line with its figures (``pytest -s``)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cli_helpers import one_json
from graph_helpers import one, rows
from plugin_helpers import registered
from watch_helpers import DEFAULT_PLUGINS

from extractor.plugin import ExtractionRecord, RecordResult
from extractor.plugins.context import PluginContext
from extractor.plugins.cooccurrence import CooccurrenceConfig, CooccurrenceRelations
from extractor.plugins.gazetteer_ner import GazetteerNER, GazetteerNERConfig
from extractor.plugins.linking import KGLinker, KGLinkerConfig
from graph.db.config import MedkgSettings
from graph.db.connection import ConnectionInfo, GraphClient
from graph.db.server import LocalNeo4j, free_port
from graph.kg.loader import LoadConfig, load_kg
from graph.watch.claims import claim_batch
from graph.watch.config import WatchConfig
from graph.watch.context import GraphResources
from graph.watch.plugins import register_plugin
from graph.watch.worker import run_watcher_once

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[3]
SAMPLE = [json.loads(line)["originalText"] for line in (REPO / "data/sample/emr.jsonl").read_text("utf-8").splitlines()]


def report(name: str, **figures: Any) -> None:
    print("RELIABILITY " + json.dumps({"test": name, **figures}, ensure_ascii=False))


def make_records(client: GraphClient, n: int, prefix: str = "r") -> dict[str, str]:
    records = {f"{prefix}{i:04d}": f"第{i}份。" + SAMPLE[i % len(SAMPLE)] for i in range(n)}
    with client.session() as session:
        session.run("UNWIND $rows AS row CREATE (:EMR {id: row.id, text: row.text})",
                    rows=[{"id": k, "text": v} for k, v in records.items()]).consume()
    return records


def expected_facts(client: GraphClient, records: dict[str, str]) -> dict[str, tuple[int, int]]:
    """(mentions, relation mentions) per record, from the same plugins run in-process with no database writes."""
    ctx = GraphResources(client).context()
    ner, link = GazetteerNER(GazetteerNERConfig(), ctx), KGLinker(KGLinkerConfig(), ctx)
    rel = CooccurrenceRelations(CooccurrenceConfig())
    out = {}
    for rid, text in records.items():
        spans = ner.extract([ExtractionRecord(rid, text)])[0].spans
        links = link.extract([ExtractionRecord(rid, text, spans)])[0].links
        rels = rel.extract([ExtractionRecord(rid, text, spans, links)])[0].relations
        out[rid] = (len(spans), len(rels))
    return out


def check_no_loss_no_duplicates(client: GraphClient, expected: dict[str, tuple[int, int]]) -> dict[str, int]:
    found = {r["id"]: r for r in rows(client, """
        MATCH (e:EMR)
        RETURN e.id AS id, e.status AS status, e.attempts AS attempts, e.last_error AS last_error,
               toString(e.retry_after) AS retry_after, e.lease_run AS lease_run,
               COUNT { (e)-[:HAS_MENTION]->() } AS mentions,
               COUNT { MATCH (rm:RelationMention {record_id: e.id}) } AS relations""")}
    lost = [rid for rid in expected if found[rid]["status"] != "DONE"]
    wrong = [rid for rid, (m, r) in expected.items() if (found[rid]["mentions"], found[rid]["relations"]) != (m, r)]
    # on a failure, say in what state the records were left (status, attempts, last error, lease)
    assert not lost and not wrong, ([dict(found[rid]) for rid in lost[:5]], wrong[:5])
    total = one(client, "MATCH (m:Mention) RETURN count(m)")
    assert total == sum(m for m, _ in expected.values())
    assert one(client, "MATCH (rm:RelationMention) RETURN count(rm)") == sum(r for _, r in expected.values())
    return {"records": len(expected), "done": len(expected) - len(lost), "lost": len(lost),
            "duplicated_mentions": total - sum(m for m, _ in expected.values())}


def medkg(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def env_for(info: ConnectionInfo, home: Path) -> dict[str, str]:
    env = dict(os.environ, NEO4J_URI=info.uri, NEO4J_USERNAME=info.username, NEO4J_PASSWORD=info.password,
               MEDKG_HOME=str(home), PYTHONPATH=str(REPO))
    env.pop("NEO4J_DATABASE", None)
    if info.database:
        env["NEO4J_DATABASE"] = info.database
    return env


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(watch_graph: GraphClient, neo4j_info: ConnectionInfo,
                                                                tmp_path: Path) -> None:
    client = watch_graph
    records = make_records(client, 200)
    expected = expected_facts(client, records)
    env = env_for(neo4j_info, tmp_path)
    command = medkg("watch", "--once", "--json", "--batch-size", "1", "--lease-seconds", "1.5",
                    "--max-attempts", "100", "--backoff-seconds", "0", "--device", "cpu")
    rng = random.Random(20)
    kills, in_flight, starts, held_runs = 0, [], 0, set()
    started = time.perf_counter()
    remaining = "MATCH (e:EMR) WHERE e.status IS NULL OR e.status <> 'DONE' RETURN count(e)"
    topped_up = 0
    while kills < 20:
        if not one(client, remaining):  # a fast machine finished every record before the 20th kill: add more
            if topped_up == 10:
                break
            topped_up += 1
            more = make_records(client, 100, prefix=f"x{topped_up}-")
            expected |= expected_facts(client, more)
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        starts += 1
        if rng.random() < 0.2:  # some kills land while the worker starts up
            time.sleep(rng.uniform(0.2, 2.0))
        else:  # most land at a random moment once it is working
            done_before = one(client, "MATCH (e:EMR {status: 'DONE'}) RETURN count(e)")
            while proc.poll() is None and one(client, "MATCH (e:EMR {status: 'DONE'}) RETURN count(e)") == done_before:
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 0.1))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            in_flight.append(one(client, "MATCH (e:EMR {status: 'PROCESSING'}) RETURN count(e)"))
            # the runs holding records now (a record of an earlier kill may still be leased to its run)
            held_runs |= set(one(client, "MATCH (e:EMR {status: 'PROCESSING'}) RETURN collect(DISTINCT e.lease_run)"))
    killed_s = time.perf_counter() - started
    while one(client, remaining):
        time.sleep(1.6)  # let the leases of the last killed worker expire
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=300)
        starts += 1
    figures = check_no_loss_no_duplicates(client, expected)
    time.sleep(1.6)  # the last killed worker's lease expires; the next claim closes its run
    claim_batch(client, WatchConfig(worker="sweeper"), [])
    runs = {r["status"]: r["n"] for r in rows(client, "MATCH (r:Run) RETURN r.status AS status, count(*) AS n")}
    hit = sum(1 for n in in_flight if n)
    report("sigkill", kills=kills, worker_starts=starts, records_added=100 * topped_up,
           kills_with_records_in_flight=hit, records_in_flight_at_kills=sum(in_flight),
           seconds=round(time.perf_counter() - started, 1), seconds_under_kills=round(killed_s, 1),
           runs=runs, **figures)
    assert kills == 20 and hit >= 5  # most kills must hit a batch in flight
    # runs end: every killed worker's run is closed, as lost, once its records are gone
    statuses = {r["id"]: r["status"] for r in rows(
        client, "MATCH (r:Run) WHERE r.id IN $ids RETURN r.id AS id, r.status AS status", ids=sorted(held_runs))}
    assert "running" not in runs and held_runs and set(statuses.values()) == {"lost"}, statuses


def test_database_restart_mid_run_is_waited_out(tmp_path: Path) -> None:
    server = LocalNeo4j(tmp_path / "neo4j", port=free_port(), heap="512m", pagecache="128m",
                        launcher_dir=MedkgSettings().launcher_build_dir)
    server.start()
    try:
        user, password = server.auth
        info = ConnectionInfo(server.uri, user, password)
        with GraphClient.from_info(info) as client:
            client.apply_schema()
            load_kg(client, REPO / "data/sample/kg.tsv", LoadConfig(format="triples", source="sample"))
            for name in DEFAULT_PLUGINS:
                register_plugin(client, name, enable=True)
            records = make_records(client, 300)
            expected = expected_facts(client, records)
        proc = subprocess.Popen(medkg("watch", "--once", "--json", "--batch-size", "2", "--device", "cpu"),
                                env=env_for(info, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True)
        with GraphClient.from_info(info) as client:
            deadline = time.monotonic() + 120
            while one(client, "MATCH (e:EMR {status: 'DONE'}) RETURN count(e)") < 20 and time.monotonic() < deadline:
                time.sleep(0.2)
            done_before = one(client, "MATCH (e:EMR {status: 'DONE'}) RETURN count(e)")
        stopped = time.perf_counter()
        server.stop()
        time.sleep(5)
        server.start()
        outage = time.perf_counter() - stopped
        output, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, output
        cycle = one_json(output)
        with GraphClient.from_info(info) as client:
            figures = check_no_loss_no_duplicates(client, expected)
        report("db_restart", done_before_stop=done_before, outage_seconds=round(outage, 1),
               watcher_db_waits=cycle["db_waits"], worker_done=cycle["done"], worker_seconds=cycle["seconds"],
               **figures)
        # the driver retries transactions for 30 s by itself; the watcher's own backoff (db_waits) takes over
        # beyond that, so a short outage may show no watcher-level wait: what counts is that nothing is lost
        assert done_before < 300 and cycle["done"] == 300
    finally:
        server.stop()


def test_four_worker_processes_never_share_a_record(watch_graph: GraphClient, neo4j_info: ConnectionInfo,
                                                    tmp_path: Path) -> None:
    client = watch_graph
    records = make_records(client, 1000)
    started = time.perf_counter()
    done = subprocess.run(medkg("watch", "--once", "--json", "--workers", "4", "--batch-size", "16", "--device", "cpu"),
                          env=env_for(neo4j_info, tmp_path), capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-3000:]
    payload = one_json(done.stdout)
    runs = rows(client, "MATCH (r:Run) RETURN r.id AS id, r.worker AS worker, r.record_ids AS ids, "
                        "r.done_ids AS done, r.started_at AS start, r.finished_at AS finish")
    holders: dict[str, list[dict]] = {}
    for run in runs:
        for rid in run["ids"]:
            holders.setdefault(rid, []).append(run)
    overlapping = 0
    for held in holders.values():
        held.sort(key=lambda r: r["start"])
        overlapping += sum(1 for a, b in zip(held, held[1:], strict=False) if b["start"] < a["finish"])
    done_once = sum(1 for rid in records if sum(rid in r["done"] for r in runs) == 1)
    workers = {r["worker"] for r in runs}
    report("four_workers", records=len(records), workers=len(workers), runs=len(runs), claims_in_two_runs=sum(
        len(h) > 1 for h in holders.values()), overlapping_leases=overlapping, done_once=done_once,
        seconds=round(seconds, 1), records_per_s=round(len(records) / seconds, 1),
        per_worker_done=sorted(w["done"] for w in payload["workers"]))
    assert len(workers) == 4 and overlapping == 0 and done_once == len(records) == len(holders)
    assert one(client, "MATCH (e:EMR {status: 'DONE'}) RETURN count(e)") == 1000 and payload["done"] == 1000


class Poison(GazetteerNER):
    """The dictionary NER, except that it crashes on one record."""

    name: ClassVar[str] = "poison-gazetteer"

    def extract(self, records: list[ExtractionRecord]) -> list[RecordResult]:
        if any(r.id == "poison" for r in records):
            raise MemoryError("simulated: this record exhausts the plugin")
        return super().extract(records)


def test_a_poison_record_among_good_ones(kg_graph: GraphClient) -> None:
    client = kg_graph
    with registered(Poison):
        register_plugin(client, "poison-gazetteer", enable=True)
        records = make_records(client, 99)
        with client.session() as session:
            session.run("CREATE (:EMR {id: 'poison', text: $t})", t=SAMPLE[0]).consume()
        result = run_watcher_once(client, WatchConfig(batch_size=8, max_attempts=3, backoff_seconds=0, device="cpu"))
    poison = rows(client, "MATCH (e:EMR {id: 'poison'}) RETURN e.status AS s, e.error AS e, e.attempts AS a, "
                          "COUNT { (e)-[:HAS_MENTION]->() } AS facts")[0]
    done = one(client, "MATCH (e:EMR {status: 'DONE'}) RETURN count(e)")
    report("poison", good=len(records), done=done, poison=poison, cycle_failed=result.failed)
    assert poison == {"s": "FAILED", "e": "extractor poison-gazetteer@1: MemoryError: simulated: this record "
                                          "exhausts the plugin", "a": 3, "facts": 0}
    assert done == 99 and result.done == 99
    _ = PluginContext  # the in-process reference uses the same context type the watcher builds
