"""KG loading against a real Neo4j: formats, idempotence, merging sources, bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from cli_helpers import one_json
from typer.testing import CliRunner

from app.cli import app
from graph.db.connection import ConnectionInfo, GraphClient
from graph.kg.loader import KGLoadError, LoadConfig, load_kg
from graph.kg.stats import graph_stats


def qa_record(name: str, **fields: object) -> dict[str, object]:
    record: dict[str, object] = {"_id": {"$oid": "x"}, "name": name, "desc": f"{name}的描述"}
    record.update(fields)
    return record


def write_jsonl(path: Path, records: list[object], encoding: str = "utf-8") -> Path:
    path.write_bytes("\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode(encoding) + b"\n")
    return path


def rel(client: GraphClient, head: str, rel_type: str, tail: str) -> dict[str, object] | None:
    rows = [r for r in client.read("analyst/concept_relationships", id=head) if r["type"] == rel_type
            and r["other_id"] == tail]
    return rows[0] if rows else None


def concept(client: GraphClient, concept_id: str) -> dict[str, object] | None:
    rows = client.read("analyst/get_concept", id=concept_id)
    return rows[0]["concept"] if rows else None


# -------------------------------------------------------------------------------------- formats


def test_triples_sample_loads(client: GraphClient, sample_dir: Path) -> None:
    result = load_kg(client, sample_dir / "kg.tsv", LoadConfig(format="triples"))
    stats = graph_stats(client)
    assert result.units_skipped == 0
    assert stats.relationships_total == result.relationships_total == 145
    assert stats.labels["Concept"] == result.written["nodes_created"] == sum(result.concepts.values())
    diabetes = concept(client, "Disease:糖尿病")
    assert diabetes is not None and diabetes["name"] == "糖尿病"
    assert set(diabetes["labels"]) == {"Concept", "Disease"}
    assert diabetes["sources"] == ["kg"] and diabetes["status"] == "curated"
    edge = rel(client, "Disease:糖尿病", "HAS_SYMPTOM", "Symptom:多饮")
    assert edge is not None
    assert edge["sources"] == ["kg"] and edge["evidence_count"] == 1
    assert edge["confidence"] == pytest.approx(0.8)
    # the same name under two types is two concepts
    assert concept(client, "Disease:头痛") is not None and concept(client, "Symptom:头痛") is not None
    # department hierarchy
    assert rel(client, "Department:内分泌科", "BELONGS_TO", "Department:内科") is not None


def test_qasystem_utf8_and_gbk(client: GraphClient, tmp_path: Path) -> None:
    records = [
        qa_record("感冒", symptom=["发热", "咳嗽"], check=["血常规"], common_drug=["对乙酰氨基酚"],
                  cure_department=["内科", "呼吸内科"], do_eat=["梨"], not_eat=["辣椒"], recommand_eat=["粥"],
                  acompany=["肺炎"], recommand_drug=["布洛芬"], drug_detail=["某药厂布洛芬片(布洛芬)"],
                  cure_way=["药物治疗"], category=["疾病百科", "内科"]),
        qa_record("肺炎", symptom=["发热"], cure_department=["内科"]),
    ]
    utf8 = load_kg(client, write_jsonl(tmp_path / "qa.json", records), LoadConfig(format="qasystem"))
    assert utf8.relationships == {"ACCOMPANY_WITH": 1, "BELONGS_TO": 3, "COMMON_DRUG": 1, "DO_EAT": 1,
                                  "DRUGS_OF": 1, "HAS_SYMPTOM": 3, "NEED_CHECK": 1, "NO_EAT": 1,
                                  "RECOMMEND_DRUG": 1, "RECOMMEND_EAT": 1}
    cold = concept(client, "Disease:感冒")
    assert cold is not None and cold["desc"] == "感冒的描述" and cold["cure_way"] == ["药物治疗"]
    assert rel(client, "Producer:某药厂布洛芬片", "DRUGS_OF", "Drug:布洛芬") is not None
    assert rel(client, "Disease:感冒", "BELONGS_TO", "Department:呼吸内科") is not None
    assert rel(client, "Department:呼吸内科", "BELONGS_TO", "Department:内科") is not None
    before = graph_stats(client)
    gbk = load_kg(client, write_jsonl(tmp_path / "qa.gbk.json", records, "gbk"), LoadConfig(format="qasystem"))
    assert gbk.units_read == 2 and gbk.written["nodes_created"] == 0
    assert gbk.written["relationships_created"] == 0
    assert graph_stats(client) == before


def _xywy_record(name: str) -> dict[str, object]:
    return {
        "gaishu_info": {"name": name, "desc": "描述", "medical_insurance": "否", "disease_ratio": "0.1%",
                        "has_complication": ["肺炎"], "belongs_to_department": ["儿科", "小儿内科"],
                        "treat_way": ["药物治疗"], "common_drug": ["阿莫西林"]},
        "cause_info": "病因", "prevent_info": "预防", "nursing_info": "护理",
        "symptom_data": {"symptoms": ["咳嗽", "发热"], "symptom_detail": []},
        "inspect_info": ["血常规"],
        "food_info": {"good_diet_text": "宜", "avoid_diet_text": "忌", "recommand_recipes": ["梨粥"],
                      "good_food": ["梨"], "avoid_food": ["辣椒"]},
    }


def test_xywy_folder_of_gzip_parts(client: GraphClient, tmp_path: Path) -> None:
    folder = tmp_path / "xywy"
    folder.mkdir()
    for part, names in enumerate([["百日咳"], ["支气管炎", "百日咳"]]):
        payload = {str(i): _xywy_record(n) for i, n in enumerate(names)}
        (folder / f"medical_{part}.json.gz").write_bytes(gzip.compress(json.dumps(payload).encode()))
    result = load_kg(client, folder, LoadConfig(format="xywy"))
    assert result.units_read == 3 and len(result.files) == 2
    assert result.concepts["Disease"] == 3  # 百日咳, 支气管炎, 肺炎 (百日咳 twice is one concept)
    pertussis = concept(client, "Disease:百日咳")
    assert pertussis is not None
    assert (pertussis["cause"], pertussis["yibao_status"], pertussis["get_prob"]) == ("病因", "否", "0.1%")
    for rel_type, tail in [("HAS_SYMPTOM", "Symptom:咳嗽"), ("NEED_CHECK", "Check:血常规"),
                           ("RECOMMEND_EAT", "Food:梨粥"), ("DO_EAT", "Food:梨"), ("NO_EAT", "Food:辣椒"),
                           ("ACCOMPANY_WITH", "Disease:肺炎"), ("COMMON_DRUG", "Drug:阿莫西林"),
                           ("BELONGS_TO", "Department:小儿内科")]:
        assert rel(client, "Disease:百日咳", rel_type, tail) is not None, rel_type


# ----------------------------------------------------------------------------- idempotence, merge


def test_reload_changes_nothing(client: GraphClient, sample_dir: Path) -> None:
    load_kg(client, sample_dir / "kg.tsv", LoadConfig(format="triples"))
    stats = graph_stats(client)
    edge = rel(client, "Disease:高血压", "HAS_SYMPTOM", "Symptom:头痛")
    again = load_kg(client, sample_dir / "kg.tsv", LoadConfig(format="triples"))
    assert again.written["nodes_created"] == 0
    assert again.written["relationships_created"] == 0
    assert again.written["labels_added"] == 0
    assert again.written["properties_set"] == 0
    assert graph_stats(client) == stats
    assert rel(client, "Disease:高血压", "HAS_SYMPTOM", "Symptom:头痛") == edge  # updated_at included
    assert client.read("analyst/list_kg_sources")[0]["loads"] == 2


def test_second_source_merges(client: GraphClient, sample_dir: Path, tmp_path: Path) -> None:
    load_kg(client, sample_dir / "kg.tsv", LoadConfig(format="triples"))
    before = graph_stats(client)
    other = tmp_path / "other.csv"
    other.write_text("head,head_type,relation,tail,tail_type,source,confidence\n"
                     "糖尿病,Disease,HAS_SYMPTOM,多饮,Symptom,textbook,0.9\n"
                     "糖尿病,Disease,HAS_SYMPTOM,视物模糊,Symptom,textbook,0.6\n", encoding="utf-8")
    result = load_kg(client, other, LoadConfig(format="triples"))
    assert result.written["nodes_created"] == 1 and result.written["relationships_created"] == 1
    after = graph_stats(client)
    assert after.relationships_total == before.relationships_total + 1
    shared = rel(client, "Disease:糖尿病", "HAS_SYMPTOM", "Symptom:多饮")
    assert shared is not None
    assert shared["sources"] == ["kg", "textbook"] and shared["evidence_count"] == 2
    assert shared["confidence"] == pytest.approx(1 - (1 - 0.8) * (1 - 0.9))
    assert concept(client, "Disease:糖尿病")["sources"] == ["kg", "textbook"]
    # a source re-asserting with a new confidence replaces its own entry, it does not duplicate
    other.write_text("糖尿病,Disease,HAS_SYMPTOM,多饮,Symptom,textbook,0.5\n", encoding="utf-8")
    load_kg(client, other, LoadConfig(format="triples"))
    shared = rel(client, "Disease:糖尿病", "HAS_SYMPTOM", "Symptom:多饮")
    assert shared["sources"] == ["kg", "textbook"]
    assert shared["confidence"] == pytest.approx(1 - 0.2 * 0.5)


# ------------------------------------------------------------------------------------- bad input


def test_hostile_names_are_data(client: GraphClient, tmp_path: Path) -> None:
    names = ["O'Brien\"综合征", "back\\slash病", "x}) DETACH DELETE n //", "`Disease` RETURN 1"]
    path = tmp_path / "hostile.tsv"
    path.write_text("".join(f"{n}\tDisease\tHAS_SYMPTOM\t头痛\tSymptom\n" for n in names), encoding="utf-8")
    load_kg(client, path, LoadConfig(format="triples"))
    for name in names:
        node = concept(client, f"Disease:{name}")
        assert node is not None and node["name"] == name
    assert graph_stats(client).labels["Disease"] == len(names)


def test_zero_width_characters_leave_names_and_are_counted(client: GraphClient, neo4j_env: ConnectionInfo,
                                                           tmp_path: Path) -> None:
    """A zero-width space or word joiner in a name is removed, the load goes on, the summary counts it."""
    path = tmp_path / "kg.tsv"
    path.write_text("糖尿病\tDisease\tHAS_SYMPTOM\t多\u200b饮\tSymptom\n"
                    "高血压\u2060\tDisease\tHAS_SYMPTOM\t多饮\tSymptom\n", encoding="utf-8")
    loaded = CliRunner().invoke(app, ["kg", "load", str(path), "--format", "triples", "--json"])
    assert loaded.exit_code == 0, loaded.output
    result = one_json(loaded.stdout)
    assert (result["units_read"], result["units_skipped"], result["names_cleaned"]) == (2, 0, 2)
    assert result["concepts"] == {"Disease": 2, "Symptom": 1}  # 多饮 with and without U+200B is one concept
    assert rel(client, "Disease:糖尿病", "HAS_SYMPTOM", "Symptom:多饮") is not None
    assert rel(client, "Disease:高血压", "HAS_SYMPTOM", "Symptom:多饮") is not None
    assert concept(client, "Symptom:多饮")["name"] == "多饮"
    table = CliRunner().invoke(app, ["kg", "load", str(path), "--format", "triples"])
    assert table.exit_code == 0 and "names cleaned" in table.stdout


def test_zero_width_space_in_an_xywy_name(client: GraphClient, tmp_path: Path) -> None:
    record = _xywy_record("百日咳")
    record["symptom_data"] = {"symptoms": ["咳\u200b嗽", "\ufeff发热"], "symptom_detail": []}
    path = tmp_path / "medical_1.json"
    path.write_text(json.dumps({"0": record}, ensure_ascii=False), encoding="utf-8")
    result = load_kg(client, path, LoadConfig(format="xywy"))
    assert (result.units_read, result.units_skipped, result.names_cleaned) == (1, 0, 2)
    assert rel(client, "Disease:百日咳", "HAS_SYMPTOM", "Symptom:咳嗽") is not None
    assert rel(client, "Disease:百日咳", "HAS_SYMPTOM", "Symptom:发热") is not None


@pytest.mark.parametrize(("content", "line", "fragment"), [
    ("糖尿病\tDisease\tHAS_SYMPTOM\n", 2, "expected 5 to 7 columns"),
    ("糖尿病\tDisease\tHAS_SYMPTOM\t\tSymptom\n", 2, "'tail': missing name"),
    ("糖尿病\tDisease\tCURES\t多饮\tSymptom\n", 2, "unknown relation 'CURES'"),
    ("糖尿病\tIllness\tHAS_SYMPTOM\t多饮\tSymptom\n", 2, "unknown concept type 'Illness'"),
    ("多饮\tSymptom\tHAS_SYMPTOM\t糖尿病\tDisease\n", 2, "HAS_SYMPTOM connects Disease to Symptom"),
    ("糖尿病\tDisease\tHAS_SYMPTOM\t多饮\tSymptom\tx\t1.5\n", 2, "must lie in [0, 1]"),
    ("糖尿病\tDisease\tHAS_SYMPTOM\t" + "长" * 10_000 + "\tSymptom\n", 2, "10000 characters long"),
])
def test_bad_triples_name_file_and_line(client: GraphClient, tmp_path: Path, content: str, line: int,
                                        fragment: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("高血压\tDisease\tHAS_SYMPTOM\t头痛\tSymptom\n" + content, encoding="utf-8")
    with pytest.raises(KGLoadError) as caught:
        load_kg(client, path, LoadConfig(format="triples"))
    assert f"{path}:{line}" in str(caught.value) and fragment in str(caught.value)
    assert graph_stats(client).relationships_total == 0  # nothing written, not even line 1
    skipped = load_kg(client, path, LoadConfig(format="triples", skip_invalid=True))
    assert skipped.units_skipped == 1 and skipped.units_read == 1
    assert f"{path}:{line}" in skipped.errors[0]
    assert graph_stats(client).relationships_total == 1


def test_quoted_field_spanning_lines_is_one_bad_record(client: GraphClient, tmp_path: Path) -> None:
    # a CSV reader, not a line splitter: the quoted head spans lines 1-2, and the whole record is refused
    path = tmp_path / "spans.tsv"
    path.write_text('"测试\n病丁"\tDisease\tHAS_SYMPTOM\t测试症己\tSymptom\n'
                    "高血压\tDisease\tHAS_SYMPTOM\t头痛\tSymptom\n", encoding="utf-8")
    with pytest.raises(KGLoadError, match=rf"{path}:1 field 'head': a line break inside a quoted field "
                                          r"\(the record spans lines 1-2\); a concept name must be one line"):
        load_kg(client, path, LoadConfig(format="triples"))
    result = load_kg(client, path, LoadConfig(format="triples", skip_invalid=True))
    assert (result.units_read, result.units_skipped) == (1, 1)
    concepts = sorted(c["id"] for c in client.read("internal/stream_concepts", vector_property=None))
    assert concepts == ["Disease:高血压", "Symptom:头痛"]
    assert graph_stats(client).relationships_total == 1


def test_csv_records_quoting_and_the_line_a_record_starts_on(client: GraphClient, tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    lines = ["head,head_type,relation,tail,tail_type,source,confidence",
             '"糖尿病,2型",Disease,HAS_SYMPTOM,"多饮 ""烦渴""",Symptom,"教科书",0.9',
             "# a comment line with an opening quote \" is not a field",
             '高血压,Disease,HAS_SYMPTOM,头痛,Symptom,"two',
             'lines",0.5',
             "",
             "高血压,Disease,HAS_SYMPTOM,眩晕,Symptom,,x"]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    result = load_kg(client, path, LoadConfig(format="triples", skip_invalid=True))
    assert (result.units_read, result.units_skipped) == (1, 2)
    assert result.errors == [
        f"{path}:4 field 'source': a line break inside a quoted field (the record spans lines 4-5); "
        "the source must be one line",
        f"{path}:7 field 'confidence': not a number: 'x'"]
    edge = rel(client, "Disease:糖尿病,2型", "HAS_SYMPTOM", 'Symptom:多饮 "烦渴"')
    assert edge is not None and edge["sources"] == ["教科书"]
    assert graph_stats(client).relationships_total == 1


