"""Linking against the graph: the index built from Neo4j in one read, and `medkg link`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import one_json
from typer.testing import CliRunner

from app.cli import app
from graph.db.connection import ConnectionInfo, GraphClient
from graph.kg.linking import build_linker, concept_records
from graph.kg.loader import LoadConfig, load_kg


@pytest.fixture
def sample_graph(client: GraphClient, sample_dir: Path) -> GraphClient:
    load_kg(client, sample_dir / "kg.tsv", LoadConfig(format="triples"))
    return client


def test_records_come_from_the_graph(sample_graph: GraphClient) -> None:
    sample_graph.write("internal/add_concept_aliases", id="Drug:二甲双胍", aliases=["格华止"])
    records = {r.id: r for r in concept_records(sample_graph)}
    assert records["Drug:二甲双胍"].type == "Drug" and records["Drug:二甲双胍"].aliases == ("格华止",)
    assert records["Disease:头痛"].type == "Disease" and records["Symptom:头痛"].type == "Symptom"
    assert all(r.vector is None for r in records.values())
    linker = build_linker(sample_graph)
    assert linker.link("格华止", type="Drug").best.concept_id == "Drug:二甲双胍"


def test_linking_steps_on_the_sample(sample_graph: GraphClient) -> None:
    linker = build_linker(sample_graph)
    exact = linker.link("阿司匹林", type="药物")
    assert (exact.best.concept_id, exact.best.method) == ("Drug:阿司匹林", "exact")
    typo = linker.link("冠状动脉粥样硬化心脏病", type="Disease")  # a dropped character
    assert typo.best is not None and typo.best.method == "fuzzy"
    assert typo.best.concept_id == "Disease:冠状动脉粥样硬化性心脏病"
    short = linker.link("阿斯匹林", type="Drug")  # one swap in four characters is too ambiguous to accept
    assert short.is_nil and short.candidates[0].concept_id == "Drug:阿司匹林"
    anatomy = linker.link("左侧肢体", type="Anatomy")
    assert anatomy.is_nil and anatomy.nil_candidate_id.startswith("candidate:Anatomy:")


def test_vector_property_must_be_an_identifier(sample_graph: GraphClient) -> None:
    with pytest.raises(ValueError, match="not a property name"):
        concept_records(sample_graph, "x) DETACH DELETE n //")


def test_empty_graph_is_a_clear_error(client: GraphClient) -> None:
    with pytest.raises(LookupError, match="load a KG first"):
        build_linker(client)


def test_link_command(sample_graph: GraphClient, neo4j_env: ConnectionInfo) -> None:
    result = CliRunner().invoke(app, ["link", "高血压", "--type", "Disease", "--k", "3", "--json"])
    assert result.exit_code == 0, result.output
    payload = one_json(result.stdout)
    assert payload["best"]["concept_id"] == "Disease:高血压" and payload["method"] == "exact"
    assert len(payload["candidates"]) <= 3
    bad = CliRunner().invoke(app, ["link", "   ", "--json"])
    assert bad.exit_code == 2 and "error" in json.loads(bad.stdout)
