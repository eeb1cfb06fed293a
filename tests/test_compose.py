"""docker-compose.yml cannot be started here (no Docker engine); check it points the app at its
Neo4j with the variables the app actually reads."""

from __future__ import annotations

from pathlib import Path

import yaml

from graph.config import MedkgSettings, Neo4jTarget

REPO = Path(__file__).resolve().parent.parent


def test_compose_variables_are_the_ones_the_app_reads() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    neo4j, medkg = services["neo4j"], services["medkg"]
    assert neo4j["image"].startswith("neo4j:5.26") and "community" in neo4j["image"]
    assert "healthcheck" in neo4j and neo4j["volumes"]
    env = medkg["environment"]
    read = {f"NEO4J_{name.upper()}" for name in Neo4jTarget.model_fields} | {
        f"MEDKG_{name.upper()}" for name in MedkgSettings.model_fields}
    assert set(env) <= read, set(env) - read
    assert env["NEO4J_URI"] == "bolt://neo4j:7687"
    user, password = neo4j["environment"]["NEO4J_AUTH"].split("/", 1)
    assert env["NEO4J_USERNAME"] == user and env["NEO4J_PASSWORD"] == password
    assert medkg["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert (REPO / medkg["build"]["dockerfile"]).is_file()
