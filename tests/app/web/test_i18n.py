"""The interface in Chinese by default and English on the switch; every message has a Chinese translation."""

from __future__ import annotations

import re
from importlib import resources

from web_helpers import PASSWORDS, log_in, web_client

from app.users import ROLES
from app.web.i18n import catalogue_ids
from extractor.assertion.schema import DIMENSIONS
from graph.db.connection import GraphClient
from kgmodel.model import CONCEPT_LABELS

#: Values the templates translate as they come from the graph (``_(hit.type)``, ``_(user.role)``, ...).
DYNAMIC = {*CONCEPT_LABELS, *ROLES, *(v for values in DIMENSIONS.values() for v in values), "unknown", "curated",
           "candidate", "merged", "positive", "negative"}


def template_messages() -> set[str]:
    """The messages of the templates and of the modules that translate labels themselves (chart legends)."""
    folder = resources.files("app.web").joinpath("templates")
    found: set[str] = set()
    modules = resources.files("app.web")
    for entry in [*folder.iterdir(), *(m for m in modules.iterdir() if m.name.endswith(".py"))]:
        text = entry.read_text(encoding="utf-8")
        found |= set(re.findall(r'_\("([^"]+)"\)', text)) | set(re.findall(r"_\('([^']+)'\)", text))
    return found


def test_every_message_has_a_chinese_translation() -> None:
    messages = template_messages()
    assert len(messages) > 50
    missing = sorted((messages | DYNAMIC) - catalogue_ids("zh_CN"))
    assert not missing, f"add these to app/web/locale/zh_CN/LC_MESSAGES/messages.po: {missing}"


def test_chinese_by_default_english_on_the_switch(web_graph: GraphClient) -> None:
    http = web_client(web_graph)
    assert "登录" in http.get("/login").text
    assert log_in(http, "vera", PASSWORDS["vera"]).status_code == 303
    assert "检索概念" in http.get("/search").text
    switched = http.get("/lang", params={"to": "en", "next": "/search"})
    assert switched.status_code == 303 and switched.headers["location"] == "/search"
    page = http.get("/search")
    assert "Search concepts" in page.text and "检索概念" not in page.text
    assert http.get("/lang", params={"to": "en", "next": "https://evil.example/"}).headers["location"] == "/search"
