"""``medkg ingest`` against the real Neo4j: formats, idempotence, replace, bad input, outside writers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from graph_helpers import one, rows

from graph.db.connection import GraphClient
from graph.watch.config import IngestConfig
from graph.watch.ingest import IngestError, ingest_path
from graph.watch.records import text_sha256

REPO = Path(__file__).resolve().parents[3]


def test_ccks_sample_creates_new_records(client: GraphClient) -> None:
    result = ingest_path(client, REPO / "data" / "sample" / "emr.jsonl", IngestConfig(format="ccks"))
    assert (result.read, result.created, result.unchanged) == (8, 8, 0)
    found = rows(client, "MATCH (e:EMR) RETURN e.id AS id, e.status AS status, e.attempts AS attempts, "
                         "e.sha256 AS sha, e.text AS text, e.source AS source, e.received_at IS NOT NULL AS received "
                         "ORDER BY id")
    assert [r["id"] for r in found] == [f"emr-{i:04d}" for i in range(1, 9)]
    assert all(r["status"] == "NEW" and r["attempts"] == 0 and r["received"] and r["source"] == "emr.jsonl"
               for r in found)
    assert all(r["sha"] == text_sha256(r["text"]) for r in found)


def test_same_id_same_text_changes_nothing(client: GraphClient, write_jsonl) -> None:
    path = write_jsonl([{"id": "a", "text": "患者胃痛。", "meta": {"ward": "3A"}}, {"id": 7, "text": "咳嗽。"}])
    first = ingest_path(client, path)
    assert (first.created, first.unchanged) == (2, 0)
    before = rows(client, "MATCH (e:EMR) RETURN e.id AS id, properties(e) AS props ORDER BY id")
    second = ingest_path(client, path)
    assert (second.created, second.unchanged, second.replaced) == (0, 2, 0)
    after = rows(client, "MATCH (e:EMR) RETURN e.id AS id, properties(e) AS props ORDER BY id")
    assert before == after and [r["id"] for r in after] == ["7", "a"]
    assert json.loads(after[1]["props"]["meta"]) == {"ward": "3A"}


def test_changed_text_is_refused_unless_replace(client: GraphClient, write_jsonl) -> None:
    ingest_path(client, write_jsonl([{"id": "a", "text": "患者胃痛。"}, {"id": "b", "text": "咳嗽。"}]))
    with client.session() as session:  # as if the watcher had processed it
        session.run("MATCH (e:EMR {id: 'a'}) SET e.status = 'DONE', e.attempts = 1").consume()
    changed = write_jsonl([{"id": "a", "text": "患者胃痛三天。"}, {"id": "c", "text": "发热。"}], "v2.jsonl")
    with pytest.raises(IngestError, match=r"v2.jsonl:1 field 'id': record 'a' exists with another text"):
        ingest_path(client, changed)
    assert one(client, "MATCH (e:EMR) RETURN count(e)") == 2  # refused whole: 'c' not written either
    result = ingest_path(client, changed, IngestConfig(replace=True))
    assert (result.created, result.replaced) == (1, 1)
    a = rows(client, "MATCH (e:EMR {id: 'a'}) RETURN e.text AS text, e.status AS status, e.attempts AS attempts, "
                     "e.revision AS revision, e.sha256 AS sha")[0]
    new = "患者胃痛三天。"
    assert a == {"text": new, "status": "NEW", "attempts": 0, "revision": 2, "sha": text_sha256(new)}


def test_bad_lines_name_file_line_and_field(client: GraphClient, write_jsonl) -> None:
    path = write_jsonl([
        {"id": "ok", "text": "胃痛。"},
        "{not json",
        {"text": "no id"},
        {"id": "e", "text": "   "},
        {"id": "n", "text": 42},
        {"id": "c", "text": "a\x00b"},
        '{"id": "s", "text": "a\\ud800b"}',
        {"id": "big", "text": "痛" * 100_001},
        {"id": "ok", "text": "again"},
        {"id": "m", "text": "x", "meta": [1]},
        '["a", "list"]',
    ])
    with pytest.raises(IngestError) as info:
        ingest_path(client, path)
    problems = info.value.problems
    expected = [f"{path}:2: not JSON", f"{path}:3 field 'id': missing",
                f"{path}:4 field 'text': text is empty or whitespace only",
                f"{path}:5 field 'text': text must be a string, got int",
                f"{path}:6 field 'text': control character U+0000 at offset 1",
                f"{path}:7 field 'text': lone surrogate U+D800 at offset 1",
                f"{path}:8 field 'text': text is 100,001 characters long, over the limit of 100,000",
                f"{path}:9 field 'id': duplicate id 'ok' (first at {path}:1)",
                f"{path}:10 field 'meta': must be an object, got list",
                f"{path}:11: expected a JSON object, got list"]
    assert len(problems) == len(expected)
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start), (problem, start)
    assert one(client, "MATCH (e:EMR) RETURN count(e)") == 0
    skipped = ingest_path(client, path, IngestConfig(skip_invalid=True))
    assert skipped.created == 1 and len(skipped.skipped) == len(expected)


def test_gbk_and_binary_lines_are_named_with_line_and_byte(client: GraphClient, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = [json.dumps({"id": f"r{i}", "text": "胃痛。"}, ensure_ascii=False).encode() + end  # any line ending
            for i, end in enumerate([b"\r\n", b"\r"])]
    gbk = json.dumps({"id": "g", "text": "病人发热。"}, ensure_ascii=False).encode("gbk") + b"\n"
    binary = b"\x00\xff\xfe\x80 binary\n"
    path.write_bytes(b"".join([*good, gbk, binary]))
    with pytest.raises(IngestError) as info:
        ingest_path(client, path)
    start = len(good[0]) + len(good[1])
    offset = start + gbk.index(b"\xb2")  # the first GBK byte of 病 (0xb2 0xa1), not a UTF-8 lead byte
    assert info.value.problems == [
        f"{path}:3: not UTF-8 (byte 0xb2 at file offset {offset}); convert it to UTF-8 "
        "(the bytes read as GBK: iconv -f GBK -t UTF-8)",
        f"{path}:4: not UTF-8 (byte 0xff at file offset {start + len(gbk) + 1}); "
        "convert it to UTF-8"]
    assert one(client, "MATCH (e:EMR) RETURN count(e)") == 0
    skipped = ingest_path(client, path, IngestConfig(skip_invalid=True))
    assert skipped.created == 2 and len(skipped.skipped) == 2


def test_long_id_and_json_errors_name_the_field_plainly(client: GraphClient, write_jsonl) -> None:
    path = write_jsonl([{"id": "x" * 10_000, "text": "胃痛。"}, '{"id": "a", "text": "unterminated'])
    with pytest.raises(IngestError) as info:
        ingest_path(client, path)
    assert info.value.problems == [
        f"{path}:1 field 'id': 10,000 characters long, over the limit of 200 characters for an id",
        f"{path}:2: not JSON (Unterminated string starting at column 21)"]


def test_text_folder_and_cypher_text_kept_verbatim(client: GraphClient, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    (folder / "ward3").mkdir(parents=True)
    nasty = "患者'}) DETACH DELETE n //\n MATCH (n) RETURN n; \"\\u0000 $param"
    (folder / "ward3" / "r1.txt").write_text(nasty, encoding="utf-8")
    (folder / "r2.txt").write_text("咳嗽三天。", encoding="utf-8")
    (folder / "bad.txt").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(IngestError, match=r"bad.txt:1: not UTF-8 \(byte 0xff at file offset 0\); convert it to UTF-8"):
        ingest_path(client, folder, IngestConfig(format="text"))
    (folder / "bad.txt").unlink()
    result = ingest_path(client, folder, IngestConfig(format="text", source="ward-notes"))
    assert result.created == 2
    assert one(client, "MATCH (e:EMR {id: 'ward3/r1'}) RETURN e.text") == nasty
    assert one(client, "MATCH (e:EMR {id: 'r2'}) RETURN e.source") == "ward-notes"


def test_missing_path_is_a_clear_error(client: GraphClient, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        ingest_path(client, tmp_path / "nope.jsonl")
