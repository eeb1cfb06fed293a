"""The cmekg format against a real Neo4j: type inference, mapping, merging, and pickles refused."""

from __future__ import annotations

import collections
import os
import pickle
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import one_json
from typer.testing import CliRunner

from app.cli import app
from graph.db.connection import ConnectionInfo, GraphClient
from graph.kg.loader import KGLoadError, LoadConfig, load_kg, parse_kg
from graph.kg.relations import RECORD_RELATIONS
from graph.kg.stats import graph_stats
from kgmodel import cmekg
from kgmodel.cmekg import CMEKG_SHA256, CMeKGRefused, installed_pickle
from kgmodel.cmekg_schema import RELATION_PREDICATES, infer_type
from kgmodel.model import CONCEPT_LABELS, RELATION_TYPES

# A CMeKG-shaped dict written by the test: one disease, one drug, two checks (one of them with a
# tie between Check and Disease signals), one subject without any type signal.
SMALL: dict[str, dict[str, list[str]]] = {
    "糖尿病": {"常见症状": ["多饮", "口渴"], "就诊科室": ["内分泌科"], "并发症": ["糖尿病肾病"],
            "ICD10": ["E14.9"], "别称": ["消渴", "糖尿病"], "英文名称": ["diabetes mellitus"],
            "实验室检查": ["空腹血糖测定"], "影像学检查": ["眼底照相"], "检查": ["空腹血糖"],
            "常见发病部位": ["胰腺"], "药物治疗": ["二甲双胍"], "手术_手术方式": ["胰岛移植"],
            "常见病因": ["胰岛素分泌不足"], "上位关系": ["内分泌疾病"]},
    "二甲双胍": {"适应症": ["糖尿病", "肥胖"], "成份": ["盐酸二甲双胍"], "不良反应": ["恶心", "尚不明确"],
             "商品名": ["格华止"], "贮藏": ["密封"], "OTC类型": ["甲类OTC"]},
    "血糖检查": {"所属分类": ["血液检查"], "相关疾病": ["糖尿病"], "相关症状": ["多饮"]},
    "宫腔镜检查": {"所属分类": ["妇科检查"], "就诊科室": ["妇科"]},
    "中药服法": {"服药方法": ["温服"]},
}
RELATIONSHIPS = {"TREATED_WITH": 2, "HAS_SYMPTOM": 2, "NEED_CHECK": 2, "BELONGS_TO": 1, "ACCOMPANY_WITH": 1,
                 "EXAMINED_BY_LAB_TEST": 1, "EXAMINED_BY_IMAGING": 1, "LOCATED_AT": 1, "TREATED_BY_OPERATION": 1,
                 "HAS_INGREDIENT": 1, "HAS_ADVERSE_REACTION": 1, "EXAMINED_BY": 1}
UNPINNED = LoadConfig(format="cmekg", allow_unpinned=True)


