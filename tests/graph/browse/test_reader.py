"""The browsing pages' reader: a READ transaction, so the server refuses a write whatever the statement says."""

from __future__ import annotations

import neo4j
import pytest
from graph_helpers import one

from graph.browse.reader import GraphUnavailable, read_rows, run_read
from graph.db.connection import GraphClient
from graph.db.server import free_port


def test_a_write_through_the_reader_is_refused_by_the_server(client: GraphClient) -> None:
    with pytest.raises(neo4j.exceptions.ClientError) as refused:
        run_read(client, "CREATE (:Forged {id: 'forged'}) RETURN 1 AS one", {}, operation="test")
    assert refused.value.code == "Neo.ClientError.Statement.AccessMode"
    assert one(client, "MATCH (n:Forged) RETURN count(n)") == 0


def test_values_reach_the_server_as_parameters(client: GraphClient) -> None:
    hostile = "x'}) DETACH DELETE n //"
    assert read_rows(client, "internal/web_record", id=hostile) == []
    assert one(client, "MATCH (n:MedkgTestSentinel) RETURN count(n)") == 1


def test_a_server_that_cannot_be_reached_is_reported_at_once() -> None:
    with GraphClient(f"bolt://127.0.0.1:{free_port()}", ("neo4j", "nothing")) as nowhere, \
            pytest.raises(GraphUnavailable, match="cannot be reached"):
        read_rows(nowhere, "internal/web_record", id="emr-0001")
