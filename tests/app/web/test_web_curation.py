"""Curation in the browser over HTTP, on a processed sample graph of each test's own (a real Neo4j): the pages for
viewers and curators, refusals, prune with a preview and its fingerprint, restore, merge, the audit log; and the
browser's prune and restore leaving the graph exactly as ``medkg curate`` does."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import quote

import pytest
from analyst_helpers import build_processed_graph, graph_dump, watch_once
from fastapi.testclient import TestClient
from graph_helpers import add_records, one, rows
from httpx import Response
from neo4j_helpers import wipe
from typer.testing import CliRunner
from web_helpers import PASSWORDS, csrf_of, log_in, web_client

from app.cli import app
from app.userstore import UserStore
from graph.curate.actions import PruneCriteria, curation_log, list_low_confidence, prune
from graph.db.connection import ConnectionInfo, GraphClient

AUDIT = ("CurationAction", "PrunedTriple")
CANDIDATE = "candidate:Symptom:蜗鸣音样不适"
REASON = "one weak record"
PAGES = ("/curation", "/curation?below=1", "/curation?below=1&type=TREATED_WITH&origin=records",
         "/curation?below=1&page=2", "/curation/suppressed", "/curation/suppressed?type=TREATED_WITH", "/curation/nil",
         "/curation/nil?type=Symptom", "/curation/log")
#: What two equal histories of one graph legitimately differ in: times, run and action ids (element ids:
#: ``comparable``).
VOLATILE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[.\d]*(?:Z|[+-]\d\d:\d\d)?"
                      r"|\b(?:run|prune|restore|merge)-\d{8}T\d{6,12}-[0-9a-f]{8}\b")
ELEMENT_ID = re.compile(r"\b\d+:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:\d+\b")


@pytest.fixture
def graph(client: GraphClient, user_store: UserStore) -> GraphClient:
    """The sample KG and records through one watcher cycle, this test's own (the tests write to it)."""
    return build_processed_graph(client)


def session_of(graph: GraphClient, name: str) -> TestClient:
    http = web_client(graph)
    assert log_in(http, name, PASSWORDS[name]).status_code == 303
    return http


def field(page: Response, name: str) -> str:
    """The value of a form's (first) field ``name``."""
    found = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    assert found, f"no field {name} on the page:\n{page.text[:500]}"
    return html.unescape(found.group(1))


def action_of(page: Response) -> str:
    """The action id a result page names."""
    assert page.status_code == 200, page.text[:2000]
    found = re.search(r'<code class="action-id">([^<]+)</code>', page.text)
    assert found, page.text[:2000]
    return found.group(1)


def post_forms(page: Response) -> list[str]:
    return re.findall(r'<form[^>]*method="post" action="([^"]+)"', page.text)


def apply_form(preview: Response, **extra: str) -> dict[str, str]:
    """The preview's apply form filled in with ``extra``."""
    assert preview.status_code == 200, preview.text[:2000]
    names = ("csrf", "below", "type", "origin", "head", "tail", "fingerprint")
    return {**{n: field(preview, n) for n in names}, **extra}


def comparable(client: GraphClient) -> list[str]:
    """:func:`graph_dump` with what equal histories legitimately differ in replaced: element ids by the node's
    ``id`` (a relationship's by a placeholder), times, run and action ids by a placeholder, a curation action's actor;
    the watcher's ``Run`` nodes (its timings and batches) left out."""
    ids = {r["e"]: r["k"] for r in rows(client, "MATCH (n) RETURN elementId(n) AS e, n.id AS k")}
    out = []
    for line in graph_dump(client, skip=("Run",)):
        item = json.loads(line)
        if isinstance(item[0], list) and "CurationAction" in item[0]:
            item[-1]["actor"] = "<actor>"
        text = ELEMENT_ID.sub(lambda m: ELEMENT_ID.sub("<relationship>", str(ids.get(m.group(), "<relationship>"))),
                              json.dumps(item, sort_keys=True, ensure_ascii=False))  # a triple's id holds one too
        out.append(VOLATILE.sub("<volatile>", text))
    return sorted(out)


