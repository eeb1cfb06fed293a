"""Fixtures of the watcher tests: the sample KG in the test server, the built-in plugins stored and enabled."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from watch_helpers import DEFAULT_PLUGINS

from graph.db.connection import GraphClient
from graph.kg.loader import LoadConfig, load_kg
from graph.watch.plugins import register_plugin

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def kg_graph(client: GraphClient) -> GraphClient:
    """A clean database holding the sample KG."""
    load_kg(client, REPO / "data" / "sample" / "kg.tsv", LoadConfig(format="triples", source="sample"))
    return client


@pytest.fixture
def watch_graph(kg_graph: GraphClient) -> GraphClient:
    """The sample KG with the three model-free built-in plugins stored and enabled."""
    for name in DEFAULT_PLUGINS:
        register_plugin(kg_graph, name, enable=True)
    return kg_graph


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[..., Path]:
    """Write ``{id, text}`` records (or raw lines) to a JSONL file."""

    def write(records: list[dict | str], name: str = "emr.jsonl") -> Path:
        path = tmp_path / name
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write