def write_pickle(path: Path, data: object) -> Path:
    path.write_bytes(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def edge(client: GraphClient, head: str, rel_type: str, tail: str) -> dict[str, Any] | None:
    rows = [r for r in client.read("analyst/concept_relationships", id=head)
            if r["type"] == rel_type and r["other_id"] == tail and r["outgoing"]]
    return rows[0] if rows else None


def concept(client: GraphClient, concept_id: str) -> dict[str, Any] | None:
    rows = client.read("analyst/get_concept", id=concept_id)
    return rows[0]["concept"] if rows else None


# ------------------------------------------------------------------------------------ the tables


def test_tables_stay_inside_the_graph_model() -> None:
    # a CMeKG fact and a record fact of one meaning share a type, so they must share its signature
    for predicate, record in RECORD_RELATIONS.items():
        if record.type in RELATION_TYPES:
            heads, tails = (set(part.split("|")) for part in RELATION_TYPES[record.type])
            assert (heads, tails) == (set(record.heads), set(record.tails)), predicate
    for predicate in ("药物治疗", "手术治疗", "实验室检查", "影像学检查", "发病部位", "并发症", "内窥镜检查",
                      "辅助检查"):
        assert RELATION_PREDICATES[predicate]["Disease"].type == RECORD_RELATIONS[predicate].type, predicate
    assert infer_type(["所属分类", "就诊科室"]) == ("Check", True)  # a tie goes to the more specific type
    assert infer_type(["常见症状", "就诊科室", "英文名"]) == ("Disease", False)
    assert infer_type(["术前准备_天数", "出院标准"]) == ("Disease", False)  # a clinical pathway
    assert infer_type(["服药方法", "别称"]) == (None, False)


def test_config_defaults_and_options() -> None:
    assert LoadConfig(format="cmekg").confidence == pytest.approx(0.7)
    assert LoadConfig(format="xywy").confidence == pytest.approx(0.8)
    assert LoadConfig(format="cmekg", confidence=0.5).confidence == pytest.approx(0.5)
    with pytest.raises(ValueError, match="cmekg only"):
        LoadConfig(format="triples", allow_unpinned=True)


# --------------------------------------------------------------------------------------- loading


def test_types_aliases_codes_and_skips(client: GraphClient, tmp_path: Path) -> None:
    path = write_pickle(tmp_path / "cmekg.pkl", SMALL)
    result = load_kg(client, path, UNPINNED)
    summary = result.format_summary
    assert summary["pinned"] is False and summary["subjects"] == 5
    assert summary["facts"] == sum(len(objects) for facts in SMALL.values() for objects in facts.values())
    assert summary["subject_types"] == {"Check": 2, "Disease": 1, "Drug": 1}
    assert (summary["mixed_subjects"], summary["untyped_subjects"], summary["placeholders"]) == (1, 1, 1)
    assert summary["skipped_predicates"] == {"所属分类": 2, "常见病因": 1, "上位关系": 1, "贮藏": 1, "OTC类型": 1,
                                             "就诊科室": 1, "服药方法": 1}
    assert (summary["aliases"], summary["codes"]) == (3, 1)
    assert result.units_read == 4 and result.units_skipped == 0 and result.source == "cmekg"
    assert result.relationships == dict(sorted(RELATIONSHIPS.items()))
    assert result.concepts == {"Anatomy": 1, "Check": 3, "Department": 1, "Disease": 3, "Drug": 2,
                               "ImagingExam": 1, "LabTest": 1, "Operation": 1, "Symptom": 3}
    stats = graph_stats(client)
    assert stats.relationships == dict(sorted(RELATIONSHIPS.items()))
    assert stats.labels["Concept"] == sum(result.concepts.values()) == 16

    diabetes = concept(client, "Disease:糖尿病")
    assert diabetes is not None and diabetes["sources"] == ["cmekg"]
    assert diabetes["aliases"] == ["消渴", "diabetes mellitus"]  # the name itself is no alias
    assert diabetes["icd10"] == ["E14.9"]
    assert concept(client, "Drug:二甲双胍")["aliases"] == ["格华止"]
    assert all(concept(client, f"{label}:中药服法") is None for label in CONCEPT_LABELS)  # untyped: skipped
    assert concept(client, "Symptom:尚不明确") is None  # a placeholder, not a name
    for head, rel_type, tail in [
        ("Disease:糖尿病", "HAS_SYMPTOM", "Symptom:口渴"), ("Disease:糖尿病", "BELONGS_TO", "Department:内分泌科"),
        ("Disease:糖尿病", "EXAMINED_BY_LAB_TEST", "LabTest:空腹血糖测定"),
        ("Disease:糖尿病", "EXAMINED_BY_IMAGING", "ImagingExam:眼底照相"),
        ("Disease:糖尿病", "LOCATED_AT", "Anatomy:胰腺"),
        ("Disease:糖尿病", "TREATED_BY_OPERATION", "Operation:胰岛移植"),
        ("Disease:肥胖", "TREATED_WITH", "Drug:二甲双胍"),  # a drug's 适应症, written disease -> drug
        ("Drug:二甲双胍", "HAS_INGREDIENT", "Drug:盐酸二甲双胍"),
        ("Drug:二甲双胍", "HAS_ADVERSE_REACTION", "Symptom:恶心"),
        ("Disease:糖尿病", "NEED_CHECK", "Check:血糖检查"), ("Symptom:多饮", "EXAMINED_BY", "Check:血糖检查"),
    ]:
        assert edge(client, head, rel_type, tail) is not None, (head, rel_type, tail)
    # the disease's 药物治疗 and the drug's 适应症 state one fact: one relationship, one source entry
    treated = edge(client, "Disease:糖尿病", "TREATED_WITH", "Drug:二甲双胍")
    assert treated is not None and treated["sources"] == ["cmekg"]
    assert treated["confidence"] == pytest.approx(0.7)
    assert client.read("analyst/list_kg_sources")[0]["format"] == "cmekg"


def test_merges_with_sample_kg_and_reloads_idempotently(client: GraphClient, sample_dir: Path,
                                                         tmp_path: Path) -> None:
    load_kg(client, sample_dir / "kg.tsv", LoadConfig(format="triples"))
    before = graph_stats(client)
    path = write_pickle(tmp_path / "cmekg.pkl", SMALL)
    result = load_kg(client, path, UNPINNED)
    shared = [("Disease:糖尿病", "HAS_SYMPTOM", "Symptom:多饮"),
              ("Disease:糖尿病", "BELONGS_TO", "Department:内分泌科"),
              ("Disease:糖尿病", "ACCOMPANY_WITH", "Disease:糖尿病肾病"),
              ("Disease:糖尿病", "NEED_CHECK", "Check:空腹血糖")]
    assert result.written["relationships_created"] == sum(RELATIONSHIPS.values()) - len(shared)
    after = graph_stats(client)
    assert after.relationships_total == before.relationships_total + sum(RELATIONSHIPS.values()) - len(shared)
    for head, rel_type, tail in shared:
        merged = edge(client, head, rel_type, tail)
        assert merged is not None, rel_type
        assert merged["sources"] == ["kg", "cmekg"] and merged["evidence_count"] == 2
        assert merged["confidence"] == pytest.approx(1 - (1 - 0.8) * (1 - 0.7))
    # the same type and name is one concept, with both sources; another type is another concept
    for concept_id in ("Disease:糖尿病", "Drug:二甲双胍", "Symptom:多饮", "Department:内分泌科"):
        assert concept(client, concept_id)["sources"] == ["kg", "cmekg"], concept_id
    assert concept(client, "Check:血糖检查")["sources"] == ["cmekg"]

    merged_edge = edge(client, "Disease:糖尿病", "HAS_SYMPTOM", "Symptom:多饮")
    again = load_kg(client, path, UNPINNED)
    assert again.written == {"nodes_created": 0, "labels_added": 0, "relationships_created": 0,
                             "properties_set": 0, "batches": again.written["batches"]}
    assert graph_stats(client) == after
    assert edge(client, "Disease:糖尿病", "HAS_SYMPTOM", "Symptom:多饮") == merged_edge  # updated_at too
    assert concept(client, "Disease:糖尿病")["aliases"] == ["消渴", "diabetes mellitus"]
    loads = {row["id"]: row["loads"] for row in client.read("analyst/list_kg_sources")}
    assert loads == {"kg": 1, "cmekg": 2}


# ------------------------------------------------------------------------------------- bad input


class _RunsCommand:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("kind", ["os.system", "OrderedDict"])
def test_restricted_unpickler_refuses_globals(client: GraphClient, sample_dir: Path, tmp_path: Path,
                                              kind: str) -> None:
    load_kg(client, sample_dir / "kg.tsv", LoadConfig(format="triples"))
    before = graph_stats(client)
    marker = tmp_path / "ran"
    hostile: object = _RunsCommand(marker) if kind == "os.system" else collections.OrderedDict(a=["b"])
    path = write_pickle(tmp_path / "cmekg.pkl", {"糖尿病": {"常见症状": [hostile]}})
    with pytest.raises(CMeKGRefused, match=r"global .* refused") as caught:
        load_kg(client, path, UNPINNED)
    assert str(path) in str(caught.value) and "nothing was read" in str(caught.value)
    # --skip-invalid never skips a refusal
    with pytest.raises(CMeKGRefused):
        load_kg(client, path, LoadConfig(format="cmekg", allow_unpinned=True, skip_invalid=True))
    assert not marker.exists()
    assert graph_stats(client) == before


def test_sha256_mismatch_is_refused(client: GraphClient, tmp_path: Path) -> None:
    path = write_pickle(tmp_path / "cmekg.pkl", SMALL)
    with pytest.raises(CMeKGRefused, match="is not the pinned CMeKG file") as caught:
        load_kg(client, path, LoadConfig(format="cmekg"))
    assert str(path) in str(caught.value) and CMEKG_SHA256 in str(caught.value)
    assert "--allow-unpinned" in str(caught.value)
    assert graph_stats(client).relationships_total == 0 and graph_stats(client).concepts == 0


@pytest.mark.parametrize(("data", "fragment"), [
    ({"糖尿病": {"常见症状": "多饮"}}, "subject '糖尿病' field '常见症状': expected a list of objects, got str"),
    ({"糖尿病": {"常见症状": ["多饮", 3]}}, "subject '糖尿病' field '常见症状': objects must be strings, got int"),
    ({"糖尿病": ["常见症状"]}, "subject '糖尿病': expected a dict of predicates, got list"),
    ({"糖尿病": {"常见症状": ["多\x07饮"]}}, "subject '糖尿病' field '常见症状': name contains control characters"),
    ({"糖尿病": {"常见症状": ["多饮"], "别称": ["长" * 300]}},
     "subject '糖尿病' field '别称': name is 300 characters long"),
])
def test_malformed_subject_names_subject_and_predicate(client: GraphClient, tmp_path: Path,
                                                       data: dict[str, Any], fragment: str) -> None:
    path = write_pickle(tmp_path / "cmekg.pkl", {"高血压": {"常见症状": ["头痛"]}, **data})
    with pytest.raises(KGLoadError) as caught:
        load_kg(client, path, UNPINNED)
    assert f"{path}:{fragment}" in str(caught.value)
    assert graph_stats(client).concepts == 0  # nothing written, not even the good subject
    skipped = load_kg(client, path, LoadConfig(format="cmekg", allow_unpinned=True, skip_invalid=True))
    assert (skipped.units_read, skipped.units_skipped) == (1, 1)
    assert skipped.format_summary["subject_types"] == {"Disease": 1}  # the skipped one is counted nowhere
    assert graph_stats(client).relationships == {"HAS_SYMPTOM": 1}


def test_zero_width_space_in_a_subject_and_an_object(client: GraphClient, tmp_path: Path) -> None:
    data = {"二甲双胍\u200b": {"适应症": ["糖尿病"], "成份": ["盐酸\u200b二甲双胍"]}}
    path = write_pickle(tmp_path / "cmekg.pkl", data)
    result = load_kg(client, path, UNPINNED)
    assert (result.units_read, result.units_skipped, result.names_cleaned) == (1, 0, 2)
    assert edge(client, "Drug:二甲双胍", "HAS_INGREDIENT", "Drug:盐酸二甲双胍") is not None
    assert edge(client, "Disease:糖尿病", "TREATED_WITH", "Drug:二甲双胍") is not None


def test_not_a_dict_or_not_a_pickle(client: GraphClient, tmp_path: Path) -> None:
    path = write_pickle(tmp_path / "list.pkl", [["糖尿病"]])
    with pytest.raises(KGLoadError, match=r"list\.pkl:top level: expected a dict of subjects"):
        load_kg(client, path, UNPINNED)
    junk = tmp_path / "junk.pkl"
    junk.write_bytes(b"not a pickle at all")
    with pytest.raises(CMeKGRefused, match="junk.pkl"):
        load_kg(client, junk, UNPINNED)
    assert graph_stats(client).concepts == 0


# --------------------------------------------------------------------- the installed package, CLI


def last_json(stdout: str) -> dict[str, Any]:
    return one_json(stdout)  # stdout is exactly one JSON document


def _fake_install(site: Path, data: object) -> Path:
    """A PyCMeKG distribution on sys.path: metadata and the package's pickle (no code)."""
    info = site / "PyCMeKG-0.2.5.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: PyCMeKG\nVersion: 0.2.5\n", encoding="utf-8")
    (site / "pyCMeKG" / "model").mkdir(parents=True)
    return write_pickle(site / "pyCMeKG" / "model" / "cmekg.pkl", data)