def test_every_curation_page_renders_for_viewer_and_curator(graph: GraphClient) -> None:
    pruned = prune(graph, PruneCriteria(below=0.5, origin="records"), actor="dr.li", reason="setup", apply=True)
    vera, carl = session_of(graph, "vera"), session_of(graph, "carl")
    for path in PAGES:
        for http in (vera, carl):
            page = http.get(path)
            assert page.status_code == 200 and "Traceback" not in page.text, (path, page.text[:500])
        assert post_forms(vera.get(path)) == ["/logout"], path  # a viewer gets no action buttons
    assert "/curation/prune/preview" in carl.get("/curation?below=1").text
    assert "/curation/prune/preview" not in vera.get("/curation?below=1").text
    assert "/curation?below=1&amp;page=3" in carl.get("/curation?below=1&page=2").text  # paging
    assert pruned.action_id in carl.get("/curation/suppressed").text
    assert "/curation/restore" in post_forms(carl.get("/curation/log"))
    assert "/curation/merge?candidate=" in carl.get("/curation/nil").text
    assert "/curation/merge?candidate=" not in vera.get("/curation/nil").text
    for path in ("/curation/prune/preview?below=0.5", f"/curation/merge?candidate={CANDIDATE}"):
        assert carl.get(path).status_code == 200, path
        refused = vera.get(path)  # the pages that prepare an action are curators'
        assert refused.status_code == 403 and "审校者角色" in refused.text, path
    anonymous = web_client(graph).get("/curation/log")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_bad_input_is_a_page_with_the_reason_and_changes_nothing(graph: GraphClient) -> None:
    before = graph_dump(graph)
    carl = session_of(graph, "carl")
    for path, status, says in [
        ("/curation?below=abc", 400, "置信度阈值必须是 0 到 1 之间的数"), ("/curation?below=1.5", 400, "0 到 1"),
        ("/curation?below=nan", 400, "0 到 1"),
        ("/curation?type=HAS_SYMPTOM)%20DETACH%20DELETE%20(n", 400, "筛选条件无效"),
        ("/curation?origin=rumour", 400, "--origin must be"), ("/curation?page=0", 400, "页码"),
        ("/curation/log?page=x", 400, "页码"), ("/curation/suppressed?type=NOPE", 400, "筛选条件无效"),
        ("/curation/nil?type=Nope", 400, "未知类型"), ("/curation/prune/preview?below=", 400, "0 到 1"),
        ("/curation/merge?candidate=Symptom:nope", 404, "没有此 ID 的候选概念"),
    ]:
        page = carl.get(path)
        assert (page.status_code, "Traceback" in page.text) == (status, False), path
        assert says in page.text, (path, page.text[:1500])
    token = csrf_of(carl.get("/curation"))
    for path, form, status, says in [
        ("/curation/restore", {"action": "prune-nope", "reason": "x"}, 404, "没有此 ID 的审校操作"),
        ("/curation/restore", {"action": "prune-nope", "reason": " "}, 400, "请填写原因"),
        ("/curation/merge", {"candidate": "candidate:Symptom:nope", "into": "Symptom:头晕", "reason": "x"}, 404,
         "没有此 ID 的候选概念"),
        ("/curation/merge", {"candidate": CANDIDATE, "into": "Symptom:nope", "reason": "x"}, 404, "没有此 ID 的概念"),
        ("/curation/merge", {"candidate": CANDIDATE, "into": "Disease:糖尿病", "reason": "x"}, 400,
         "merge within one type"),
        ("/curation/merge", {"candidate": CANDIDATE, "into": "Symptom:头晕", "reason": ""}, 400, "请填写原因"),
        ("/curation/prune", {"below": "zero", "fingerprint": "x", "reason": "x"}, 400, "0 到 1"),
        ("/curation/prune", {"below": "0.5", "reason": "x", "fingerprint": "0" * 64}, 409, "自预览以来选择已发生变化"),
    ]:
        page = carl.post(path, data={**form, "csrf": token})
        assert (page.status_code, "Traceback" in page.text) == (status, False), (path, form)
        assert says in page.text, (path, form, page.text[:1500])
    preview = carl.get("/curation/prune/preview", params={"below": "0.5"})
    no_reason = carl.post("/curation/prune", data=apply_form(preview, reason="  "))
    assert no_reason.status_code == 400 and "请填写原因" in no_reason.text
    assert field(no_reason, "fingerprint") == field(preview, "fingerprint")  # the preview again, to fill in
    assert graph_dump(graph) == before


