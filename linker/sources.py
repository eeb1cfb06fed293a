"""Readers for the shared research data used by the evaluation set and the benchmark.

The data is third-party and is never copied into the repository: it is read by path from
``MEDKG_DATA_DIR`` (default ``../shared/data`` relative to the repository root). In production the
graph side builds ``ConceptRecord`` objects from Neo4j instead; these readers only exist so the
linker can be evaluated and benchmarked on the KG vocabulary directly.

Only the CCKS 2019 *training* files are read here; the test file is reserved for the tagger's final
evaluation.

Example:
    >>> records = load_kg_vocabulary()  # doctest: +SKIP
    >>> records[0].id  # doctest: +SKIP
    'Check:...'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.paths import default_data_dir
from linker.records import ConceptRecord

__all__ = [
    "CCKS_TRAINING_FILES",
    "CcksEntity",
    "CcksRecord",
    "DataMissingError",
    "default_data_dir",
    "load_ccks_training",
    "load_kg_vocabulary",
]

CCKS_TRAINING_FILES: tuple[str, ...] = ("subtask1_training_part1.txt", "subtask1_training_part2.txt")

# (folder, file stem) -> KG label, for both vocabularies of the same website (SOURCES.md sections 2-3).
_VOCAB_FILES: dict[str, str] = {
    "xywy-medicalkg-tonystark/region_words/checks.txt": "Check",
    "xywy-medicalkg-tonystark/region_words/departments.txt": "Department",
    "xywy-medicalkg-tonystark/region_words/diseases.txt": "Disease",
    "xywy-medicalkg-tonystark/region_words/drugs.txt": "Drug",
    "xywy-medicalkg-tonystark/region_words/foods.txt": "Food",
    "xywy-medicalkg-tonystark/region_words/symptoms.txt": "Symptom",
    "qasystem-medicalkg/dict/check.txt": "Check",
    "qasystem-medicalkg/dict/department.txt": "Department",
    "qasystem-medicalkg/dict/disease.txt": "Disease",
    "qasystem-medicalkg/dict/drug.txt": "Drug",
    "qasystem-medicalkg/dict/food.txt": "Food",
    "qasystem-medicalkg/dict/producer.txt": "Producer",
    "qasystem-medicalkg/dict/symptom.txt": "Symptom",
}


class DataMissingError(FileNotFoundError):
    """The shared data directory, or a file expected in it, is missing."""


@dataclass(frozen=True, slots=True)
class CcksEntity:
    """One gold span: ``text == record_text[start:end]``, ``label`` a CCKS Chinese label."""

    start: int
    end: int
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class CcksRecord:
    """One CCKS 2019 record and its gold entities."""

    text: str
    entities: tuple[CcksEntity, ...]


def _require(path: Path) -> Path:
    if not path.is_file():
        raise DataMissingError(
            f"{path} not found; set MEDKG_DATA_DIR to the shared data folder (see ../shared/data/SOURCES.md)"
        )
    return path


def load_kg_vocabulary(data_dir: Path | None = None) -> list[ConceptRecord]:
    """Concept records for every name of the xywy/qasystem vocabularies (union of both crawls).

    Ids are ``<Label>:<name>``, as the graph side builds them. Names are stripped; empty lines are
    skipped. Records are sorted by id so the result never depends on file order.

    Raises:
        DataMissingError: If a vocabulary file is missing.
    """
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    names: dict[str, str] = {}
    for rel, label in _VOCAB_FILES.items():
        text = _require(root / rel).read_text(encoding="utf-8-sig")
        for line in text.split("\n"):
            name = line.strip()
            if name:
                names.setdefault(f"{label}:{name}", label)
    return [ConceptRecord(cid, label, cid.split(":", 1)[1]) for cid, label in sorted(names.items())]


def load_ccks_training(data_dir: Path | None = None) -> list[CcksRecord]:
    """The CCKS 2019 training records (parts 1 and 2; part 1 starts with a BOM).

    Raises:
        DataMissingError: If a training file is missing.
        ValueError: If a span falls outside its text.
    """
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    out: list[CcksRecord] = []
    for name in CCKS_TRAINING_FILES:
        path = _require(root / "ccks2019-yidu-s4k" / name)
        with path.open(encoding="utf-8-sig") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                row = json.loads(line)
                text = row["originalText"]
                ents = []
                for e in row["entities"]:
                    start, end = int(e["start_pos"]), int(e["end_pos"])
                    if not 0 <= start < end <= len(text):
                        raise ValueError(f"{path}:{number}: span {start}-{end} outside a text of {len(text)}")
                    ents.append(CcksEntity(start, end, e["label_type"], text[start:end]))
                out.append(CcksRecord(text, tuple(ents)))
    return out
