"""Bad input and failed batches leave the graph as it was: validation before any write, relationship batches."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from neo4j_helpers import wipe

from graph.db.connection import GraphClient, WriteTotals
from graph.kg.loader import KGLoadError, LoadConfig, load_kg
from kgmodel.model import static_relationship_type

GOOD = "糖尿病\tDisease\tHAS_SYMPTOM\t多饮\tSymptom\n"


def only_the_sentinel(client: GraphClient) -> bool:
    with client.session() as session:
        nodes = session.run("MATCH (n) RETURN collect(DISTINCT labels(n)) AS l, count(n) AS n").single()
        rels = session.run("MATCH ()-[r]->() RETURN count(r) AS n").single()["n"]
    return nodes["l"] == [["MedkgTestSentinel"]] and nodes["n"] == 1 and rels == 0


@pytest.mark.parametrize("last", [
    "高血压\tDisease\tCURES\t头痛\tSymptom\n",
    "高血压\tDisease\tHAS_SYMPTOM\t头痛\n",
    "高血压\tDisease\tHAS_SYMPTOM\t头\x07痛\tSymptom\n",
])
def test_the_whole_source_is_checked_before_the_first_write(client: GraphClient, tmp_path: Path, last: str) -> None:
    path = tmp_path / "kg.tsv"
    lines = [f"病{i}\tDisease\tHAS_SYMPTOM\t症{i}\tSymptom\n" for i in range(30)]
    path.write_text("".join(lines) + last, encoding="utf-8")
    with pytest.raises(KGLoadError, match=f"{path}:31"):
        load_kg(client, path, LoadConfig(format="triples", batch_size=1))  # 60 node batches would come first
    assert only_the_sentinel(client)


def _rel_rows(pairs: Iterable[tuple[str, str, str]]) -> list[dict[str, Any]]:
    return [{"head": h, "type": t, "tail": tail, "sources": ["s"], "confidences": [0.8], "confidence": 0.8}
            for h, t, tail in pairs]


def _concepts(client: GraphClient) -> None:
    rows = [{"id": f"{label}:{name}", "name": name, "label": label, "source": "s"}
            for label, name in (("Disease", "甲"), ("Disease", "乙"), ("Symptom", "痛"), ("Drug", "药"))]
    client.write_batches("internal/merge_concepts", rows, batch_size=10)


def _count_rels(client: GraphClient) -> int:
    with client.session() as session:
        return session.run("MATCH (:Concept)-[r]->(:Concept) RETURN count(r) AS n").single()["n"]


def test_a_failing_relationship_batch_of_several_statements_leaves_nothing(client: GraphClient) -> None:
    _concepts(client)
    rows = _rel_rows([("Disease:甲", "HAS_SYMPTOM", "Symptom:痛"), ("Disease:甲", "COMMON_DRUG", "Drug:药"),
                      ("Disease:乙", "HAS_SYMPTOM", "Symptom:痛"), ("Disease:乙", "COMMON_DRUG", "Drug:药"),
                      ("Disease:甲", "ACCOMPANY_WITH", "Disease:乙")])
    rows[4]["sources"] = "not a list"  # indexing a string fails inside Neo4j, after the batch's other statements
    with pytest.raises(Exception, match="(?i)type|string|list"):
        # batch 1: HAS_SYMPTOM + COMMON_DRUG (two statements, one transaction), batch 2: the same, batch 3: the bad row
        client.write_batches("internal/merge_relationships", rows, batch_size=2, specialise=static_relationship_type)
    assert _count_rels(client) == 4  # the first two batches committed, the failing one left nothing
    rows[3]["sources"] = 42  # now the failure is in the second statement of batch 2
    wipe(client)
    _concepts(client)
    with pytest.raises(Exception, match="(?i)type|integer|list"):
        client.write_batches("internal/merge_relationships", rows[:4], batch_size=2,
                             specialise=static_relationship_type)
    with client.session() as session:
        found = session.run("MATCH (h)-[r]->(t) WHERE h:Concept RETURN h.id + '|' + type(r) AS k ORDER BY k").value()
    assert found == ["Disease:甲|COMMON_DRUG", "Disease:甲|HAS_SYMPTOM"]  # batch 2's first statement rolled back too


class FailingSecondRelationshipBatch(GraphClient):
    """A real client whose second relationship batch carries one row the server cannot process.

    The fault is real (Neo4j fails the statement inside the transaction); only the row is planted.
    """

    def write_batches(self, name: str, rows: Iterable[dict[str, Any]], *, batch_size: int,
                      **kwargs: Any) -> WriteTotals:
        if name != "internal/merge_relationships":
            return super().write_batches(name, rows, batch_size=batch_size, **kwargs)
        planted = list(rows)
        bad = dict(planted[batch_size])
        bad["sources"] = "planted"
        planted.insert(batch_size + 1, bad)
        return super().write_batches(name, planted, batch_size=batch_size, **kwargs)


def test_load_kg_with_a_failing_relationship_batch(client: GraphClient, neo4j_info, tmp_path: Path) -> None:
    path = tmp_path / "kg.tsv"
    path.write_text("".join(f"病{i}\tDisease\tHAS_SYMPTOM\t症{i}\tSymptom\n" for i in range(6)), encoding="utf-8")
    with FailingSecondRelationshipBatch(neo4j_info.uri, (neo4j_info.username, neo4j_info.password),
                                        neo4j_info.database) as failing:
        with pytest.raises(Exception, match="(?i)type|string|list"):
            load_kg(failing, path, LoadConfig(format="triples", source="t", batch_size=2))
    assert _count_rels(client) == 2  # relationship batch 1 committed; batch 2 (with the planted row) left nothing
    with client.session() as session:
        assert session.run("MATCH (c:Concept) RETURN count(c) AS n").single()["n"] == 12  # nodes came first
        assert session.run("MATCH (s:KGSource) RETURN count(s) AS n").single()["n"] == 0  # no source recorded
    again = load_kg(client, path, LoadConfig(format="triples", source="t", batch_size=2))  # a rerun completes it
    assert again.relationships_total == 6 and _count_rels(client) == 6


@pytest.mark.parametrize(("name", "reason"), [
    ("长" * 201, "name is 201 characters long (limit 200)"),
    ("头\x07痛", "name contains control characters"),
    ("头\x00痛", "name contains control characters"),
    ("头\u00ad痛", "name contains control characters"),  # only zero-width format characters are removed
])
def test_bad_names_name_the_reason(client: GraphClient, tmp_path: Path, name: str, reason: str) -> None:
    path = tmp_path / "kg.tsv"
    path.write_text(GOOD + f"高血压\tDisease\tHAS_SYMPTOM\t{name}\tSymptom\n", encoding="utf-8")
    with pytest.raises(KGLoadError) as refused:
        load_kg(client, path, LoadConfig(format="triples"))
    assert f"{path}:2" in str(refused.value) and reason in str(refused.value)
    assert only_the_sentinel(client)


def test_a_name_of_exactly_200_characters_loads(client: GraphClient, tmp_path: Path) -> None:
    path = tmp_path / "kg.tsv"
    path.write_text(f"高血压\tDisease\tHAS_SYMPTOM\t{'长' * 200}\tSymptom\n", encoding="utf-8")
    result = load_kg(client, path, LoadConfig(format="triples"))
    assert result.relationships_total == 1
    assert client.read("analyst/get_concept", id="Symptom:" + "长" * 200)[0]["concept"]["name"] == "长" * 200