def test_no_path_reads_the_installed_package(client: GraphClient, neo4j_env: ConnectionInfo, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    installed = _fake_install(tmp_path / "site", SMALL)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert installed_pickle() == installed
    runner = CliRunner()
    refused = runner.invoke(app, ["kg", "load", "--format", "cmekg", "--json"])
    assert refused.exit_code == 2 and "not the pinned CMeKG file" in last_json(refused.stdout)["error"]
    loaded = runner.invoke(app, ["kg", "load", "--format", "cmekg", "--allow-unpinned", "--json"])
    assert loaded.exit_code == 0, loaded.output
    payload = last_json(loaded.stdout)
    assert payload["files"][0]["path"] == str(installed)
    assert payload["relationships_total"] == sum(RELATIONSHIPS.values())
    assert payload["format_summary"]["untyped_subjects"] == 1
    assert payload["config"]["confidence"] == pytest.approx(0.7)

    no_path = runner.invoke(app, ["kg", "load", "--format", "triples", "--json"])
    assert no_path.exit_code == 2 and "PATH is required for --format triples" in last_json(no_path.stdout)["error"]
    wrong = runner.invoke(app, ["kg", "load", str(installed), "--format", "xywy", "--allow-unpinned", "--json"])
    assert wrong.exit_code == 2 and "cmekg only" in last_json(wrong.stdout)["error"]
    monkeypatch.setattr(cmekg, "_DISTRIBUTION", "PyCMeKG-absent-for-this-test")
    missing = runner.invoke(app, ["kg", "load", "--format", "cmekg", "--json"])
    assert missing.exit_code == 2 and "'.[cmekg]'" in last_json(missing.stdout)["error"]


# -------------------------------------------------------------------------------- the real file


def _real_pickle() -> Path:
    env = os.environ.get("MEDKG_CMEKG_PKL")
    if env:
        return Path(env)
    try:
        return installed_pickle()
    except FileNotFoundError:
        pytest.skip("the real CMeKG pickle is not here: pip install -e '.[cmekg]' or set MEDKG_CMEKG_PKL")


@pytest.mark.slow
def test_real_cmekg_parses() -> None:
    """PyCMeKG 0.2.5's pickle, parsed only (a full load is the benchmark's job), without --skip-invalid."""
    path = _real_pickle()
    parsed = parse_kg(path, LoadConfig(format="cmekg"))
    summary = parsed.summary
    assert summary["pinned"] is True and summary["sha256"] == CMEKG_SHA256
    assert (summary["subjects"], summary["facts"]) == (27_403, 967_409)
    typed = sum(summary["subject_types"].values())
    assert typed + summary["untyped_subjects"] + len(parsed.errors) == 27_403
    assert typed >= 0.99 * 27_403 and summary["mixed_subjects"] < 100
    assert summary["subject_types"]["Drug"] > 19_000 and summary["subject_types"]["Disease"] > 6_000
    assert parsed.errors == []
    # one drug (舒眠胶囊) lists an ingredient with a zero-width space: removed and counted, the file needs no
    # --skip-invalid (its 性状 holds one too, a skipped predicate)
    assert parsed.names_cleaned == 1 and "Drug:白芍（炒）" in parsed.concepts
    labels = collections.Counter(c.label for c in parsed.concepts.values())
    assert {"Anatomy", "Operation", "LabTest", "ImagingExam"} <= set(labels)
    assert len(parsed.triples) > 600_000