def test_undecodable_line_inside_a_record_refuses_the_record(client: GraphClient, tmp_path: Path) -> None:
    path = tmp_path / "enc.tsv"
    path.write_bytes('"跨\n'.encode() + "坏".encode("gbk") + '行"\tDisease\tHAS_SYMPTOM\t头痛\tSymptom\n'.encode()
                     + "感冒\tDisease\tHAS_SYMPTOM\t咳嗽\tSymptom\n".encode())
    result = load_kg(client, path, LoadConfig(format="triples", skip_invalid=True))
    assert (result.units_read, result.units_skipped) == (1, 1)
    assert result.errors[0].startswith(f"{path}:1: on line 2 of this record: not valid utf-8 (byte 0xbb at column 1)")
    assert graph_stats(client).labels["Concept"] == 2


def test_json_errors_say_at_once(client: GraphClient, tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text('{"name": "肺炎\n', encoding="utf-8")
    with pytest.raises(KGLoadError) as caught:
        load_kg(client, path, LoadConfig(format="qasystem"))
    assert f"{path}:1: malformed JSON (Unterminated string starting at column 10)" in str(caught.value)
    assert "at at" not in str(caught.value)
    path.write_text(json.dumps([qa_record("感冒")], ensure_ascii=False, indent=1), encoding="utf-8")
    with pytest.raises(KGLoadError, match=r":1: malformed JSON .*JSON Lines holds one record per line"):
        load_kg(client, path, LoadConfig(format="qasystem"))


def test_qasystem_bad_lines(client: GraphClient, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    good = json.dumps(qa_record("感冒", symptom=["发热"]), ensure_ascii=False)
    lines = [good, '{"name": "肺炎", "symptom": ["咳嗽"', json.dumps({"desc": "no name"}),
             json.dumps(qa_record("哮喘", symptom="喘息")), json.dumps(qa_record("痛风", desc="长" * 10_000))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(KGLoadError, match=rf"{path}:2: malformed JSON"):
        load_kg(client, path, LoadConfig(format="qasystem"))
    result = load_kg(client, path, LoadConfig(format="qasystem", skip_invalid=True))
    assert result.units_read == 2 and result.units_skipped == 3
    assert any(f"{path}:3 field 'name': missing name" in e for e in result.errors)
    assert any(f"{path}:4 field 'symptom': expected a list" in e for e in result.errors)
    gout = concept(client, "Disease:痛风")  # a 10,000-character text field is fine
    assert gout is not None and len(gout["desc"]) == 10_000


def test_wrong_encoding_names_the_line(client: GraphClient, tmp_path: Path) -> None:
    path = tmp_path / "mixed.tsv"
    rows = [f"病{i}\tDisease\tHAS_SYMPTOM\t头痛\tSymptom\n".encode() for i in range(5)]
    rows.insert(3, "坏行\tDisease\tHAS_SYMPTOM\t头痛\tSymptom\n".encode("gbk"))
    path.write_bytes(b"".join(rows))
    with pytest.raises(KGLoadError, match=rf"{path}:4: not valid utf-8"):
        load_kg(client, path, LoadConfig(format="triples"))
    with pytest.raises(KGLoadError, match=rf"{path}:1: not valid utf-16"):
        load_kg(client, path, LoadConfig(format="triples", encoding="utf-16"))
    assert graph_stats(client).relationships_total == 0


def test_unknown_format_and_missing_path(client: GraphClient, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format"):
        LoadConfig(format="rdf")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_kg(client, tmp_path / "absent.tsv", LoadConfig(format="triples"))


def test_failed_batch_leaves_graph_as_before_that_batch(client: GraphClient) -> None:
    rows = [{"id": f"Symptom:s{i}", "name": f"s{i}", "label": "Symptom", "source": "t"} for i in range(5)]
    rows[3]["label"] = None  # a label of null makes the statement fail inside Neo4j
    with pytest.raises(Exception, match="(?i)label|null"):
        client.write_batches("internal/merge_concepts", rows, batch_size=2)
    present = [concept(client, row["id"]) is not None for row in rows]
    assert present == [True, True, False, False, False]  # batch 1 committed, batch 2 rolled back whole


# ------------------------------------------------------------------------------------- real data


@pytest.mark.data
def test_real_qasystem_gbk_sample(client: GraphClient, data_dir: Path) -> None:
    """The 100 GBK records of QASystemOnMedicalKG: list totals as SOURCES.md measured them."""
    path = data_dir / "qasystem-medicalkg" / "medical2.json.bak.gbk"
    result = load_kg(client, path, LoadConfig(format="qasystem"))
    assert result.units_read == 100 and result.units_skipped == 0
    stats = graph_stats(client)
    assert stats.labels["Disease"] >= 100
    # list elements (SOURCES.md) minus duplicates inside a record's list
    assert 700 <= result.relationships["HAS_SYMPTOM"] <= 748
    assert 500 <= result.relationships["NEED_CHECK"] <= 561
    utf8 = load_kg(client, data_dir / "qasystem-medicalkg" / "medical_first100.utf8.jsonl",
                   LoadConfig(format="qasystem"))
    assert utf8.written["nodes_created"] == 0 and utf8.written["relationships_created"] == 0
    assert graph_stats(client) == stats


@pytest.mark.data
def test_real_xywy_part(client: GraphClient, data_dir: Path) -> None:
    part = data_dir / "xywy-medicalkg-tonystark" / "medical_3.json.gz"
    with pytest.raises(KGLoadError, match=r"medical_3\.json\.gz:record 200 field 'symptom_data\.symptoms'"):
        load_kg(client, part, LoadConfig(format="xywy"))
    result = load_kg(client, part, LoadConfig(format="xywy", skip_invalid=True))
    assert (result.units_read, result.units_skipped) == (499, 1)
    assert graph_stats(client).relationships_total == result.written["relationships_created"] > 10_000
