"""The data the tagger commands (:mod:`graph.cli.tagger`) gather from the graph side.

Together with those commands this is the one place that joins the graph side (KG readers, settings)
and the ``extractor`` library: the pretraining text (xywy KG disease texts, CMeIE sentences, CCKS
2019 *training* texts; never the test file), the data folders and the KG triples.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from graph.db.config import MedkgSettings
from graph.kg.formats import read_units
from graph.kg.model import concept_id

__all__ = ["CCKS_TEST", "CCKS_TRAIN", "kg_triples", "models_home", "pretraining_texts", "shared_data_dir"]

CCKS_TRAIN = ("ccks2019-yidu-s4k/subtask1_training_part1.txt", "ccks2019-yidu-s4k/subtask1_training_part2.txt")
CCKS_TEST = "ccks2019-yidu-s4k/subtask1_test_set_with_answer.json"


def shared_data_dir() -> Path:
    """``$MEDKG_DATA_DIR``, else ``/work/shared/data`` when present, else the settings' ``data_dir``."""
    env = os.environ.get("MEDKG_DATA_DIR")
    if env:
        return Path(env)
    default = Path("/work/shared/data")
    return default if default.is_dir() else MedkgSettings().data_dir


def models_home() -> Path:
    """``<MEDKG_HOME>/models``: where trained models and caches go by default."""
    return MedkgSettings().home / "models"


def _xywy_units(data_dir: Path):  # noqa: ANN202 - a generator of graph.kg.formats.Unit
    for unit in read_units(data_dir / "xywy-medicalkg-tonystark", "xywy"):
        if hasattr(unit, "concepts"):
            yield unit


def pretraining_texts(data_dir: Path | None = None, *, min_chars: int = 10) -> list[str]:
    """Medical text for pretraining: xywy disease texts, CMeIE sentences, CCKS 2019 training texts.

    The CCKS 2019 test file is never read here.
    """
    root = data_dir or shared_data_dir()
    texts: list[str] = []
    for unit in _xywy_units(root):
        for concept in unit.concepts:
            texts.extend(v for v in concept.props.values() if isinstance(v, str) and len(v) >= min_chars)
    cmeie = root / "cmeie" / "CMeIE_dev.json"
    if cmeie.is_file():
        for line in cmeie.read_text(encoding="utf-8-sig").split("\n"):
            if line.strip():
                texts.append(json.loads(line)["text"])
    for rel in CCKS_TRAIN:
        for line in (root / rel).read_text(encoding="utf-8-sig").split("\n"):
            if line.strip():
                texts.append(json.loads(line)["originalText"])
    return texts


def kg_triples(data_dir: Path | None = None, source: Path | None = None,
               fmt: str = "xywy") -> list[tuple[str, str, str]]:
    """(head id, relation, tail id) of a KG source (default: the xywy KG), ids ``<Label>:<name>``.

    Raises:
        ValueError: a record of ``source`` is malformed (the message names file, line and field).
    """
    if source is None:
        units = list(_xywy_units(data_dir or shared_data_dir()))
    else:
        units = []
        for unit in read_units(source, fmt):
            if isinstance(unit, Exception):
                raise ValueError(str(unit))
            units.append(unit)
    return [(concept_id(t.head_label, t.head), t.relation, concept_id(t.tail_label, t.tail))
            for unit in units for t in unit.triples]
