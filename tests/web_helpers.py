"""The web application under test: an HTTP client on it, the CSRF token of a page, logging in. Importable from any
test folder (the web tests and the ``medkg users`` tests)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from app.userstore import UserStore
from app.web.app import create_app
from app.web.config import WebConfig
from graph.db.connection import GraphClient

__all__ = ["HOSTILE", "PASSWORDS", "csrf_of", "log_in", "web_client"]

#: A record of the web tests' graph whose text holds markup and Cypher: the pages must show it as text.
HOSTILE = "<script>alert(1)</script> MATCH (n) DETACH DELETE n; 诊断：糖尿病。"
#: The users of the web tests' graph: a viewer and a curator.
PASSWORDS = {"vera": "viewer password 1", "carl": "curator password 1"}

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def web_client(client: GraphClient, config: WebConfig | None = None, *, users: UserStore | None = None,
               raise_errors: bool = True) -> TestClient:
    """An HTTP client on a fresh application over ``client`` (its own sessions and login limits).

    Its users are those of ``users``, by default the file ``MEDKG_WEB_USERS`` or ``MEDKG_HOME`` names now.
    """
    return TestClient(create_app(client, config, users), raise_server_exceptions=raise_errors,
                      follow_redirects=False)


def csrf_of(page: Response) -> str:
    """The CSRF token in a page's form."""
    found = _CSRF.search(page.text)
    assert found, f"no CSRF token on the page:\n{page.text[:500]}"
    return found.group(1)


def log_in(http: TestClient, name: str, password: str, *, next: str = "/search") -> Response:
    """Open the login page and post its form (with its CSRF token); the response is the POST's."""
    token = csrf_of(http.get("/login"))
    return http.post("/login", data={"name": name, "password": password, "csrf": token, "next": next})