def test_viewers_and_forged_posts_are_refused(graph: GraphClient) -> None:
    before = graph_dump(graph)
    vera, carl = session_of(graph, "vera"), session_of(graph, "carl")
    preview = carl.get("/curation/prune/preview", params={"below": "0.5", "origin": "records"})
    done = prune(graph, PruneCriteria(below=0.3), actor="dr.li", reason="x", apply=True)
    before_viewer = graph_dump(graph)
    token = csrf_of(vera.get("/curation"))
    for path, form in [("/curation/prune", apply_form(preview, reason="x")),
                       ("/curation/restore", {"action": done.action_id, "reason": "x"}),
                       ("/curation/merge", {"candidate": CANDIDATE, "into": "Symptom:头晕", "reason": "x"})]:
        refused = vera.post(path, data={**form, "csrf": token})
        assert refused.status_code == 403 and "审校者角色" in refused.text, path
        assert carl.post(path, data={k: v for k, v in form.items() if k != "csrf"}).status_code == 403, path
        assert carl.post(path, data={**form, "csrf": token}).status_code == 403, path  # another session's token
    assert graph_dump(graph) == before_viewer
    assert before != before_viewer  # the library's prune above did write


def test_prune_and_restore_in_the_browser_leave_the_graph_as_the_cli_does(graph: GraphClient,
                                                                           neo4j_env: ConnectionInfo) -> None:
    criteria = {"below": "0.5", "origin": "records"}
    selected = list_low_confidence(graph, PruneCriteria(below=0.5, origin="records"))
    assert len(selected) > 3
    before, start = graph_dump(graph), comparable(graph)
    carl = session_of(graph, "carl")
    preview = carl.get("/curation/prune/preview", params=criteria)
    listed = re.findall(r"<td>([^<]+)</td><td>([A-Z_]+)</td><td>([^<]+)</td>", preview.text)
    assert listed == [(r["head"], r["type"], r["tail"]) for r in selected]  # every triple that would go
    assert graph_dump(graph) == before  # a preview writes nothing
    done = carl.post("/curation/prune", data=apply_form(preview, reason=REASON))
    web_prune = action_of(done)
    assert f">{len(selected)}</strong>" in done.text and "/curation/restore" in post_forms(done)
    assert list_low_confidence(graph, PruneCriteria(below=0.5, origin="records")) == []
    web_pruned = comparable(graph)
    back = carl.post("/curation/restore", data={"action": web_prune, "reason": REASON, "csrf": csrf_of(done)})
    action_of(back)
    assert graph_dump(graph, skip=AUDIT) == before
    web_restored = comparable(graph)
    assert [(a["kind"], a["actor"], a["reason"], a["count"]) for a in curation_log(graph)] == [
        ("restore", "carl", REASON, len(selected)), ("prune", "carl", REASON, len(selected))]
    log = carl.get("/curation/log").text
    assert log.count('<td class="actor">carl</td>') == 2 and web_prune in log

    # the same through `medkg curate` on the same sample graph built afresh
    wipe(graph)
    build_processed_graph(graph)
    fresh = graph_dump(graph)
    assert comparable(graph) == start
    runner = CliRunner()
    cli = runner.invoke(app, ["curate", "prune", "--below", "0.5", "--origin", "records", "--actor", "dr.li",
                              "--reason", REASON, "--apply", "--json"])
    assert cli.exit_code == 0, cli.output
    assert comparable(graph) == web_pruned  # the archive, the audit node and what is gone: all the same
    cli_prune = json.loads(cli.stdout)["action_id"]
    cli = runner.invoke(app, ["curate", "restore", cli_prune, "--actor", "dr.li", "--reason", REASON, "--json"])
    assert cli.exit_code == 0, cli.output
    assert graph_dump(graph, skip=AUDIT) == fresh
    assert comparable(graph) == web_restored


