"""``medkg curate``: list, prune, restore and log through the CLI, confirmation of large and KG prunes, the suppressed
list, ids whole in narrow tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import invoke_json, one_json
from rich.cells import cell_len
from typer.testing import CliRunner

from app.cli import app
from graph.curate.actions import PruneCriteria, prune, restore
from graph.db.connection import ConnectionInfo, GraphClient
from graph.kg.loader import LoadConfig, load_kg

REPO = Path(__file__).resolve().parents[3]
runner = CliRunner()
PRUNE = ("curate", "prune", "--below", "0.5", "--actor", "dr.li", "--reason", "forum source", "--apply")


@pytest.fixture
def forum(client: GraphClient, neo4j_env: ConnectionInfo, tmp_path: Path) -> GraphClient:
    """The sample KG plus two weak KG triples of a second source (what a prune below 0.5 selects)."""
    load_kg(client, REPO / "data/sample/kg.tsv", LoadConfig(format="triples", source="sample"))
    weak = tmp_path / "weak.tsv"
    weak.write_text("糖尿病\tDisease\tHAS_SYMPTOM\t耳鸣\tSymptom\n糖尿病\tDisease\tHAS_SYMPTOM\t脱发\tSymptom\n",
                    encoding="utf-8")
    load_kg(client, weak, LoadConfig(format="triples", source="forum-crawl", confidence=0.3))
    return client


def _relationships(client: GraphClient) -> int:
    with client.session() as session:
        return session.run("MATCH (:Concept)-[r]->(:Concept) RETURN count(r) AS n").single(strict=True)["n"]


def test_a_kg_prune_needs_yes_off_a_terminal(forum: GraphClient) -> None:
    before = _relationships(forum)
    refused = runner.invoke(app, [*PRUNE, "--json"])
    assert refused.exit_code == 2, refused.output
    message = one_json(refused.stdout)["error"]
    assert "would delete 2 relationships (HAS_SYMPTOM 2), 2 asserted by a KG source (forum-crawl 2)" in message
    assert "add --yes to confirm it (there is no terminal to ask on)" in message and "nothing changed" in message
    assert _relationships(forum) == before and forum.read("curator/list_actions", limit=10) == []

    dry = one_json(runner.invoke(app, [*PRUNE[:-1], "--json"]).stdout)  # a dry run says what applying needs
    assert dry["needs_confirmation"] and dry["kg_asserted"] == 2 and dry["by_type"] == {"HAS_SYMPTOM": 2}
    done = runner.invoke(app, [*PRUNE, "--yes", "--json"])
    assert done.exit_code == 0 and one_json(done.stdout)["pruned"] == 2
    assert _relationships(forum) == before - 2


def test_one_triple_by_head_type_and_tail(forum: GraphClient) -> None:
    one_triple = ("--type", "HAS_SYMPTOM", "--head", "Disease:糖尿病", "--tail", "Symptom:脱发")
    listed = one_json(runner.invoke(app, ["curate", "list", "--below", "0.5", *one_triple, "--json"]).stdout)
    assert [(r["head"], r["tail"]) for r in listed["triples"]] == [("Disease:糖尿病", "Symptom:脱发")]
    before = _relationships(forum)
    done = runner.invoke(app, [*PRUNE, *one_triple, "--yes", "--json"])
    assert done.exit_code == 0 and one_json(done.stdout)["pruned"] == 1
    assert _relationships(forum) == before - 1
    left = one_json(runner.invoke(app, ["curate", "list", "--below", "0.5", "--json"]).stdout)["triples"]
    assert [(r["head"], r["tail"]) for r in left] == [("Disease:糖尿病", "Symptom:耳鸣")]


def test_a_kg_prune_asks_on_a_terminal(forum: GraphClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.cli.curate as curate

    monkeypatch.setattr(curate, "_interactive", lambda: True)
    before = _relationships(forum)
    declined = runner.invoke(app, list(PRUNE), input="n\n")
    assert declined.exit_code == 1 and "cancelled: " in declined.stderr
    assert "2 relationships (HAS_SYMPTOM 2), 2 asserted by a KG source (forum-crawl 2)" in declined.stderr
    assert "Archive and delete these 2 relationships? [y/N]" in declined.stderr
    assert _relationships(forum) == before
    accepted = runner.invoke(app, [*PRUNE, "--json"], input="y\n")
    answer, payload = accepted.stdout.splitlines()  # the runner echoes the typed answer where a terminal would
    assert accepted.exit_code == 0 and answer.strip() == "y" and one_json(payload)["pruned"] == 2
    assert _relationships(forum) == before - 2


def test_a_large_prune_needs_yes(client: GraphClient, neo4j_env: ConnectionInfo,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import graph.curate.actions as actions

    with client.session() as session:  # five record-only facts, none asserted by a KG source
        session.run("UNWIND range(1, 5) AS i "
                    "CREATE (:Concept:Disease {id: 'Disease:病' + i})-[:TREATED_WITH {confidence: 0.2, "
                    "sources: ['x@1'], source_confidence: [0.2], record_sources: ['x@1'], record_count: 1}]->"
                    "(:Concept:Drug {id: 'Drug:药' + i})").consume()
    monkeypatch.setattr(actions, "CONFIRM_ABOVE", 4)
    refused = runner.invoke(app, [*PRUNE, "--json"])
    assert refused.exit_code == 2
    assert "because it selects more than 4 relationships; nothing changed; add --yes" in one_json(refused.stdout)[
        "error"]
    assert _relationships(client) == 5
    done = runner.invoke(app, [*PRUNE, "--yes", "--json"])
    assert done.exit_code == 0 and one_json(done.stdout)["pruned"] == 5 and _relationships(client) == 0


def test_list_suppressed(forum: GraphClient) -> None:
    pruned = prune(forum, PruneCriteria(below=0.5), actor="dr.li", reason="forum source", apply=True, confirm=True)
    listed = runner.invoke(app, ["curate", "list", "--suppressed", "--json"])
    assert listed.exit_code == 0
    rows = one_json(listed.stdout)["suppressed"]
    assert sorted((r["head"], r["type"], r["tail"], r["action_id"], r["actor"], r["arrived"]) for r in rows) == [
        ("Disease:糖尿病", "HAS_SYMPTOM", "Symptom:耳鸣", pruned.action_id, "dr.li", 0),
        ("Disease:糖尿病", "HAS_SYMPTOM", "Symptom:脱发", pruned.action_id, "dr.li", 0)]
    shown = runner.invoke(app, ["curate", "list", "--suppressed"], env={"COLUMNS": "80"})
    assert shown.exit_code == 0
    assert any(line.startswith(f"{pruned.action_id}  pruned ") and "by dr.li: forum source" in line
               for line in shown.stdout.splitlines())
    assert "Symptom:耳鸣" in shown.stdout and "2 suppressed" in shown.stdout
    for args, message in [(("--suppressed", "--below", "0.5"), "it takes --type, not --below, --origin, --head"),
                          ((), "--below is required (or --suppressed)"),
                          (("--suppressed", "--type", "LIKES"), "unknown relationship type 'LIKES'")]:
        bad = runner.invoke(app, ["curate", "list", *args, "--json"])
        assert bad.exit_code == 2 and message in one_json(bad.stdout)["error"], (args, bad.stdout)
    restore(forum, pruned.action_id, actor="dr.wang")
    assert one_json(runner.invoke(app, ["curate", "list", "--suppressed", "--json"]).stdout)["suppressed"] == []


def test_log_ids_stay_whole_on_a_narrow_terminal(forum: GraphClient) -> None:
    pruned = prune(forum, PruneCriteria(below=0.5), actor="dr.li", reason="a forum is not a source we trust at all",
                   apply=True, confirm=True)
    restored = restore(forum, pruned.action_id, actor="dr.wang", reason="we do after all")
    shown = runner.invoke(app, ["curate", "log"], env={"COLUMNS": "80"})
    assert shown.exit_code == 0
    lines = shown.stdout.splitlines()
    assert max(map(cell_len, lines)) <= 80  # drawn for the narrow terminal...
    for action_id in (pruned.action_id, restored["restore_id"]):  # ...with every id whole on one line
        assert any(action_id in line for line in lines), (action_id, shown.stdout)
    assert any(f"↩ {pruned.action_id}" in line for line in lines)  # what the restore undid
    listed = runner.invoke(app, ["curate", "list", "--below", "0.9"], env={"COLUMNS": "80"})
    assert listed.exit_code == 0 and any("Disease:糖尿病" in line and "Symptom:耳鸣" in line
                                         for line in listed.stdout.splitlines())


def test_curate_commands(forum: GraphClient) -> None:
    client = forum
    code, listed = invoke_json("curate", "list", "--below", "0.5", "--origin", "kg")
    assert code == 0 and listed["count"] == 2
    assert {(t["head"], t["tail"], t["kg_sources"][0]) for t in listed["triples"]} == {
        ("Disease:糖尿病", "Symptom:耳鸣", "forum-crawl"), ("Disease:糖尿病", "Symptom:脱发", "forum-crawl")}
    code, dry = invoke_json("curate", "prune", "--below", "0.5", "--actor", "dr.li", "--reason", "forum source")
    assert code == 0 and not dry["applied"] and dry["selected"] == 2 and dry["action_id"] is None
    before = client.read("analyst/count_relationship_types")
    code, pruned = invoke_json("curate", "prune", "--below", "0.5", "--type", "HAS_SYMPTOM", "--actor", "dr.li",
                               "--reason", "forum source", "--apply", "--yes")  # KG-asserted: confirmed
    assert code == 0 and pruned["pruned"] == 2 and pruned["status"] == "done"
    code, log = invoke_json("curate", "log")
    assert code == 0 and [(a["kind"], a["actor"], a["reason"]) for a in log["actions"]] == [
        ("prune", "dr.li", "forum source")]
    code, restored = invoke_json("curate", "restore", pruned["action_id"], "--actor", "dr.wang")
    assert code == 0 and restored["restored"] == 2
    after = [r for r in client.read("analyst/count_relationship_types") if r["type"] != "PRUNED"]  # the audit trail
    assert after == before
    for args, message in [
        (("curate", "prune", "--below", "1.5", "--actor", "a", "--reason", "b"), "--below must be a number in 0..1"),
        (("curate", "list", "--below", "0.5", "--type", "LIKES"), "unknown relationship type 'LIKES'"),
        (("curate", "list", "--below", "0.5", "--origin", "web"), "--origin must be 'kg' or 'records'"),
        (("curate", "restore", "prune-nope", "--actor", "a"), "no curation action 'prune-nope'"),
        (("curate", "merge", "candidate:Symptom:x", "--into", "Symptom:耳鸣", "--actor", "a", "--reason", "b"),
         "no concept 'candidate:Symptom:x'"),
    ]:
        code, error = invoke_json(*args)
        assert code == 2 and message in error["error"], (args, error)


def test_the_actor_defaults_to_the_operating_system_user(forum: GraphClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --actor the audit log records the operating-system user, as git records its author; --actor wins."""
    import getpass

    monkeypatch.setenv("LOGNAME", "dr.zhao")  # the first variable getpass.getuser() reads
    assert getpass.getuser() == "dr.zhao"
    code, pruned = invoke_json("curate", "prune", "--below", "0.5", "--reason", "forum source", "--apply", "--yes")
    assert code == 0 and pruned["pruned"] == 2
    code, restored = invoke_json("curate", "restore", pruned["action_id"])
    assert code == 0 and restored["restored"] == 2
    with forum.session() as session:  # a candidate concept for a merge
        session.run("CREATE (:Concept:Symptom {id: 'candidate:Symptom:耳朵嗡嗡', name: '耳朵嗡嗡', "
                    "status: 'candidate'})").consume()
    code, merged = invoke_json("curate", "merge", "candidate:Symptom:耳朵嗡嗡", "--into", "Symptom:耳鸣", "--reason",
                               "same finding")
    assert code == 0 and merged["alias"] == "耳朵嗡嗡"
    code, again = invoke_json("curate", "restore", merged["action_id"], "--actor", "dr.li")
    assert code == 0
    code, log = invoke_json("curate", "log")
    assert code == 0 and [(a["kind"], a["actor"]) for a in log["actions"]] == [
        ("restore", "dr.li"), ("merge", "dr.zhao"), ("restore", "dr.zhao"), ("prune", "dr.zhao")]
    shown = runner.invoke(app, ["curate", "prune", "--below", "0.5", "--reason", "again", "--apply", "--yes"])
    assert shown.exit_code == 0 and "undo with: medkg curate restore prune-" in shown.stdout
    assert "--actor NAME" not in shown.stdout


def test_no_operating_system_user_asks_for_actor(forum: GraphClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import pwd

    pruned = prune(forum, PruneCriteria(below=0.5), actor="dr.li", reason="forum source", apply=True, confirm=True)
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)

    def no_account(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_account)  # a container running as a user id without an account
    code, error = invoke_json("curate", "restore", pruned.action_id)
    assert code == 2
    assert "cannot tell who is curating: the operating-system user is unknown" in error["error"]
    assert "pass --actor NAME" in error["error"]
    assert [a["kind"] for a in forum.read("curator/list_actions", limit=10)] == ["prune"]  # nothing written
    code, restored = invoke_json("curate", "restore", pruned.action_id, "--actor", "dr.wang")
    assert code == 0 and restored["restored"] == 2
