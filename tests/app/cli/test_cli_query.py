"""``medkg query``: the library, formats, validation and the server's refusal of writes, through the CLI."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from cli_helpers import invoke_json
from typer.testing import CliRunner

from app.cli import app
from graph.db.connection import ConnectionInfo, GraphClient
from graph.kg.loader import LoadConfig, load_kg

REPO = Path(__file__).resolve().parents[3]
runner = CliRunner()


def test_query_command(client: GraphClient, neo4j_env: ConnectionInfo) -> None:
    load_kg(client, REPO / "data/sample/kg.tsv", LoadConfig(format="triples", source="sample"))
    code, listed = invoke_json("query", "--list")
    assert code == 0
    names = {q["name"]: q for q in listed["queries"]}
    assert names["top_treatments"]["params"][0] == {"name": "disease", "type": "concept", "required": True,
                                                    "help": "Disease concept id, e.g. 'Disease:肺炎'"}
    assert names["top_treatments"]["file"] == "cypher/analyst/top_treatments.cypher"

    code, found = invoke_json("query", "concept_relationships", "--param", "id=Disease:糖尿病")
    assert code == 0 and found["columns"][:3] == ["type", "outgoing", "other_id"]
    assert ("COMMON_DRUG", "Drug:二甲双胍") in {(r["type"], r["other_id"]) for r in found["rows"]}
    assert found["row_count"] == len(found["rows"]) and not found["truncated"]

    cut = runner.invoke(app, ["query", "count_labels", "--format", "csv", "--limit", "2"])
    assert cut.exit_code == 0
    table = list(csv.reader(io.StringIO(cut.stdout)))
    assert table[0] == ["label", "count"] and len(table) == 3
    assert "note: showing the first 2 rows" in cut.stderr
    # a text a spreadsheet would evaluate is quoted, as in the web's download; numbers stay numbers
    formula = runner.invoke(app, ["query", "--format", "csv", "--cypher",
                                  "RETURN $f AS `=head`, -3 AS n, 'ok' AS plain", "-p", "f=@SUM(A1)"])
    assert formula.exit_code == 0, formula.stdout
    assert list(csv.reader(io.StringIO(formula.stdout))) == [["'=head", "n", "plain"], ["'@SUM(A1)", "-3", "ok"]]

    shown = runner.invoke(app, ["query", "--cypher", "MATCH (c:Concept {id: $id}) RETURN c.name AS name",
                                "-p", "id=Disease:糖尿病"])
    assert shown.exit_code == 0 and "糖尿病" in shown.stdout

    before = client.read("analyst/count_labels")
    for statement in ("CREATE (:Intruder)", "MATCH (c:Concept) DETACH DELETE c",
                      "CALL () { CREATE (:Intruder) } RETURN 1 AS one"):
        code, error = invoke_json("query", "--cypher", statement)
        assert code == 2 and "refused: the server plans it as a statement that" in error["error"]
    assert client.read("analyst/count_labels") == before
    code, error = invoke_json("query", "--cypher", "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l LIMIT 3")
    assert code == 2 and "refused: LOAD CSV reads files and URLs" in error["error"] and "root:" not in str(error)

    for args, message in [
        (("query", "nope"), "no query 'nope' in the library"),
        (("query", "top_treatments"), "needs parameter 'disease'"),
        (("query", "top_treatments", "-p", "disease=x", "-p", "limit=many"), "parameter 'limit' must be int"),
        (("query", "top_treatments", "-p", "disease=糖尿病"), "did you mean 'Disease:糖尿病'?"),
        (("query", "top_treatments", "-p", "disease"), "--param 'disease': expected NAME=VALUE"),
        (("query", "top_treatments", "-p", "disease=x", "-p", "colour=red"), "has no parameter 'colour'"),
        (("query", "--cypher", "MATCH (n RETURN n"), "Cypher syntax error"),
        (("query",), "give a query NAME or --cypher TEXT"),
        (("query", "count_labels", "--format", "xml"), "unknown --format 'xml'"),
    ]:
        code, error = invoke_json(*args)
        assert code == 2 and message in error["error"], (args, error)


def test_tables_round_floats_and_json_keeps_them(client: GraphClient, neo4j_env: ConnectionInfo) -> None:
    statement = "RETURN 0.4816 + 0.00000000000000003 AS share, 0.1 + 0.2 AS sum, [0.1 + 0.2] AS xs"
    table = runner.invoke(app, ["query", "--cypher", statement])
    assert table.exit_code == 0
    assert "0.4816 " in table.stdout and "0.3 " in table.stdout and "[0.3]" in table.stdout
    assert "0.30000000000000004" not in table.stdout
    code, payload = invoke_json("query", "--cypher", statement)
    assert code == 0 and payload["rows"][0]["sum"] == 0.1 + 0.2