def test_a_selection_that_changed_since_the_preview_is_not_pruned(graph: GraphClient) -> None:
    carl = session_of(graph, "carl")
    criteria = {"below": "1.0", "type": "TREATED_WITH"}
    preview = carl.get("/curation/prune/preview", params=criteria)
    treated = list_low_confidence(graph, PruneCriteria(below=1.0, type="TREATED_WITH"))
    fact = next(r for r in treated if r["record_count"] == 1)
    key = f"{fact['head']}|TREATED_WITH|{fact['tail']}"
    record = one(graph, "MATCH (rm:RelationMention {fact_key: $k}) WHERE rm.current RETURN rm.record_id", k=key)
    text = one(graph, "MATCH (e:EMR {id: $id}) RETURN e.text", id=record)
    add_records(graph, {"again-1": f"{text}复诊。"})  # new evidence for a fact the preview showed
    assert watch_once(graph) == 1
    changed = graph_dump(graph)
    refused = carl.post("/curation/prune", data=apply_form(preview, reason=REASON))
    assert refused.status_code == 409 and "自预览以来选择已发生变化" in refused.text
    assert graph_dump(graph) == changed and curation_log(graph) == []
    again = carl.get("/curation/prune/preview", params=criteria)
    assert field(again, "fingerprint") != field(preview, "fingerprint")
    action_of(carl.post("/curation/prune", data=apply_form(again, reason=REASON)))  # what the curator saw now
    assert list_low_confidence(graph, PruneCriteria(below=1.0, type="TREATED_WITH")) == []


