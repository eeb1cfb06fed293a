"""The data the tagger workflows (:mod:`app.tagging.workflows`, :mod:`app.tagging.recipe`) gather.

Together with those workflows this is the one place that joins the KG side (KG readers, settings)
and the ``extractor`` library: the pretraining text (xywy KG disease texts, CMeIE sentences, the
annotated corpora's *training* texts; never a test file), the training corpora, the data folders and the KG triples.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from core.paths import default_data_dir
from extractor.data import Example
from graph.db.config import MedkgSettings
from kgmodel.formats import read_units
from kgmodel.model import concept_id

__all__ = [
    "CCKS2017_DIR",
    "CCKS_TEST",
    "CCKS_TRAIN",
    "CMEEE_TRAIN",
    "CMEKG_LABELS",
    "cmeee_split",
    "kg_concepts",
    "kg_triples",
    "models_home",
    "pretraining_texts",
    "training_corpora",
]

#: Labels CMeKG adds to the gazetteer categories (after the xywy ones, in this order).
CMEKG_LABELS = ("Anatomy", "Operation", "LabTest", "ImagingExam")

CCKS_TRAIN = ("ccks2019-yidu-s4k/subtask1_training_part1.txt", "ccks2019-yidu-s4k/subtask1_training_part2.txt")
CCKS_TEST = "ccks2019-yidu-s4k/subtask1_test_set_with_answer.json"
#: The CCKS 2017 task 2 folder (``Train/`` is read for training, ``Test/`` + ``test_gold.csv`` only to evaluate).
CCKS2017_DIR = "ccks2017-cner"
#: CMeEE's training split (CHIP 2020): its test side is not public, so a validation part is cut from it.
CMEEE_TRAIN = "chip2020-cmeee/train_data_all.txt"
#: Share and seed of the CMeEE validation part (:func:`cmeee_split`): it is never trained, tuned or
#: pretrained on, and stands in for the test side when the multi-schema tagger is measured.
CMEEE_VALIDATION = (0.1, 2020)


def models_home() -> Path:
    """``<MEDKG_HOME>/models``: where trained models and caches go by default."""
    return MedkgSettings().home / "models"


def _xywy_units(data_dir: Path):  # a generator of kgmodel.formats.Unit
    for unit in read_units(data_dir / "xywy-medicalkg-tonystark", "xywy"):
        if hasattr(unit, "concepts"):
            yield unit


def cmeee_split(data_dir: Path | None = None, *, skip_invalid: bool = True) -> tuple[list[Example], list[Example]]:
    """CMeEE's training file cut into (train, validation) by :data:`CMEEE_VALIDATION` (seeded, by line).

    ``skip_invalid`` leaves out the file's two spans whose end precedes their start (the corpus's own
    defects; ``extractor.corpora.read_cmeee`` counts them).
    """
    from extractor.corpora import read_cmeee
    from extractor.train import split_dev

    corpus = read_cmeee((data_dir or default_data_dir()) / CMEEE_TRAIN, skip_invalid=skip_invalid)
    fraction, seed = CMEEE_VALIDATION
    return split_dev(corpus.examples, fraction, seed)


def training_corpora(data_dir: Path | None = None,
                     schemas: Sequence[str] = ("ccks2019", "ccks2017", "cmeee")) -> dict[str, list[Example]]:
    """The annotated training records of each schema: CCKS 2019 and 2017 training sets, CMeEE's train part.

    Keys are the schema names of ``extractor.corpora.CORPUS_TYPES`` (those of ``schemas``, in its order);
    no test side is ever read here.

    Raises:
        ValueError: An unknown schema.
    """
    from extractor.corpora import read_ccks2017, read_ccks2019

    root = data_dir or default_data_dir()
    readers: dict[str, Callable[[], list[Example]]] = {
        "ccks2019": lambda: [ex for rel in CCKS_TRAIN for ex in read_ccks2019(root / rel).examples],
        "ccks2017": lambda: list(read_ccks2017(root / CCKS2017_DIR, "train").examples),
        "cmeee": lambda: cmeee_split(root)[0],
    }
    unknown = [name for name in schemas if name not in readers]
    if unknown:
        raise ValueError(f"unknown annotated corpora {unknown}; expected {', '.join(readers)}")
    return {name: readers[name]() for name in schemas}


def pretraining_texts(data_dir: Path | None = None, *, min_chars: int = 10) -> list[str]:
    """Medical text for pretraining: xywy disease texts, CMeIE sentences, and the annotated corpora's training texts.

    The training texts are CCKS 2019's, CCKS 2017's and the train part of CMeEE (:func:`training_corpora`);
    no test file and not CMeEE's validation part are ever read here.
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
    for examples in training_corpora(root).values():
        texts.extend(ex.text for ex in examples if ex.text)
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
