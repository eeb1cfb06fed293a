"""Connection resolution, the schema, Cypher files and credentials, against a real Neo4j."""

from __future__ import annotations

import neo4j
import pytest

from graph.db.config import MedkgSettings
from graph.db.connection import ConnectionInfo, GraphClient, resolve_connection
from graph.db.queries import CypherFileError, list_queries, query, statements


def test_schema_is_idempotent(client: GraphClient) -> None:
    first = client.apply_schema()
    constraints = client.run("internal/show_constraints")
    indexes = client.run("internal/show_indexes")
    second = client.apply_schema()
    assert first == second
    assert client.run("internal/show_constraints") == constraints
    assert client.run("internal/show_indexes") == indexes
    names = {row["name"] for row in constraints}
    for kind in ("concept", "emr", "mention", "relation_mention", "extractor", "run", "embedding_run",
                 "curation_action", "pruned_triple"):
        assert f"{kind}_id" in names
    by_name = {row["name"]: row for row in indexes}
    assert by_name["emr_status"]["properties"] == ["status"]
    assert by_name["concept_name"]["labelsOrTypes"] == ["Concept"]
    assert by_name["concept_names"]["type"] == "FULLTEXT"
    assert by_name["concept_names"]["properties"] == ["name", "aliases"]
    assert all(row["state"] == "ONLINE" for row in indexes)


def test_uniqueness_is_enforced(client: GraphClient) -> None:
    rows = [{"id": "Disease:痛风", "name": "痛风", "label": "Disease", "source": "a"}]
    client.write_batches("internal/merge_concepts", rows, batch_size=10)
    client.write_batches("internal/merge_concepts", rows, batch_size=10)
    assert client.read("analyst/count_labels") == [{"label": "Concept", "count": 1},
                                                   {"label": "Disease", "count": 1},
                                                   {"label": "MedkgTestSentinel", "count": 1}]


def test_fulltext_finds_names_and_aliases(client: GraphClient) -> None:
    client.write_batches("internal/merge_concepts",
                         [{"id": "Drug:来氟米特", "name": "来氟米特", "label": "Drug", "source": "a"}],
                         batch_size=10)
    client.write("internal/add_concept_aliases", id="Drug:来氟米特", aliases=["爱若华"])
    client.run("internal/await_indexes", seconds=60)
    assert [r["id"] for r in client.read("analyst/find_concepts", query="来氟米特", limit=5)] == ["Drug:来氟米特"]
    assert [r["id"] for r in client.read("analyst/find_concepts", query="爱若华", limit=5)] == ["Drug:来氟米特"]


def test_wrong_password_is_refused(neo4j_info: ConnectionInfo) -> None:
    with GraphClient(neo4j_info.uri, (neo4j_info.username, neo4j_info.password + "-wrong")) as bad:
        with pytest.raises(neo4j.exceptions.AuthError):
            bad.verify()


def test_read_transactions_refuse_writes(client: GraphClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # analyst queries run in read transactions: a write smuggled into one is rejected by the server
    import graph.db.connection as connection

    monkeypatch.setattr(connection, "query", lambda name: "CREATE (n:Sneaky) RETURN n")
    with pytest.raises(neo4j.exceptions.ClientError):
        client.read("analyst/count_labels")


def test_neo4j_uri_wins(neo4j_env: ConnectionInfo) -> None:
    info = resolve_connection(MedkgSettings(), start=False)
    assert (info.uri, info.embedded) == (neo4j_env.uri, False)
    assert "password" not in repr(info) and neo4j_env.password not in repr(info)
    with GraphClient.from_info(info) as graph_client:
        graph_client.verify()


def test_routing_uri_is_accepted(neo4j_env: ConnectionInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    # a neo4j:// (routing) URI works unchanged: a single server answers routing requests too
    monkeypatch.setenv("NEO4J_URI", neo4j_env.uri.replace("bolt://", "neo4j://"))
    with GraphClient.from_environment(start=False) as graph_client:
        graph_client.verify()
        assert graph_client.read("analyst/count_relationship_types") == []


def test_uri_without_password_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:1")
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    with pytest.raises(ValueError, match="NEO4J_PASSWORD"):
        resolve_connection(MedkgSettings(), start=False)


def test_cypher_files() -> None:
    assert len(statements("schema/constraints")) >= 9
    with pytest.raises(CypherFileError, match="not a Cypher file name"):
        statements("../etc/passwd")
    with pytest.raises(CypherFileError, match="no Cypher file"):
        query("analyst/nothing_here")
    with pytest.raises(CypherFileError, match="expected one"):
        query("schema/constraints")
    assert "analyst/count_labels" in list_queries("analyst")


#: Every node kind with a uniqueness constraint on ``id`` (cypher/schema/), as test constants.
NODE_KINDS = ("Concept", "EMR", "Mention", "RelationMention", "Extractor", "Run", "EmbeddingRun", "CurationAction",
              "PrunedTriple", "KGSource")


@pytest.mark.parametrize("label", NODE_KINDS)
def test_constraints_refuse_a_duplicate_create(client: GraphClient, label: str) -> None:
    """MERGE would hide a missing constraint; CREATE of a second node with the same id must fail in the server."""
    client.apply_schema()  # idempotent; the test must not depend on another test having applied it
    with client.session() as session:  # the label as a parameter (a dynamic label), never in the text
        session.run("CREATE (:$($label) {id: 'dup-1'})", label=label).consume()
        with pytest.raises(neo4j.exceptions.ClientError) as refused:
            session.run("CREATE (:$($label) {id: 'dup-1'})", label=label).consume()
        assert refused.value.code == "Neo.ClientError.Schema.ConstraintValidationFailed"
        assert session.run("MATCH (n:$($label) {id: 'dup-1'}) RETURN count(n) AS n", label=label).single()["n"] == 1


def test_the_wipe_refuses_a_database_without_the_sentinel(client: GraphClient) -> None:
    from neo4j_helpers import wipe

    with client.session() as session:
        session.run("CREATE (:Concept:Disease {id: 'Disease:keep', name: 'keep'})").consume()
        session.run("MATCH (s:MedkgTestSentinel) DELETE s").consume()
    try:
        with pytest.raises(RuntimeError, match="is not a medkg test server \\(no sentinel\\); not wiping it"):
            wipe(client)
        with client.session() as session:
            assert session.run("MATCH (n) RETURN count(n) AS n").single()["n"] == 1  # nothing was deleted
    finally:
        client.write("internal/create_test_sentinel", id="pytest")
    wipe(client)
    assert client.read("analyst/count_labels") == [{"label": "MedkgTestSentinel", "count": 1}]
