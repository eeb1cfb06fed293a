"""Shared set-up of the analyst and curator tests: a processed sample graph, a digest of the whole graph.

A module of its own rather than ``conftest`` (see ``tests/graph/watch/watch_helpers.py``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from extractor.plugin import ExtractionRecord, RecordResult, SpanResult
from extractor.plugins.registry import register_class, unregister_class
from graph.db.connection import GraphClient
from graph.kg.loader import LoadConfig, load_kg
from graph.watch.config import IngestConfig, WatchConfig
from graph.watch.ingest import ingest_path
from graph.watch.plugins import register_plugin
from graph.watch.worker import run_watcher_once

REPO = Path(__file__).resolve().parents[3]

ODD = "患者诉左耳蜗鸣音样不适。"  # a symptom the KG does not know: the linker makes it a candidate concept


class NoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OddSymptom:
    """Finds 蜗鸣音样不适 (unknown to the KG) so that the NIL queue has an entry."""

    name: ClassVar[str] = "odd-symptom-ner"
    version: ClassVar[str] = "1"
    kind: ClassVar[str] = "ner"
    Config = NoConfig

    def __init__(self, config: NoConfig, context: Any = None) -> None:
        self.settings = config

    @classmethod
    def artifact_sha256(cls, config: object) -> None:
        return None

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
    spec = register_class(OddSymptom)
    names = ("gazetteer-ner", "odd-symptom-ner", *(("context-assertion",) if assertion else ()), "kg-linker",
             "cooccurrence-relations")
    try:
        for name in names:
            register_plugin(client, name, enable=True)
        ingest_path(client, REPO / "data" / "sample" / "emr.jsonl", IngestConfig(format="ccks"))
    finally:
        unregister_class(spec.id)
    with client.session() as session:
        for rid in ("odd-1", "odd-2"):
            session.run("CREATE (:EMR {id: $id, text: $text})", id=rid, text=ODD).consume()
    assert watch_once(client) == 10
    return client


def watch_once(client: GraphClient) -> int:
    """One watcher cycle with the plugins :func:`build_processed_graph` stored; returns the records done."""
    spec = register_class(OddSymptom)
    try:
        result = run_watcher_once(client, WatchConfig(device="cpu", backoff_seconds=0.0, batch_size=4))
    finally:
        unregister_class(spec.id)
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
