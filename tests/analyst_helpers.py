"""Shared set-up of the analyst and curator tests: a processed sample graph, a digest of the whole graph.

A module of its own rather than ``conftest`` (several folders have a ``conftest.py``, and ``from conftest
import ...`` finds whichever was imported first); importable from any test folder.
"""

from __future__ import annotations

import hashlib
import json
from typing import ClassVar

from graph_helpers import add_records
from plugin_helpers import StubPlugin, registered
from repo_helpers import REPO

from extractor.plugin import ExtractionRecord, RecordResult, SpanResult
from graph.db.connection import GraphClient
from graph.kg.loader import LoadConfig, load_kg
from graph.watch.config import IngestConfig, WatchConfig
from graph.watch.ingest import ingest_path
from graph.watch.plugins import register_plugin
from graph.watch.worker import run_watcher_once

ODD = "患者诉左耳蜗鸣音样不适。"  # a symptom the KG does not know: the linker makes it a candidate concept


class OddSymptom(StubPlugin):
    """Finds 蜗鸣音样不适 (unknown to the KG) so that the NIL queue has an entry."""

    name: ClassVar[str] = "odd-symptom-ner"
    kind: ClassVar[str] = "ner"

    def extract(self, records: list[ExtractionRecord]) -> list[RecordResult]:
        out = []
        for rec in records:
            at = rec.text.find("蜗鸣音样不适")
            spans = (SpanResult(at, at + 6, "Symptom", 0.9, "蜗鸣音样不适"),) if at >= 0 else ()
            out.append(RecordResult(rec.id, spans))
        return out


def build_processed_graph(client: GraphClient, *, assertion: bool = True) -> GraphClient:
    """Sample KG + sample records (+ two records with the odd symptom) through one watcher cycle.

    ``assertion=False`` leaves out the ``context-assertion`` plugin: a graph as it was processed before
    the assertion step existed (every mention's assertion unknown).
    """
    load_kg(client, REPO / "data" / "sample" / "kg.tsv", LoadConfig(format="triples", source="sample"))
    names = ("gazetteer-ner", "odd-symptom-ner", *(("context-assertion",) if assertion else ()), "kg-linker",
             "cooccurrence-relations")
    with registered(OddSymptom):
        for name in names:
            register_plugin(client, name, enable=True)
        ingest_path(client, REPO / "data" / "sample" / "emr.jsonl", IngestConfig(format="ccks"))
    add_records(client, {"odd-1": ODD, "odd-2": ODD})
    assert watch_once(client) == 10
    return client


def watch_once(client: GraphClient) -> int:
    """One watcher cycle with the plugins :func:`build_processed_graph` stored; returns the records done."""
    with registered(OddSymptom):
        result = run_watcher_once(client, WatchConfig(device="cpu", backoff_seconds=0.0, batch_size=4))
    assert result.failed == 0
    return result.done


def graph_dump(client: GraphClient, *, skip: tuple[str, ...] = ()) -> list[str]:
    """Every node and relationship with all properties, sorted (equal lists: the same graph).

    Relationships are named by their type and their endpoints' elementIds (nodes keep theirs), so a
    relationship deleted and created again with the same properties compares equal. ``skip``: node
    labels left out, with their relationships.
    """
    with client.session() as session:
        nodes = sorted(json.dumps([sorted(r["l"]), r["p"]], sort_keys=True, default=str) for r in session.run(
            "MATCH (n) WHERE none(l IN labels(n) WHERE l IN $skip) RETURN labels(n) AS l, properties(n) AS p",
            skip=list(skip)))
        rels = sorted(json.dumps([r["t"], r["a"], r["b"], r["p"]], sort_keys=True, default=str) for r in session.run(
            "MATCH (a)-[r]->(b) WHERE none(l IN labels(a) + labels(b) WHERE l IN $skip) "
            "RETURN type(r) AS t, elementId(a) AS a, elementId(b) AS b, properties(r) AS p", skip=list(skip)))
    return nodes + rels


def graph_digest(client: GraphClient, *, skip: tuple[str, ...] = ()) -> str:
    """SHA-256 of :func:`graph_dump`."""
    return hashlib.sha256("\n".join(graph_dump(client, skip=skip)).encode()).hexdigest()
