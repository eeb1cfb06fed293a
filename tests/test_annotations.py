"""The project's own annotation files on the research data: well formed, and pointing at real spans."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

ANNOTATIONS = Path(__file__).resolve().parents[1] / "data" / "annotations"


def _rows() -> list[dict[str, str]]:
    with (ANNOTATIONS / "rule_precision.tsv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_rule_precision_judgements_are_complete_and_hold_no_text() -> None:
    rows = _rows()
    assert len(rows) == 80 and {r["verdict"] for r in rows} <= {"0", "1"}
    assert all(r["reason"] for r in rows if r["verdict"] == "0") and not any(r["reason"] for r in rows
                                                                             if r["verdict"] == "1")
    assert set(rows[0]) == {"record", "subject_start", "subject_end", "object_start", "object_end", "predicate",
                            "score", "verdict", "reason"}


@pytest.mark.data
def test_rule_precision_judgements_point_at_mentions_of_ccks2017_training_records(data_dir: Path) -> None:
    from extractor.corpora import read_ccks2017

    texts = {ex.id: ex.text for ex in read_ccks2017(data_dir / "ccks2017-cner", "train").examples}
    for row in _rows():
        text = texts[row["record"]]
        for end in ("subject", "object"):
            start, stop = int(row[f"{end}_start"]), int(row[f"{end}_end"])
            assert 0 <= start < stop <= len(text), row
