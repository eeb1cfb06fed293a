"""Small sample corpora in the three formats the readers take, and a tiny tagger with a head for each schema.

``write_samples(root)`` writes, under ``root``, a CCKS 2019 JSON Lines file, a CMeEE line file (nested
spans) and a CCKS 2017 folder (``Train/`` with annotation files, ``Test/`` with ``test_gold.csv``), each a
few records written here in the formats' own offset conventions. ``multi_schema_model(factory)`` trains,
once per test session, a tiny span-head tagger with one head per schema on the same records but the last
of each corpus, so that it finds most of their spans and misses some (tests of evaluation need
predictions to compare, right and wrong ones).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from extractor.corpora import read_corpus
from extractor.data import Example

#: CCKS 2019: (text, [(mention, Chinese label)]).
CCKS2019 = [
    ("患者因胃癌行胃大部切除术，术后予奥沙利铂化疗。",
     [("胃癌", "疾病和诊断"), ("胃大部切除术", "手术"), ("奥沙利铂", "药物")]),
    ("CT示肝脏多发占位，考虑肝转移。", [("CT", "影像检查"), ("肝脏", "解剖部位"), ("肝转移", "疾病和诊断")]),
    ("血常规：白细胞计数升高。", [("白细胞计数", "实验室检验")]),
    ("既往有高血压病史，口服硝苯地平。", [("高血压", "疾病和诊断"), ("硝苯地平", "药物")]),
    ("术后复查胸部CT未见异常，继续皮下注射胰岛素。", [("胸部CT", "影像检查"), ("胰岛素", "药物")]),
]
#: CCKS 2017: (record id, section, text, [(mention, type)]); one text holds a line break.
CCKS2017 = [
    (1, "一般项目", "患者男，65岁，因咳嗽咳痰3天入院。", [("咳嗽", "症状和体征"), ("咳痰", "症状和体征")]),
    (1, "病史特点", "查体：双肺呼吸音粗。\n腹软，无压痛。",
     [("双肺", "身体部位"), ("呼吸音粗", "症状和体征"), ("腹", "身体部位"), ("压痛", "症状和体征")]),
    (2, "诊疗经过", "行胸部CT检查，予抗感染治疗。", [("胸部CT", "检查和检验"), ("抗感染治疗", "治疗")]),
    (2, "出院情况", "诊断：肺炎。患者无发热。", [("肺炎", "疾病和诊断"), ("发热", "症状和体征")]),
    (3, "病史特点", "患者诉头痛，伴恶心呕吐。",
     [("头痛", "症状和体征"), ("恶心", "症状和体征"), ("呕吐", "症状和体征")]),
]
#: CMeEE: (text, [(mention, type)]); body parts nest in diseases and symptoms, a microorganism in a disease.
CMEEE = [
    ("慢性胃炎患者常有上腹部疼痛。", [("慢性胃炎", "dis"), ("胃", "bod"), ("上腹部疼痛", "sym"), ("上腹部", "bod")]),
    ("幽门螺杆菌感染可引起胃溃疡。",
     [("幽门螺杆菌", "mic"), ("幽门螺杆菌感染", "dis"), ("胃溃疡", "dis"), ("胃", "bod")]),
    ("口服奥美拉唑治疗。", [("奥美拉唑", "dru")]),
    ("胃镜检查可见胃黏膜充血。", [("胃镜检查", "pro"), ("胃镜", "equ"), ("胃黏膜", "bod"), ("胃黏膜充血", "sym")]),
    ("十二指肠溃疡多见于青壮年。", [("十二指肠溃疡", "dis"), ("十二指肠", "bod")]),
]


@dataclass(frozen=True)
class Samples:
    """Where :func:`write_samples` put each corpus."""

    ccks2019: Path
    cmeee: Path
    ccks2017: Path

    def of(self, fmt: str) -> Path:
        """The sample of a format (``ccks2019``, ``cmeee``, ``ccks2017``)."""
        path: Path = getattr(self, fmt)
        return path


def _offsets(text: str, mention: str) -> tuple[int, int]:
    """``[start, end)`` of the first occurrence of ``mention``."""
    start = text.index(mention)
    return start, start + len(mention)


def write_samples(root: Path) -> Samples:
    """Write the three sample corpora under ``root`` (made if missing)."""
    root.mkdir(parents=True, exist_ok=True)
    ccks2019 = root / "ccks2019.json"
    lines = []
    for text, mentions in CCKS2019:
        ents = [dict(zip(("start_pos", "end_pos"), _offsets(text, m), strict=True), label_type=label)
                for m, label in mentions]
        lines.append(json.dumps({"originalText": text, "entities": ents}, ensure_ascii=False))
    ccks2019.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cmeee = root / "cmeee.txt"
    rows = []
    for text, mentions in CMEEE:  # end inclusive, four spaces between the fields
        fields = [f"{s}    {e - 1}    {kind}" for (s, e), kind in ((_offsets(text, m), kind) for m, kind in mentions)]
        rows.append("|||".join([text, *fields]) + "|||")
    cmeee.write_text("\n".join(rows) + "\n", encoding="utf-8")
    folder = root / "ccks2017"
    gold = []
    for rid, section, text, mentions in CCKS2017:
        for split in ("Train", "Test"):
            (folder / split / section).mkdir(parents=True, exist_ok=True)
            (folder / split / section / f"{section}-{rid}.txtoriginal.txt").write_text(text + "\n", encoding="utf-8")
        spans = [(m, *_offsets(text, m), kind) for m, kind in mentions]
        (folder / "Train" / section / f"{section}-{rid}.txt").write_text(
            "".join(f"{m}\t{s}\t{e - 1}\t{kind}\n" for m, s, e, kind in spans), encoding="utf-8")
        gold.append(f"{rid},{section}," + ";".join(f"{m} {s} {e - 1} {kind}" for m, s, e, kind in spans))
    (folder / "test_gold.csv").write_text("\n".join(gold) + "\n", encoding="utf-8")
    return Samples(ccks2019, cmeee, folder)


def sample_records(root: Path) -> dict[str, list[Example]]:
    """The samples as the readers give them, per schema (the CCKS 2017 test split)."""
    samples = write_samples(root)
    return {"ccks2019": list(read_corpus(samples.ccks2019).examples),
            "ccks2017": list(read_corpus(samples.ccks2017, split="test").examples),
            "cmeee": list(read_corpus(samples.cmeee).examples)}


_TRAINED: dict[str, Path] = {}


def multi_schema_model(factory: pytest.TempPathFactory) -> Path:
    """A tiny span-head tagger with a head per schema, trained once per session on the samples but their last."""
    if "model" not in _TRAINED:
        from extractor.config import EncoderConfig, FeatureConfig, HeadConfig, SchemaConfig, TaggerConfig, TrainConfig
        from extractor.corpora import CORPUS_TYPES
        from extractor.train import train_tagger
        from linker.typemap import CORPUS_TYPE_MAP

        records = sample_records(factory.mktemp("samples"))
        schemas = tuple(SchemaConfig(name=name, types=CORPUS_TYPES[name], mention_types=CORPUS_TYPE_MAP[name])
                        for name in ("ccks2019", "ccks2017", "cmeee"))
        config = TaggerConfig(
            types=tuple(dict.fromkeys(m for s in schemas for m in s.mention_types.values())), schemas=schemas,
            encoder=EncoderConfig(kind="char", dim=16, window=32, overlap=4),
            features=FeatureConfig(kg=False, bioes=False, category=False, semantic=False),
            head=HeadConfig(lstm_layers=1, lstm_hidden=24, dropout=0.0, output="span", span_dim=16, max_span=8),
            train=TrainConfig(epochs=40, batch_size=4, lr_encoder=0.02, lr_head=0.02, dev_fraction=0.0,
                              patience=40, threads=1, seed=3))
        out = factory.mktemp("multi")
        seen = {k: v[:-1] for k, v in records.items()}
        train_tagger(config, {k: v * 3 for k, v in seen.items()}, out, dev=seen)
        _TRAINED["model"] = out
    return _TRAINED["model"]
