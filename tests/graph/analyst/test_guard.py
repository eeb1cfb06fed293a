"""The read-only runner's parse of a statement (graph/analyst/guard.py), without a server."""

from __future__ import annotations

import pytest

from graph.analyst.guard import StatementRefused, check_plan, scan_statement, tokens


@pytest.mark.parametrize(("text", "reason"), [
    ("LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l", "LOAD CSV"),
    ("load   csv with headers from 'http://127.0.0.1:9/x.csv' AS l RETURN l", "LOAD CSV"),
    ("LOAD /* a comment */ CSV FROM 'file:///x' AS l RETURN l", "LOAD CSV"),
    ("LOAD // line comment\n CSV FROM 'file:///x' AS l RETURN l", "LOAD CSV"),
    ("CALL { LOAD CSV FROM 'file:///x' AS l RETURN l } RETURN l", "LOAD CSV"),
    ("SHOW USERS", "SHOW is an administration"),
    ("show transactions", "SHOW is an administration"),
    ("TERMINATE TRANSACTIONS 'neo4j-transaction-3'", "TERMINATE"),
    ("USE system SHOW USERS", "USE"),
    ("CREATE USER eve SET PASSWORD 'x'", "CREATE USER"),
    ("DROP DATABASE neo4j", "DROP DATABASE"),
    ("ALTER USER neo4j SET PASSWORD 'y'", "ALTER"),
    ("GRANT ROLE admin TO eve", "GRANT"),
    ("CALL dbms.listConfig()", "procedure dbms.listConfig"),
    ("CALL db.clearQueryCaches()", "procedure db.clearQueryCaches"),
    ("CALL `dbms`.`listConfig`() YIELD name RETURN name", "procedure dbms.listConfig"),
    ("CALL dbms.listConfig", "procedure dbms.listConfig"),
    ("MATCH (n) CALL apoc.load.json('file:///x') YIELD value RETURN value", "procedure apoc.load.json"),
    ("RETURN apoc.cypher.runFirstColumnSingle('MATCH (n) DETACH DELETE n', {}) AS x", "function apoc.cypher"),
    ("RETURN `apoc`.cypher.runFirstColumn('x', {}) AS x", "function apoc.cypher.runFirstColumn"),
])
def test_refused_statements_name_the_reason(text, reason):
    found = scan_statement(text)
    assert found is not None and reason in found, found


@pytest.mark.parametrize("text", [
    "MATCH (d:Disease) RETURN d.name AS name LIMIT 5",
    "MATCH (n) WHERE n.name = 'LOAD CSV FROM file:///etc/passwd' RETURN n",  # inside a string: data, not a clause
    "MATCH (n) RETURN n.show AS show, n.use AS use",  # keywords as property keys and aliases
    "MATCH (n:`SHOW`)-[:TERMINATE]->(m {grant: 1}) RETURN n",  # as label, type and map key
    "// SHOW USERS in a comment\nMATCH (n) RETURN count(n) AS n",
    "CALL db.labels() YIELD label RETURN label",
    "CALL db.index.fulltext.queryNodes('concept_names', $q) YIELD node RETURN node",
    "MATCH (r:Run) RETURN duration.inSeconds(r.started_at, datetime()).seconds AS s, date.truncate('month', date())",
    "RETURN vector.similarity.cosine([1.0, 0.0], [0.0, 1.0]) AS s, db.nameFromElementId('x') AS d",
    "MATCH (d) CALL (d) { MATCH (d)--(x) RETURN count(x) AS n } RETURN d, n",
    "MATCH (d) CALL { WITH d RETURN 1 AS one } RETURN one",
    "RETURN 'it''s' AS a, \"say \\\"hi\\\"\" AS b, 1.5e3 AS c",
])
def test_reads_of_the_graph_pass(text):
    assert scan_statement(text) is None


def test_backticks_make_names_never_keywords():
    assert [(t.kind, t.text) for t in tokens("MATCH (`LOAD CSV`) RETURN 1")][:3] == [
        ("word", "MATCH"), ("punct", "("), ("name", "LOAD CSV")]


@pytest.mark.parametrize("text", ["RETURN 'open", "MATCH (n) /* no end", "MATCH (`x) RETURN 1"])
def test_unreadable_text_is_refused(text):
    with pytest.raises(StatementRefused, match="not closed"):
        scan_statement(text)


def _plan(*ops: tuple[str, str]) -> dict:
    plan: dict = {}
    for kind, details in reversed(ops):
        plan = {"operatorType": f"{kind}@neo4j", "args": {"Details": details}, "children": [plan] if plan else []}
    return plan


@pytest.mark.parametrize(("plan", "query_type", "reason"), [
    (_plan(("ProduceResults", "l"), ("LoadCSV", "l")), "r", "loads CSV"),
    (_plan(("ProduceResults", "x"), ("ShowTransactions", "defaultColumns")), "r", "ShowTransactions"),
    (_plan(("ProduceResults", "x"), ("TerminateTransactions", "transactions(t)")), "r", "TerminateTransactions"),
    (_plan(("ProduceResults", "v"), ("ProcedureCall", "db.clearQueryCaches() :: (value :: STRING)")), "r",
     "procedure db.clearQueryCaches"),
    (_plan(("AdministrationCommand", "")), "s", "changes the schema"),
    (_plan(("ProduceResults", "n"), ("Create", "(n)")), "rw", "reads and writes"),
])
def test_plans_that_are_not_reads_are_refused(plan, query_type, reason):
    found = check_plan(plan, query_type)
    assert found is not None and reason in found, found


def test_a_plain_read_plan_passes():
    plan = _plan(("ProduceResults", "label"), ("ProcedureCall", "db.labels() :: (label :: STRING)"))
    assert check_plan(plan, "r") is None
    assert check_plan(_plan(("ProduceResults", "n"), ("AllNodesScan", "n")), "r") is None
