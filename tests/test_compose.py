"""docker-compose.yml cannot be started here (no Docker engine); check it points the app at its
Neo4j with the variables the app actually reads."""

from __future__ import annotations

from pathlib import Path

import yaml

from graph.db.config import MedkgSettings, Neo4jTarget

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


def test_compose_runs_the_watcher_against_the_same_neo4j() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    neo4j, medkg, watcher = (compose["services"][name] for name in ("neo4j", "medkg", "watcher"))
    env = watcher["environment"]
    read = {f"NEO4J_{name.upper()}" for name in Neo4jTarget.model_fields} | {
        f"MEDKG_{name.upper()}" for name in MedkgSettings.model_fields}
    assert set(env) <= read, set(env) - read
    for key in ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD"):
        assert env[key] == medkg["environment"][key]
    assert watcher["command"][:2] == ["medkg", "watch"] and "--interval" in watcher["command"]
    assert watcher["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert watcher["stop_signal"] == "SIGTERM"  # the watcher finishes its batch and gives back its leases
    assert watcher["build"] == medkg["build"]
    dockerfile = (REPO / watcher["build"]["dockerfile"]).read_text(encoding="utf-8")
    assert "-c constraints.txt" in dockerfile and "COPY pyproject.toml README.md constraints.txt" in dockerfile
    assert neo4j["image"].startswith("neo4j:5.26")


def test_the_image_copies_every_package() -> None:
    import tomllib

    include = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"][
        "find"]["include"]
    packages = {pattern.rstrip("*") for pattern in include}
    copied = {line.split()[1] for line in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines()
              if line.startswith("COPY ") and len(line.split()) == 3}
    assert packages <= copied, f"Dockerfile does not COPY {sorted(packages - copied)}"
