"""The data the tagger workflows (:mod:`app.tagging.workflows`, :mod:`app.tagging.recipe`) gather.

Together with those workflows this is the one place that joins the KG side (KG readers, settings)
and the ``extractor`` library: the pretraining text (xywy KG disease texts, CMeIE sentences, CCKS
2019 *training* texts; never the test file), the data folders and the KG triples.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.paths import default_data_dir
from graph.db.config import MedkgSettings
from kgmodel.formats import read_units
from kgmodel.model import concept_id

__all__ = ["CCKS_TEST", "CCKS_TRAIN", "CMEKG_LABELS", "kg_concepts", "kg_triples", "models_home", "pretraining_texts"]

#: Labels CMeKG adds to the gazetteer categories (after the xywy ones, in this order).
CMEKG_LABELS = ("Anatomy", "Operation", "LabTest", "ImagingExam")

CCKS_TRAIN = ("ccks2019-yidu-s4k/subtask1_training_part1.txt", "ccks2019-yidu-s4k/subtask1_training_part2.txt")
CCKS_TEST = "ccks2019-yidu-s4k/subtask1_test_set_with_answer.json"


def models_home() -> Path:
    """``<MEDKG_HOME>/models``: where trained models and caches go by default."""
    return MedkgSettings().home / "models"


def _xywy_units(data_dir: Path):  # a generator of kgmodel.formats.Unit
    for unit in read_units(data_dir / "xywy-medicalkg-tonystark", "xywy"):
        if hasattr(unit, "concepts"):
            yield unit


def pretraining_texts(data_dir: Path | None = None, *, min_chars: int = 10) -> list[str]:
    """Medical text for pretraining: xywy disease texts, CMeIE sentences, CCKS 2019 training texts.

    The CCKS 2019 test file is never read here.
    """
    root = data_dir or default_data_dir()
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
               fmt: str = "xywy", cmekg: Path | None = None) -> list[tuple[str, str, str]]:
    """(head id, relation, tail id) of a KG source (default: the xywy KG), ids ``<Label>:<name>``.

    With ``cmekg`` (a CMeKG pickle) its triples are added: the merged KG, each (head, relation, tail) once,
    as the graph merges them. Invalid CMeKG subjects are skipped, as ``--skip-invalid`` does.

    Raises:
        ValueError: a record of ``source`` is malformed (the message names file, line and field).
        kgmodel.cmekg.CMeKGRefused: the pickle is not CMeKG's.
    """
    if source is None:
        units = list(_xywy_units(data_dir or default_data_dir()))
    else:
        units = []
        for unit in read_units(source, fmt):
            if isinstance(unit, Exception):
                raise ValueError(str(unit))
            units.append(unit)
    if cmekg is not None:
        from kgmodel.cmekg import CMeKGReader

        units += [u for u in CMeKGReader(cmekg).units() if not isinstance(u, Exception)]
    triples = [(concept_id(t.head_label, t.head), t.relation, concept_id(t.tail_label, t.tail))
               for unit in units for t in unit.triples]
    return list(dict.fromkeys(triples)) if cmekg is not None else triples


def kg_concepts(data_dir: Path | None = None, cmekg: Path | None = None) -> tuple[list, dict]:
    """Gazetteer concepts: the xywy/qasystem vocabulary, plus CMeKG's concepts and aliases when given.

    CMeKG concepts merge into the xywy ones by id (``<Label>:<name>``, as ``medkg kg load`` merges them
    in the graph): a shared concept keeps its xywy label and gains CMeKG's aliases.

    Args:
        data_dir: The research data folder (default :func:`core.paths.default_data_dir`).
        cmekg: A CMeKG pickle (read by :class:`kgmodel.cmekg.CMeKGReader`, sha256 checked).

    Returns:
        (``linker.ConceptRecord``s sorted by id, a summary: counts added, aliases, per label).

    Raises:
        kgmodel.cmekg.CMeKGRefused: The pickle is not CMeKG's.
    """
    from collections import Counter

    from linker import ConceptRecord
    from linker.sources import load_kg_vocabulary

    records = load_kg_vocabulary(data_dir or default_data_dir())
    summary: dict = {"xywy_concepts": len(records)}
    if cmekg is not None:
        from kgmodel.cmekg import CMeKGReader
        from kgmodel.model import KGFormatError

        by_id = {r.id: r for r in records}
        added = aliases = skipped = 0
        for unit in CMeKGReader(cmekg).units():
            if isinstance(unit, KGFormatError):
                skipped += 1
                continue
            for row in unit.concepts:
                old = by_id.get(row.id)
                extra = tuple(a for a in row.aliases if a != row.name)
                if old is None:
                    by_id[row.id] = ConceptRecord(row.id, row.label, row.name, extra)
                    added += 1
                elif extra:
                    by_id[row.id] = ConceptRecord(old.id, old.type, old.name, tuple(dict.fromkeys(old.aliases + extra)))
                aliases += len(extra)
        records = sorted(by_id.values(), key=lambda r: r.id)
        summary.update({"cmekg": str(cmekg), "cmekg_concepts_added": added, "cmekg_aliases": aliases,
                        "cmekg_subjects_skipped": skipped})
    summary.update({"concepts": len(records), "by_label": dict(Counter(r.type for r in records))})
    return records, summary