def test_a_selection_that_changes_during_the_prune_is_restored_at_once(graph: GraphClient,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import app.web.curation as curation

    carl = session_of(graph, "carl")
    preview = carl.get("/curation/prune/preview", params={"below": "1.0", "type": "TREATED_WITH"})
    real = curation.prune

    def another_writer_first(client: GraphClient, *args: Any, **kwargs: Any) -> Any:
        with client.session() as session:  # lands between the fingerprint check and the prune's own read
            session.run("MATCH (:Concept)-[r:TREATED_WITH]->(:Concept) WITH r LIMIT 1 "
                        "SET r.confidence = r.confidence / 2").consume()
        return real(client, *args, **kwargs)

    monkeypatch.setattr(curation, "prune", another_writer_first)
    answer = carl.post("/curation/prune", data=apply_form(preview, reason=REASON))
    assert answer.status_code == 409 and "已被立即恢复" in answer.text
    log = curation_log(graph)
    assert [(a["kind"], a["status"], a["actor"]) for a in log] == [("restore", "done", "carl"),
                                                                    ("prune", "restored", "carl")]
    assert log[0]["reason"] == curation.UNDONE
    assert len(list_low_confidence(graph, PruneCriteria(below=1.0, type="TREATED_WITH"))) > 1


def test_a_kg_prune_needs_the_confirmation_box(graph: GraphClient) -> None:
    carl = session_of(graph, "carl")
    criteria = PruneCriteria(below=1.0, type="HAS_SYMPTOM")
    dry = prune(graph, criteria, actor="dr.li", reason="x")
    assert dry.kg_asserted > 0
    preview = carl.get("/curation/prune/preview", params={"below": "1.0", "type": "HAS_SYMPTOM"})
    assert 'name="confirm"' in preview.text and "此次剪除需要您明确确认" in preview.text
    before = graph_dump(graph)
    refused = carl.post("/curation/prune", data=apply_form(preview, reason=REASON))
    assert refused.status_code == 400 and "请勾选确认框" in refused.text and 'name="confirm"' in refused.text
    assert graph_dump(graph) == before
    done = carl.post("/curation/prune", data=apply_form(preview, reason=REASON, confirm="yes"))
    action_of(done)
    assert f">{dry.selected}</strong>" in done.text
    assert list_low_confidence(graph, criteria) == []


def test_prune_one_triple_from_its_row(graph: GraphClient) -> None:
    carl = session_of(graph, "carl")
    queue = carl.get("/curation", params={"below": "1", "type": "TREATED_WITH"})
    links = [html.unescape(x) for x in re.findall(r'href="(/curation/prune/preview\?[^"]+focus=[^"]+)"', queue.text)]
    rows = list_low_confidence(graph, PruneCriteria(below=1.0, type="TREATED_WITH"))
    assert len(links) == len(rows) >= 2
    last = rows[-1]  # the highest confidence of the type: a prune by threshold alone would take every other row too
    preview = carl.get(links[-1])
    focused = re.search(r'<tr class="focus">\s*<td[^>]*>\d+</td>\s*<td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>',
                        preview.text)
    assert focused and focused.groups() == (last["head"], "TREATED_WITH", last["tail"])
    assert ": 1</strong>" in preview.text  # the preview selects that triple alone
    action_of(carl.post("/curation/prune", data=apply_form(preview, reason=REASON)))
    left = {(r["head"], r["tail"]) for r in list_low_confidence(graph, PruneCriteria(below=1.0, type="TREATED_WITH"))}
    assert left == {(r["head"], r["tail"]) for r in rows[:-1]}


def test_merge_a_candidate_in_the_browser_and_undo_it(graph: GraphClient) -> None:
    before = graph_dump(graph)
    carl = session_of(graph, "carl")
    assert f"/curation/merge?candidate={quote(CANDIDATE, safe='/')}" in carl.get("/curation/nil").text
    first = carl.get("/curation/merge", params={"candidate": CANDIDATE})
    assert first.status_code == 200 and 'value="蜗鸣音样不适"' in first.text  # the search starts with its name
    chooser = carl.get("/curation/merge", params={"candidate": CANDIDATE, "q": "头晕"})
    assert 'name="into" value="Symptom:头晕"' in chooser.text
    assert 'name="into" value="Disease:' not in chooser.text  # concepts of its own type only
    done = carl.post("/curation/merge", data={"candidate": CANDIDATE, "into": "Symptom:头晕", "reason": "same finding",
                                              "csrf": csrf_of(chooser)})
    merged = action_of(done)
    assert one(graph, "MATCH (:Mention)-[l:REFERS_TO]->(:Concept {id: 'Symptom:头晕'}) WHERE l.curated_by = $a "
                      "RETURN count(l)", a=merged) == 2
    assert "蜗鸣音样不适" in one(graph, "MATCH (c:Concept {id: 'Symptom:头晕'}) RETURN c.aliases")
    assert one(graph, "MATCH (c:Concept {id: $id}) RETURN c.status", id=CANDIDATE) == "merged"
    assert CANDIDATE not in carl.get("/curation/nil").text
    (action,) = curation_log(graph)
    assert (action["kind"], action["actor"], action["reason"]) == ("merge", "carl", "same finding")
    assert '<td class="actor">carl</td>' in carl.get("/curation/log").text
    undone = carl.post("/curation/restore", data={"action": merged, "reason": "not the same", "csrf": csrf_of(done)})
    action_of(undone)
    assert graph_dump(graph, skip=AUDIT) == before
    assert [a["kind"] for a in curation_log(graph)] == ["restore", "merge"]

