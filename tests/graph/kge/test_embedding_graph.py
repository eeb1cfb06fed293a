"""KG embeddings against the real Neo4j: train -> write back -> neighbours, re-runs, fold-in, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cli_helpers import invoke_json
from typer.testing import CliRunner

from app.cli import app
from embeddings import KGEConfig, UnknownModelError
from graph.db.connection import ConnectionInfo, GraphClient
from graph.db.queries import used_queries
from graph.kg.loader import LoadConfig, load_kg
from graph.kge.index import vector_index
from graph.kge.refresh import FoldInUnsupportedError, refresh_embeddings
from graph.kge.search import ConceptNotFoundError, find_neighbours
from graph.kge.store import EmbeddingStoreError, PropertyNames, StoreConfig, list_runs, live_run
from graph.kge.workflow import train_graph_embeddings
from kgmodel.model import static_relationship_type

TINY = {"dim": 4, "epochs": 4, "batch_size": 32, "seed": 7, "early_stopping": {"frequency": 2}}
NAMES = PropertyNames("kge_transe")
runner = CliRunner()


def tiny(**changes: object) -> KGEConfig:
    return KGEConfig(**(TINY | changes))


@pytest.fixture(autouse=True)
def no_kge_indexes(client: GraphClient) -> None:
    """The per-test wipe keeps the schema; start every test without the vector indexes of earlier ones."""
    for prop in ("kge_transe", "kge_distmult"):
        found = vector_index(client, PropertyNames(prop))
        if found is not None:
            client.run("internal/drop_kge_vector_index", index_name=found.name)


@pytest.fixture
def sample_graph(client: GraphClient, sample_dir: Path) -> GraphClient:
    load_kg(client, sample_dir / "kg.tsv", LoadConfig(format="triples", source="sample"))
    return client


def vectors(client: GraphClient, prop: str = "kge_transe") -> dict[str, dict[str, object]]:
    """Concepts that have a vector: vector, run, folded flag and any staging leftovers."""
    out = {}
    for row in client.read("internal/stream_concepts", vector_property=None):
        concept = client.read("analyst/get_concept", id=row["id"])[0]["concept"]
        leftovers = concept.get(f"{prop}_staging") or concept.get(f"{prop}_staging_run")
        if concept.get(prop) is not None or leftovers:
            out[row["id"]] = {"vector": concept.get(prop), "run": concept.get(f"{prop}_run"),
                              "folded": concept.get(f"{prop}_folded"), "staging": leftovers}
    return out


def add_concepts(client: GraphClient, concepts: list[tuple[str, str]], rels: list[tuple[str, str, str]]) -> None:
    client.write_batches("internal/merge_concepts", [{"id": f"{label}:{name}", "name": name, "label": label,
                                                      "source": "test"} for label, name in concepts], batch_size=100)
    rows = [{"head": h, "type": t, "tail": o, "sources": ["test"], "confidences": [0.9], "confidence": 0.9}
            for h, t, o in sorted(rels, key=lambda x: x[1])]
    client.write_batches("internal/merge_relationships", rows, batch_size=100, specialise=static_relationship_type)


def test_train_write_back_and_neighbours(sample_graph: GraphClient) -> None:
    result = train_graph_embeddings(sample_graph, tiny())
    assert result.status == "done" and result.property == "kge_transe"
    assert result.export.triples == 145 and result.export.isolated == 0
    stored = vectors(sample_graph)
    assert result.write.nodes == len(stored) == result.export.concepts and result.write.missing == 0
    assert all(len(v["vector"]) == 4 and v["run"] == result.run_id and not v["folded"] for v in stored.values())
    assert not any(v["staging"] for v in stored.values())
    (run,) = list_runs(sample_graph)
    assert (run.id, run.status, run.dim, run.model, run.nodes, run.epochs) == (
        result.run_id, "done", 4, "TransE", len(stored), 4)
    assert run.config["dim"] == 4 and "evaluation" in run.metrics and "losses" in run.metrics
    assert set(live_run(sample_graph, NAMES).relation_offsets) == set(result.training["relations"])
    index = vector_index(sample_graph, NAMES)
    assert (index.name, index.dim, index.similarity, index.state) == ("concept_kge_transe", 4, "COSINE", "ONLINE")
    assert result.index.action == "created"

    found = find_neighbours(sample_graph, "糖尿病", k=5)
    assert found.query.id == "Disease:糖尿病" and len(found.neighbours) == 5
    assert "Disease:糖尿病" not in [n.id for n in found.neighbours]
    scores = [n.score for n in found.neighbours]
    assert scores == sorted(scores, reverse=True) and all(0.0 <= s <= 1.0 for s in scores)
    scan = sample_graph.read("analyst/concept_neighbours_scan", id="Disease:糖尿病", property="kge_transe", k=5,
                             type=None)
    assert len({n.id for n in found.neighbours} & {row["id"] for row in scan}) >= 4
    assert np.allclose(scores[0], scan[0]["score"], atol=0.02)
    typed = find_neighbours(sample_graph, "Disease:糖尿病", k=3, type="Symptom")
    assert len(typed.neighbours) == 3 and {n.type for n in typed.neighbours} == {"Symptom"}


def test_rerun_is_idempotent_and_supersedes(sample_graph: GraphClient) -> None:
    first = train_graph_embeddings(sample_graph, tiny())
    before = vectors(sample_graph)
    staged = StoreConfig(single_transaction_max=0, batch_size=50)  # the path for graphs too big for one tx
    second = train_graph_embeddings(sample_graph, tiny(), staged)
    after = vectors(sample_graph)
    assert (first.write.mode, second.write.mode, second.write.batches) == ("single_transaction", "staged", 3)
    assert second.run_id != first.run_id and set(after) == set(before)
    assert not any(v["staging"] for v in after.values())
    assert all(after[c]["vector"] == before[c]["vector"] for c in after)  # same seed, same graph
    assert all(v["run"] == second.run_id for v in after.values())
    assert second.write.superseded == 1 and second.index.action == "kept"
    drop_time = {"seconds": None}
    assert second.training["evaluation"] | drop_time == first.training["evaluation"] | drop_time
    statuses = {run.id: run.status for run in list_runs(sample_graph, "kge_transe")}
    assert statuses == {first.run_id: "superseded", second.run_id: "done"}
    indexes = [row for row in sample_graph.read("internal/show_indexes") if row["properties"] == ["kge_transe"]]
    assert len(indexes) == 1


def test_new_dimension_recreates_the_index(sample_graph: GraphClient) -> None:
    train_graph_embeddings(sample_graph, tiny())
    result = train_graph_embeddings(sample_graph, tiny(dim=6))
    assert result.index.action == "recreated" and vector_index(sample_graph, NAMES).dim == 6
    assert {len(v["vector"]) for v in vectors(sample_graph).values()} == {6}
    assert len(find_neighbours(sample_graph, "糖尿病", k=3).neighbours) == 3


def test_fold_in_new_concepts(sample_graph: GraphClient) -> None:
    trained = train_graph_embeddings(sample_graph, tiny())
    add_concepts(sample_graph, [("Disease", "新病"), ("Disease", "新病二")],
                 [("Disease:新病", "HAS_SYMPTOM", "Symptom:多饮"),
                  ("Disease:新病", "BELONGS_TO", "Department:内分泌科"),
                  ("Disease:糖尿病", "ACCOMPANY_WITH", "Disease:新病"),
                  ("Disease:新病二", "ACCOMPANY_WITH", "Disease:新病")])  # 新病二 only touches a new concept
    result = refresh_embeddings(sample_graph, "TransE")
    assert (result.folded, result.rounds, result.without_vector, result.run_id) == (2, 2, 0, trained.run_id)
    stored = vectors(sample_graph)
    new = stored["Disease:新病"]
    assert new["folded"] is True and new["run"] == trained.run_id and len(new["vector"]) == 4
    offsets = {r: np.array(v) for r, v in live_run(sample_graph, NAMES).relation_offsets.items()}
    estimates = [np.array(stored["Symptom:多饮"]["vector"]) - offsets["HAS_SYMPTOM"],
                 np.array(stored["Department:内分泌科"]["vector"]) - offsets["BELONGS_TO"],
                 np.array(stored["Disease:糖尿病"]["vector"]) + offsets["ACCOMPANY_WITH"]]
    expected = np.mean(estimates, axis=0)
    assert np.allclose(new["vector"], expected / np.linalg.norm(expected), atol=1e-5)  # TransE: unit norm
    assert stored["Disease:新病二"]["folded"] is True
    assert refresh_embeddings(sample_graph, "TransE").folded == 0  # idempotent
    assert len(find_neighbours(sample_graph, "新病", k=3).neighbours) == 3  # a folded-in vector as the query
    everything = find_neighbours(sample_graph, "糖尿病", k=500).neighbours  # more than there are: all of them
    assert len(everything) == len(stored) - 1
    assert {n.id for n in everything if n.folded} == {"Disease:新病", "Disease:新病二"}


def test_isolated_concepts_get_no_vector_and_refresh_says_so(sample_graph: GraphClient) -> None:
    add_concepts(sample_graph, [("Drug", "孤立药")], [])
    result = train_graph_embeddings(sample_graph, tiny())
    assert result.export.isolated == 1 and result.write.nodes == result.export.concepts - 1
    assert refresh_embeddings(sample_graph, "TransE").without_vector == 1
    with pytest.raises(EmbeddingStoreError, match="no kge_transe vector"):
        find_neighbours(sample_graph, "孤立药")


def test_single_triple_relation_type(client: GraphClient, tmp_path: Path, sample_dir: Path) -> None:
    lines = (sample_dir / "kg.tsv").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if "\tDRUGS_OF\t" not in line] + ["某厂\tProducer\tDRUGS_OF\t二甲双胍\tDrug"]
    single = tmp_path / "single.tsv"
    single.write_text("\n".join(kept) + "\n", encoding="utf-8")
    load_kg(client, single, LoadConfig(format="triples", source="single"))
    result = train_graph_embeddings(client, tiny())
    assert result.training["split"]["single_triple_relations"] == ["DRUGS_OF"]
    assert "DRUGS_OF" not in result.training["evaluation"]["per_relation"]
    assert len(vectors(client)["Producer:某厂"]["vector"]) == 4


def test_empty_graph_and_bad_input_write_nothing(client: GraphClient) -> None:
    with pytest.raises(EmbeddingStoreError, match="no relationships"):
        train_graph_embeddings(client, tiny())
    add_concepts(client, [("Disease", "甲"), ("Drug", "乙")], [])
    with pytest.raises(EmbeddingStoreError, match="2 concepts and no relationships"):
        train_graph_embeddings(client, tiny())
    add_concepts(client, [], [("Disease:甲", "COMMON_DRUG", "Drug:乙")])
    with pytest.raises(UnknownModelError):
        train_graph_embeddings(client, tiny(model="NoSuchModel"))
    with pytest.raises(ValueError, match="not a valid embedding property name"):
        train_graph_embeddings(client, tiny(), StoreConfig(property="kge_x`) DETACH DELETE (n"))
    assert list_runs(client) == [] and vector_index(client, NAMES) is None
    with pytest.raises(EmbeddingStoreError, match="no finished embedding run"):
        refresh_embeddings(client, "TransE")
    with pytest.raises(EmbeddingStoreError, match="no finished embedding run"):
        find_neighbours(client, "甲")


@pytest.mark.parametrize("single_transaction_max", [200_000, 0])
def test_failed_write_back_leaves_the_live_run_untouched(sample_graph: GraphClient,
                                                         single_transaction_max: int) -> None:
    good = train_graph_embeddings(sample_graph, tiny())
    before = vectors(sample_graph)

    def exploding(description: str, total: int):  # a progress factory that fails mid-write
        calls = []

        def advance(n: int) -> None:
            calls.append(n)
            if description == "write-back" and len(calls) == 2:
                raise RuntimeError("disk on fire")
        return advance

    with pytest.raises(RuntimeError, match="disk on fire"):
        train_graph_embeddings(sample_graph, tiny(seed=99), StoreConfig(
            batch_size=10, single_transaction_max=single_transaction_max), progress=exploding)
    after = vectors(sample_graph)
    assert after == before and all(v["run"] == good.run_id for v in after.values())
    statuses = sorted(run.status for run in list_runs(sample_graph))
    assert statuses == ["done", "failed"] and live_run(sample_graph, NAMES).id == good.run_id


def test_neighbour_bad_input(sample_graph: GraphClient) -> None:
    train_graph_embeddings(sample_graph, tiny())
    with pytest.raises(ConceptNotFoundError, match="no concept"):
        find_neighbours(sample_graph, "没有这个病")
    add_concepts(sample_graph, [("Symptom", "糖尿病")], [("Disease:糖尿病", "HAS_SYMPTOM", "Symptom:糖尿病")])
    with pytest.raises(ConceptNotFoundError, match="names 2 concepts"):
        find_neighbours(sample_graph, "糖尿病")
    with pytest.raises(ValueError, match="unknown concept type"):
        find_neighbours(sample_graph, "Disease:糖尿病", type="Planet")
    with pytest.raises(ValueError, match="k must be"):
        find_neighbours(sample_graph, "Disease:糖尿病", k=0)


def test_fold_in_needs_a_translation_model(sample_graph: GraphClient) -> None:
    train_graph_embeddings(sample_graph, tiny(model="DistMult", epochs=2))
    assert vector_index(sample_graph, PropertyNames("kge_distmult")).dim == 4
    with pytest.raises(FoldInUnsupportedError):
        refresh_embeddings(sample_graph, "DistMult")


def test_cli(sample_graph: GraphClient, neo4j_env: ConnectionInfo, tmp_path: Path) -> None:
    code, trained = invoke_json("embed", "train", "--model", "TransE", "--dim", "4", "--epochs", "3",
                                "--save", str(tmp_path / "run"))
    assert code == 0 and trained["property"] == "kge_transe"
    assert trained["write"]["nodes"] == trained["export"]["concepts"] == 125
    assert (tmp_path / "run" / "vectors.npz").is_file() and (tmp_path / "run" / "graph_run.json").is_file()
    code, found = invoke_json("embed", "neighbours", "糖尿病", "--k", "3", "--type", "Disease")
    assert code == 0 and len(found["neighbours"]) == 3 and found["run_id"] == trained["run_id"]
    code, refreshed = invoke_json("embed", "refresh", "--model", "TransE")
    assert code == 0 and refreshed["folded"] == 0
    code, listed = invoke_json("embed", "runs")
    assert code == 0 and [run["id"] for run in listed["runs"]] == [trained["run_id"]]
    assert listed["runs"][0]["metrics"]["evaluation"]["protocol"]
    for args in (["embed", "neighbours", "糖尿病", "--k", "3"], ["embed", "runs"], ["embed", "refresh"],
                 ["embed", "train", "--dim", "4", "--epochs", "2", "--sparse"]):  # the human-readable renderings
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    code, listed = invoke_json("embed", "runs")
    assert code == 0 and [run["config"]["sparse"] for run in listed["runs"]] == [True, False]  # newest first
    for args, message in [(("--dim", "0"), "dim"), (("--model", "NoSuchModel"), "unknown KGE model"),
                          (("--property", "bad-name"), "not a valid embedding property name"),
                          (("--epochs", "-1"), "epochs")]:
        code, payload = invoke_json("embed", "train", *args)
        assert code == 2 and message in payload["error"], (args, payload)
    code, payload = invoke_json("embed", "neighbours", "没有这个病")
    assert code == 2 and "no concept" in payload["error"]


def test_every_embedding_cypher_file_ran(request: pytest.FixtureRequest) -> None:
    mine = [item for item in request.session.items if item.module is request.module]
    if len(mine) < sum(1 for name in dir(request.module) if name.startswith("test_")):
        pytest.skip("only meaningful when the whole module runs")
    from graph.db.queries import list_queries

    # fetch_kge_vectors is the watcher's (tests/graph/watch/test_tagger_plugin.py runs it)
    files = {name for name in list_queries("internal") if ("kge" in name or "embedding" in name)
             and name not in ("internal/fetch_kge_vectors", "internal/remove_demo_embedding_runs")}
    files |= {name for name in list_queries("analyst") if "neighbour" in name}
    assert len(files) == 19 and files <= used_queries(), sorted(files - used_queries())
