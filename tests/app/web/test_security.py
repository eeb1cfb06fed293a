"""The web application's guards over HTTP: CSRF, sessions and cookies, the login limit, the headers, a forged
write refused by the server, a lost database."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.routing import APIRoute
from graph_helpers import one
from web_helpers import PASSWORDS, csrf_of, log_in, web_client

import graph.browse.reader
from app.users import UserStore, add_user, set_disabled
from app.web.app import ROUTERS
from app.web.config import WebConfig
from app.web.security import CSP
from app.web.state import check_csrf
from graph.db.connection import GraphClient
from graph.db.server import free_port


def test_every_writing_route_checks_the_csrf_token() -> None:
    routes = [r for router in ROUTERS for r in router.routes]
    assert all(isinstance(r, APIRoute) for r in routes)
    writing = [r for r in routes if isinstance(r, APIRoute) and r.methods - {"GET", "HEAD"}]
    assert {"/login", "/logout"} <= {r.path for r in writing}
    for route in writing:
        assert any(d.dependency is check_csrf for d in route.dependencies), route.path


def test_a_post_without_the_csrf_token_is_refused(web_graph: GraphClient) -> None:
    http = web_client(web_graph)
    http.get("/login")  # the anonymous cookie
    refused = http.post("/login", data={"name": "vera", "password": PASSWORDS["vera"]})
    assert refused.status_code == 403
    refused = http.post("/login", data={"name": "vera", "password": PASSWORDS["vera"], "csrf": "0" * 64})
    assert refused.status_code == 403
    assert log_in(http, "vera", PASSWORDS["vera"]).status_code == 303
    assert http.post("/logout").status_code == 403  # still logged in
    assert http.get("/search").status_code == 200
    assert http.post("/logout", data={"csrf": csrf_of(http.get("/search"))}).status_code == 303
    assert http.get("/search").status_code == 303  # logged out


def test_a_token_from_another_session_is_refused(web_graph: GraphClient) -> None:
    mallory, victim = web_client(web_graph), web_client(web_graph)
    token = csrf_of(mallory.get("/login"))
    victim.get("/login")
    refused = victim.post("/login", data={"name": "vera", "password": PASSWORDS["vera"], "csrf": token})
    assert refused.status_code == 403


def test_session_cookie_flags_and_a_new_token_at_login(web_graph: GraphClient) -> None:
    http = web_client(web_graph)
    anonymous = http.get("/login").cookies["medkg_session"]
    answer = log_in(http, "carl", PASSWORDS["carl"])
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    assert answer.cookies["medkg_session"] != anonymous
    secure = web_client(web_graph, WebConfig(tls_cert="cert.pem", tls_key="key.pem"))
    assert "Secure" in secure.get("/login").headers["set-cookie"]


def test_security_headers_on_every_answer(web_graph: GraphClient) -> None:
    http = web_client(web_graph)
    for path in ("/login", "/search", "/no/such/page", "/static/medkg.css"):
        headers = http.get(path).headers
        assert headers["content-security-policy"] == CSP, path
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert "script-src" not in CSP and "'unsafe-inline'" not in CSP


def test_login_attempts_are_limited_per_name_and_client(web_graph: GraphClient) -> None:
    http = web_client(web_graph, WebConfig(login_attempts=3))
    assert [log_in(http, "vera", "wrong password!").status_code for _ in range(3)] == [401, 401, 401]
    assert log_in(http, "vera", PASSWORDS["vera"]).status_code == 429  # even the right password, for now
    assert log_in(http, "carl", PASSWORDS["carl"]).status_code == 303  # another name is not held up


def test_password_checks_wait_for_a_free_slot(web_graph: GraphClient) -> None:
    http = web_client(web_graph, WebConfig(login_hashes=2))
    slots = http.app.state.web.hash_slots
    answers: list[int] = []
    with slots, slots:  # both slots busy: a login must wait
        waiting = threading.Thread(target=lambda: answers.append(log_in(http, "vera", PASSWORDS["vera"]).status_code))
        waiting.start()
        time.sleep(1.0)
        assert answers == [] and waiting.is_alive()
    waiting.join(timeout=30)
    assert answers == [303]
    crowd = [threading.Thread(target=lambda: answers.append(log_in(http, "carl", PASSWORDS["carl"]).status_code))
             for _ in range(6)]
    for thread in crowd:
        thread.start()
    for thread in crowd:
        thread.join(timeout=60)
    assert answers == [303] * 7 and slots.peak <= 2 and slots.in_use == 0


def test_a_disabled_user_is_logged_out_at_the_next_request(web_graph: GraphClient, user_store: UserStore) -> None:
    add_user(user_store, "dave", "viewer", "dave password 1")
    http = web_client(web_graph)
    assert log_in(http, "dave", "dave password 1").status_code == 303
    assert http.get("/search").status_code == 200
    set_disabled(UserStore(user_store.path), "dave", True)  # another process's change: the file is what counts
    assert http.get("/search").status_code == 303
    assert log_in(http, "dave", "dave password 1").status_code == 401
    set_disabled(user_store, "dave", False)
    assert log_in(http, "dave", "dave password 1").status_code == 303


def test_a_users_file_opened_to_others_stops_every_login(web_graph: GraphClient, user_store: UserStore) -> None:
    http = web_client(web_graph, raise_errors=False)
    assert log_in(http, "vera", PASSWORDS["vera"]).status_code == 303
    user_store.path.chmod(0o644)
    try:
        page = http.get("/search")
        assert page.status_code == 500 and "Traceback" not in page.text and "argon2" not in page.text
        assert log_in(web_client(web_graph, raise_errors=False), "vera", PASSWORDS["vera"]).status_code == 500
    finally:
        user_store.path.chmod(0o600)
    assert http.get("/search").status_code == 200


def test_a_forged_write_through_a_read_page_is_refused_by_the_server(web_graph: GraphClient,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    http = web_client(web_graph, raise_errors=False)
    assert log_in(http, "carl", PASSWORDS["carl"]).status_code == 303
    real = graph.browse.reader.query
    forged = "CREATE (f:Forged {id: $id}) RETURN f.id AS id"
    monkeypatch.setattr(graph.browse.reader, "query",
                        lambda name: forged if name == "internal/web_record" else real(name))
    page = http.get("/record", params={"id": "forged-1"})
    assert page.status_code == 500 and "Traceback" not in page.text
    assert one(web_graph, "MATCH (n:Forged) RETURN count(n)") == 0


def test_a_lost_database_gives_a_clear_503_page(user_store: UserStore) -> None:
    with GraphClient(f"bolt://127.0.0.1:{free_port()}", ("neo4j", "nothing")) as nowhere:
        http = web_client(nowhere, users=user_store)
        assert log_in(http, "vera", PASSWORDS["vera"]).status_code == 303  # the users are not in the graph
        page = http.get("/concept", params={"id": "Disease:糖尿病"})
    assert page.status_code == 503 and "Traceback" not in page.text
    assert "暂时无法连接数据库" in page.text


def test_the_app_recovers_when_the_database_comes_back(user_store: UserStore, tmp_path) -> None:
    """Stop the embedded server under a running application (a 503 page), start it again (pages work again)."""
    from graph.db.config import MedkgSettings
    from graph.db.server import LocalNeo4j

    server = LocalNeo4j(tmp_path / "neo4j", port=free_port(), heap="512m", pagecache="64m",
                        launcher_dir=MedkgSettings().launcher_build_dir)
    server.start()
    try:
        with GraphClient(server.uri, server.auth) as client:
            client.apply_schema()
            http = web_client(client, users=user_store)
            assert log_in(http, "vera", PASSWORDS["vera"]).status_code == 303
            assert http.get("/search", params={"q": "糖尿病"}).status_code == 200
            server.stop()
            lost = http.get("/search", params={"q": "糖尿病"})
            assert lost.status_code == 503 and "暂时无法连接数据库" in lost.text and "Traceback" not in lost.text
            server.start()
            back = http.get("/search", params={"q": "糖尿病"})
            assert back.status_code == 200, back.text[:300]
            assert http.get("/overview").status_code == 200  # the same session, no new login
    finally:
        server.stop()
