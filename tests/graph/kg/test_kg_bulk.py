"""The bulk first load (neo4j-admin database import) against a real Neo4j: same graph as the MERGE path.

The bulk load stops and restarts the server it imports into, so it gets a private embedded server of its
own; the MERGE-path graph it is compared with is built on the session's test server.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import one_json
from test_cmekg import SMALL, write_pickle
from test_kg_loader import _xywy_record
from typer.testing import CliRunner

from app.cli import app
from graph.db.config import MedkgSettings
from graph.db.connection import GraphClient
from graph.db.server import LocalNeo4j, free_port
from graph.kg.bulk import BulkLoadError, bulk_load
from graph.kg.loader import KGLoadError, LoadConfig, load_kg

TIMESTAMPS = {"created_at", "updated_at", "first_loaded_at", "loaded_at"}


def dump(client: GraphClient) -> tuple[list[Any], list[Any]]:
    """Every node (labels, properties) and relationship (type, ends, properties), timestamps checked and dropped."""
    nodes, rels = [], []
    for row in client.read("internal/dump_graph_nodes"):
        props = row["props"]
        for key in TIMESTAMPS & props.keys():
            assert props.pop(key).__class__.__name__ == "DateTime", key
        nodes.append((sorted(row["labels"]), sorted(props.items(), key=lambda kv: kv[0])))
    for row in client.read("internal/dump_graph_relationships"):
        props = row["props"]
        for key in TIMESTAMPS & props.keys():
            assert props.pop(key).__class__.__name__ == "DateTime", key
        rels.append((row["type"], row["head"], row["tail"], sorted(props.items(), key=lambda kv: kv[0])))
    return sorted(nodes, key=repr), sorted(rels, key=repr)


@pytest.fixture(scope="module")
def private_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4j]:
    server = LocalNeo4j(tmp_path_factory.mktemp("bulk") / "neo4j", port=free_port(), heap="512m",
                        pagecache="128m", launcher_dir=MedkgSettings().launcher_build_dir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sources(tmp_path: Path, sample_dir: Path) -> list[tuple[Path, LoadConfig]]:
    """Three sources that overlap: triples (the sample KG), an xywy folder with disease texts, a CMeKG pickle."""
    folder = tmp_path / "xywy"
    folder.mkdir()
    payload = {"0": _xywy_record("糖尿病"), "1": _xywy_record("百日咳")}
    (folder / "medical_0.json.gz").write_bytes(gzip.compress(json.dumps(payload).encode()))
    pickle_path = write_pickle(tmp_path / "cmekg.pkl", SMALL)
    return [(sample_dir / "kg.tsv", LoadConfig(format="triples")), (folder, LoadConfig(format="xywy")),
            (pickle_path, LoadConfig(format="cmekg", allow_unpinned=True))]


def test_a_bad_source_is_refused_before_the_server_is_touched(private_server, sources, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("head\thead_type\trelation\ttail\ttail_type\n胃癌\tDisease\tNOT_A_TYPE\t腹痛\tSymptom\n",
                   encoding="utf-8")
    with pytest.raises(KGLoadError, match="bad.tsv"):
        bulk_load(private_server, [*sources, (bad, LoadConfig(format="triples"))])
    assert not private_server.status().running  # nothing started, stopped or imported


def test_bulk_load_builds_the_graph_the_merge_path_builds(private_server, sources, client):
    for path, config in sources:
        load_kg(client, path, config)
    merged = dump(client)
    bars: dict[str, int] = {}

    def progress(description: str, total: int):
        bars[description] = 0
        return lambda n: bars.__setitem__(description, bars[description] + n)

    result = bulk_load(private_server, sources, progress=progress)
    assert private_server.status().running
    with GraphClient(private_server.uri, private_server.auth) as bulk_client:
        bulk = dump(bulk_client)
        constraints = {r["name"] for r in bulk_client.read("internal/show_constraints")}
        checksums = [bulk_client.read(f"internal/kg_checksum_{kind}") for kind in ("concepts", "relationships")]
    assert checksums == [client.read(f"internal/kg_checksum_{kind}") for kind in ("concepts", "relationships")]
    nodes = [n for n in merged[0] if "MedkgTestSentinel" not in n[0]]  # the session server's test marker
    assert bulk[0] == nodes and bulk[1] == merged[1]
    assert len(bulk[1]) == result.relationships_imported > 20
    assert result.nodes_imported == len(nodes)
    assert {"Disease", "Drug", "Symptom", "Anatomy", "LabTest"} <= result.concepts.keys()
    assert constraints  # the schema is applied after the import
    assert bars["neo4j-admin import"] == 4 and bars["CSV files"] == len(nodes) - 3 + len(bulk[1])
    assert result.memory_mb["importer_peak_rss"] > 50 and result.rates["relationships_per_s_import"] > 0
    assert Path(result.import_log).is_file()


def test_bulk_load_refuses_a_database_with_data(private_server, sources):
    private_server.start()
    with GraphClient(private_server.uri, private_server.auth) as bulk_client:
        before = dump(bulk_client)
        if not before[0]:
            bulk_client.write("internal/create_test_sentinel", id="bulk")
            before = dump(bulk_client)
        with pytest.raises(BulkLoadError, match="needs an empty database"):
            bulk_load(private_server, sources)
    assert private_server.status().running
    with GraphClient(private_server.uri, private_server.auth) as bulk_client:
        assert dump(bulk_client) == before


def test_cli_bulk_refuses_a_server_named_by_uri_and_also_without_bulk(neo4j_env, sample_dir):
    runner = CliRunner()
    result = runner.invoke(app, ["kg", "load", str(sample_dir / "kg.tsv"), "--bulk", "--json"])
    assert result.exit_code == 2 and "NEO4J_URI is set" in one_json(result.stdout)["error"]
    result = runner.invoke(app, ["kg", "load", str(sample_dir / "kg.tsv"), "--also", "cmekg", "--json"])
    assert result.exit_code == 2 and "--also goes with --bulk" in one_json(result.stdout)["error"]
