"""The sample data the project wrote is consistent: exact offsets, valid references, mapped predicates."""

from __future__ import annotations

import json
from pathlib import Path

from graph.kg.relations import RECORD_RELATIONS

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def test_relation_sample_offsets_and_predicates() -> None:
    records = [json.loads(line) for line in (SAMPLE / "relations.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 60 and len({r["id"] for r in records}) == 60
    assert sum(len(r["entities"]) for r in records) == 134 and sum(len(r["relations"]) for r in records) == 70
    for record in records:
        for entity in record["entities"]:
            assert record["text"][entity["start"]:entity["end"]] == entity["text"], record["id"]
            assert entity["type"] in {"疾病", "症状", "药物", "检查", "手术治疗", "部位"}
        for rel in record["relations"]:
            assert 0 <= rel["subject"] < len(record["entities"]) and 0 <= rel["object"] < len(record["entities"])
            assert record["entities"][rel["subject"]]["type"] == "疾病"
            assert rel["predicate"] in RECORD_RELATIONS, rel["predicate"]  # every one lands in the graph model
