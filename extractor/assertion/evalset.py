"""The project's assertion evaluation set: offsets and labels written by the project, texts joined from the data.

Research texts stay out of the repository. The set (``extractor/assertion/data/annotations.tsv``) stores for
each mention its document key, span, type, where the mention came from, the three labels, the split and a
note; :func:`load_annotations` checks it and :func:`join_texts` joins it with the texts under
``MEDKG_DATA_DIR``. Document keys:

- ``ccks2019:<n>``: the n-th record (0-based) of the CCKS 2019 *training* files, part 1 then part 2;
- ``ccks2017:<section>-<n>``: ``Train/<section>/<section>-<n>.txtoriginal.txt`` of CCKS 2017 (training only);
- ``written:<n>``: an example the project wrote for a rare class, text kept in ``written.tsv`` (marked so).

:func:`candidates` and :func:`write_worksheet` make the annotators' worksheet: mentions from the corpora's gold
spans and from KG-name matches, in context, for people to label by reading (see docs/assertion-guideline.md).

Example:
    >>> row = parse_row(["ccks2019:3", "10", "13", "Disease", "gold", "negated", "current", "patient", "test", ""],
    ...                 "annotations.tsv", 2)
    >>> row.key, row.assertion.certainty
    ('ccks2019:3:10-13', 'negated')
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from extractor.assertion.schema import DIMENSIONS, Assertion

__all__ = ["ANNOTATIONS", "HEADER", "AnnotatedMention", "AnnotationError", "Candidate", "candidates", "join_texts",
           "load_annotations", "parse_row", "read_texts", "split_of", "write_worksheet", "written_texts"]

ANNOTATIONS = Path(__file__).resolve().parent / "data" / "annotations.tsv"
WRITTEN = Path(__file__).resolve().parent / "data" / "written.tsv"
HEADER = ("doc", "start", "end", "type", "source", "certainty", "temporality", "experiencer", "split", "note")
CCKS2019_TRAIN = ("ccks2019-yidu-s4k/subtask1_training_part1.txt", "ccks2019-yidu-s4k/subtask1_training_part2.txt")
CCKS2017_TRAIN = "ccks2017-cner/Train"
#: Gold types of the two corpora that carry an assertion (findings and diagnoses), as graph labels.
GOLD_TYPES = {"疾病和诊断": "Disease", "症状和体征": "Symptom"}
TEST_SHARE = 0.4


class AnnotationError(ValueError):
    """A malformed annotation row (the message names file, line and field)."""


@dataclass(frozen=True)
class AnnotatedMention:
    """One labelled mention of the evaluation set."""

    doc: str
    start: int
    end: int
    type: str
    source: str
    assertion: Assertion
    split: str
    note: str = ""

    @property
    def key(self) -> str:
        """``doc:start-end``: unique within the set."""
        return f"{self.doc}:{self.start}-{self.end}"


def split_of(doc: str) -> str:
    """``train`` or ``test`` for a document, fixed by a hash of its key (a record never straddles)."""
    bucket = int(hashlib.sha256(doc.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if bucket < TEST_SHARE else "train"


def parse_row(fields: list[str], file: str, line: int) -> AnnotatedMention:
    """One TSV row (fields in :data:`HEADER` order) as an :class:`AnnotatedMention`.

    Raises:
        AnnotationError: A missing field, a bad offset or an unknown label (file, line and field named).
    """
    if len(fields) < len(HEADER) - 1:
        raise AnnotationError(f"{file}:{line}: expected {len(HEADER)} tab-separated fields, got {len(fields)}")
    values = dict(zip(HEADER, [*fields, ""][:len(HEADER)], strict=True))
    try:
        start, end = int(values["start"]), int(values["end"])
    except ValueError:
        raise AnnotationError(f"{file}:{line} start/end: not integers ({values['start']!r}, {values['end']!r})") \
            from None
    if not 0 <= start < end:
        raise AnnotationError(f"{file}:{line} start/end: need 0 <= start < end, got {start}, {end}")
    for dimension, allowed in DIMENSIONS.items():
        if values[dimension] not in allowed:
            raise AnnotationError(f"{file}:{line} {dimension}: {values[dimension]!r} is not one of {allowed}")
    if values["split"] not in ("train", "test"):
        raise AnnotationError(f"{file}:{line} split: {values['split']!r} is not train or test")
    assertion = Assertion.from_values(values)
    return AnnotatedMention(values["doc"], start, end, values["type"], values["source"], assertion, values["split"],
                            values["note"])


def load_annotations(path: Path = ANNOTATIONS) -> list[AnnotatedMention]:
    """Every row of the set, checked (duplicate keys refused).

    Raises:
        AnnotationError: A malformed row or a key given twice.
    """
    rows: list[AnnotatedMention] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not raw.strip() or raw.startswith("#") or raw.startswith("doc\t"):
            continue
        row = parse_row(raw.split("\t"), path.name, number)
        if row.key in seen:
            raise AnnotationError(f"{path.name}:{number} doc/start/end: {row.key} is also on line {seen[row.key]}")
        seen[row.key] = number
        rows.append(row)
    return rows


def written_texts(path: Path = WRITTEN) -> dict[str, str]:
    """The passages the project wrote for the rare classes, by document key (``written:<n>``)."""
    texts = {}
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.strip() and not line.startswith("#"):
            doc, text = line.split("\t", 1)
            texts[doc] = text
    return texts


def read_texts(data_dir: Path | None) -> dict[str, str]:
    """The texts by document key.

    The written passages always; with ``data_dir`` also the CCKS 2019 training files and CCKS 2017 ``Train/``
    (never a test file).
    """
    texts: dict[str, str] = written_texts()
    if data_dir is None:
        return texts
    n = 0
    for rel in CCKS2019_TRAIN:
        for line in (data_dir / rel).read_text(encoding="utf-8-sig").split("\n"):
            if line.strip():
                texts[f"ccks2019:{n}"] = json.loads(line)["originalText"]
                n += 1
    for path in sorted((data_dir / CCKS2017_TRAIN).glob("*/*.txtoriginal.txt")):
        texts[f"ccks2017:{path.name.removesuffix('.txtoriginal.txt')}"] = path.read_text(encoding="utf-8-sig")
    return texts


def join_texts(rows: Iterable[AnnotatedMention], texts: dict[str, str]) -> list[tuple[AnnotatedMention, str]]:
    """Each row with its document's text.

    Raises:
        AnnotationError: A document that is not there, or a span outside its text.
    """
    out = []
    for row in rows:
        text = texts.get(row.doc)
        if text is None:
            raise AnnotationError(f"{row.key}: no document {row.doc!r} under the data folder")
        if row.end > len(text):
            raise AnnotationError(f"{row.key}: the span ends after the text ({len(text)} characters)")
        out.append((row, text))
    return out


@dataclass(frozen=True)
class Candidate:
    """A mention for the worksheet: where it is and where it came from."""

    doc: str
    start: int
    end: int
    type: str
    source: str


def _gold(data_dir: Path) -> Iterator[Candidate]:
    n = 0
    for rel in CCKS2019_TRAIN:
        for line in (data_dir / rel).read_text(encoding="utf-8-sig").split("\n"):
            if not line.strip():
                continue
            for ent in json.loads(line)["entities"]:
                if ent["label_type"] in GOLD_TYPES:
                    yield Candidate(f"ccks2019:{n}", ent["start_pos"], ent["end_pos"], GOLD_TYPES[ent["label_type"]],
                                    "gold")
            n += 1
    for path in sorted((data_dir / CCKS2017_TRAIN).glob("*/*.txt")):
        if path.name.endswith(".txtoriginal.txt"):
            continue
        doc = f"ccks2017:{path.stem}"
        for line in path.read_text(encoding="utf-8-sig").split("\n"):
            parts = line.split("\t")
            if len(parts) == 4 and parts[3] in GOLD_TYPES:
                yield Candidate(doc, int(parts[1]), int(parts[2]) + 1, GOLD_TYPES[parts[3]], "gold")


def _kg_matches(texts: dict[str, str], names: dict[str, str]) -> Iterator[Candidate]:
    """Longest non-overlapping KG-name matches (what the gazetteer finds), on the CCKS 2019 texts."""
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for name, kind in names.items():
        if len(name) >= 2:
            automaton.add_word(name, (name, kind))
    automaton.make_automaton()
    for doc, text in texts.items():
        if not doc.startswith("ccks2019:"):
            continue
        found = sorted(((end - len(name) + 1, end + 1, kind) for end, (name, kind) in automaton.iter(text)),
                       key=lambda x: (x[0], -(x[1] - x[0])))
        taken = -1
        for start, end, kind in found:
            if start >= taken:
                yield Candidate(doc, start, end, kind, "kg-name")
                taken = end


def candidates(data_dir: Path) -> list[Candidate]:
    """Gold disease and symptom spans of both corpora, and xywy KG symptom names found in CCKS 2019."""
    texts = {k: v for k, v in read_texts(data_dir).items() if not k.startswith("written:")}
    names: dict[str, str] = {}
    for kind, rel in (("Symptom", "qasystem-medicalkg/dict/symptom.txt"),
                      ("Disease", "qasystem-medicalkg/dict/disease.txt")):
        for name in (data_dir / rel).read_text(encoding="utf-8").split("\n"):
            if name.strip():
                names.setdefault(name.strip(), kind)
    gold = list(_gold(data_dir))
    covered = {(c.doc, c.start, c.end) for c in gold}
    extra = [c for c in _kg_matches(texts, names) if (c.doc, c.start, c.end) not in covered]
    return gold + extra


_HINTS = {"neg": "无否认未没不排阴（(-－", "poss": "考虑可能疑待？?除", "hyp": "如若必要时警惕",
          "fam": "父母兄姐弟妹家族子女", "hist": "既往曾史前年"}


def _bucket(text: str, c: Candidate) -> str:
    """A coarse stratum for sampling only (the labels come from reading, never from this)."""
    window = text[max(0, c.start - 12):c.start] + text[c.end:c.end + 6]
    for name, chars in _HINTS.items():
        if any(ch in window for ch in chars):
            return name
    return "plain"


def write_worksheet(data_dir: Path, out: Path, *, total: int, parts: int, seed: int = 13) -> list[Path]:
    """Sample ``total`` candidates across strata and write ``parts`` worksheets with their contexts.

    Each line: ``id  doc  start  end  type  source  section  left⟦mention⟧right``; annotators add the labels.
    """
    texts = read_texts(data_dir)
    rng = random.Random(seed)
    strata: dict[str, list[Candidate]] = {}
    for c in candidates(data_dir):
        strata.setdefault(_bucket(texts[c.doc], c), []).append(c)
    picked: list[Candidate] = []
    share = total // len(strata)
    for name in sorted(strata):
        rng.shuffle(strata[name])
        picked += strata[name][:share]
    rest = [c for name in sorted(strata) for c in strata[name][share:]]
    rng.shuffle(rest)
    picked += rest[:total - len(picked)]
    rng.shuffle(picked)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for part in range(parts):
        path = out / f"worksheet-{part + 1}.tsv"
        with path.open("w", encoding="utf-8") as handle:
            for i, c in enumerate(picked[part::parts]):
                text = texts[c.doc]
                left = text[max(0, c.start - 70):c.start].replace("\n", " ")
                right = text[c.end:c.end + 35].replace("\n", " ")
                section = c.doc.split(":", 1)[1].split("-")[0] if c.doc.startswith("ccks2017:") else ""
                handle.write("\t".join([f"{part + 1}-{i + 1}", c.doc, str(c.start), str(c.end), c.type, c.source,
                                        section, f"{left}⟦{text[c.start:c.end]}⟧{right}"]) + "\n")
        paths.append(path)
    return paths
