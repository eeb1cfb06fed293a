"""Tiny tagger fixtures written for the tests: ~20 short records, a few concepts, 4-d KG vectors, two small models.

The ``conftest.py`` of each test folder that trains or runs a tagger (``tests/extractor``, ``tests/app``)
imports the fixtures it needs from here.
"""

from __future__ import annotations

import numpy as np
import pytest

from extractor.config import EncoderConfig, FeatureConfig, HeadConfig, TaggerConfig, TrainConfig
from extractor.data import Example, Span
from extractor.kge_quick import KgVectors
from linker.records import ConceptRecord

_RAW = [
    ("患者因胃癌行胃大部切除术，术后予奥沙利铂化疗。",
     [("胃癌", "Disease"), ("胃大部切除术", "Operation"), ("奥沙利铂", "Drug")]),
    ("CT示肝脏多发占位，考虑肝转移。", [("CT", "ImagingExam"), ("肝脏", "Anatomy"), ("肝转移", "Disease")]),
    ("血常规：白细胞计数升高。", [("白细胞计数", "LabTest")]),
    ("腹部彩超未见异常。", [("腹部彩超", "ImagingExam")]),
    ("既往有高血压病史，口服硝苯地平。", [("高血压", "Disease"), ("硝苯地平", "Drug")]),
    ("行直肠癌根治术，术后病理示直肠腺癌。", [("直肠癌根治术", "Operation"), ("直肠腺癌", "Disease")]),
    ("查体：腹软，右下腹压痛。", [("腹", "Anatomy"), ("右下腹", "Anatomy")]),
    ("给予头孢曲松抗感染治疗。", [("头孢曲松", "Drug")]),
    ("胸部CT示双肺结节。", [("胸部CT", "ImagingExam"), ("双肺", "Anatomy")]),
    ("肝功能：谷丙转氨酶45U/L。", [("谷丙转氨酶", "LabTest")]),
    ("患者糖尿病10年，皮下注射胰岛素。", [("糖尿病", "Disease"), ("胰岛素", "Drug")]),
    ("行腹腔镜胆囊切除术。", [("腹腔镜胆囊切除术", "Operation")]),
    ("MRI示腰椎间盘突出。", [("MRI", "ImagingExam"), ("腰椎间盘突出", "Disease")]),
    ("尿常规：尿蛋白阴性。", [("尿蛋白", "LabTest")]),
    ("双下肢无水肿。", [("双下肢", "Anatomy")]),
    ("予奥美拉唑护胃。", [("奥美拉唑", "Drug"), ("胃", "Anatomy")]),
    ("诊断：胃癌术后。", [("胃癌", "Disease")]),
    ("复查CT未见复发。", [("CT", "ImagingExam")]),
    ("左肺上叶切除术后。", [("左肺上叶切除术", "Operation")]),
    ("血红蛋白下降，考虑贫血。", [("血红蛋白", "LabTest"), ("贫血", "Disease")]),
]


def _example(i: int, text: str, mentions: list[tuple[str, str]]) -> Example:
    spans, pos = [], 0
    for mention, kind in mentions:
        start = text.index(mention, pos)
        spans.append(Span(start, start + len(mention), kind))
        pos = start + len(mention)
    return Example(f"t{i}", text, tuple(spans))


@pytest.fixture(scope="session")
def examples() -> list[Example]:
    return [_example(i, text, m) for i, (text, m) in enumerate(_RAW)]


@pytest.fixture(scope="session")
def concepts() -> list[ConceptRecord]:
    names = [("Disease", "胃癌"), ("Disease", "高血压"), ("Disease", "糖尿病"), ("Disease", "贫血"),
             ("Drug", "奥沙利铂"), ("Drug", "胰岛素"), ("Check", "血常规"), ("Check", "胸部CT")]
    return [ConceptRecord(f"{label}:{name}", label, name) for label, name in names]


@pytest.fixture(scope="session")
def kg(concepts: list[ConceptRecord]) -> KgVectors:
    rng = np.random.default_rng(0)
    return KgVectors({c.id: rng.normal(size=4).astype(np.float32) for c in concepts[:-1]}, "test-run")


def tiny_config(**train: object) -> TaggerConfig:
    return TaggerConfig(
        encoder=EncoderConfig(kind="char", dim=16, window=16, overlap=4),
        features=FeatureConfig(kg_proj_dim=8, feature_dim=4, bigram_dim=8),
        head=HeadConfig(lstm_layers=1, lstm_hidden=16, dropout=0.0),
        train=TrainConfig(**{"epochs": 4, "batch_size": 8, "lr_encoder": 0.02, "lr_head": 0.02,
                             "dev_fraction": 0.2, "patience": 4, "threads": 1, **train}),
    )


@pytest.fixture(scope="session")
def tiny():
    """The tiny config factory (hidden 16, window 16)."""
    return tiny_config


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, examples, concepts, kg):
    from extractor.train import train_tagger

    out = tmp_path_factory.mktemp("model")
    result = train_tagger(tiny_config(), examples, out, concepts=concepts, kg=kg)
    return out, result


@pytest.fixture(scope="session")
def learned(tmp_path_factory: pytest.TempPathFactory, examples, concepts, kg):
    """A tiny tagger trained until it finds the training spans (tests that need predictions to compare)."""
    from extractor.train import train_tagger

    out = tmp_path_factory.mktemp("learned")
    train_tagger(tiny_config(epochs=25, dev_fraction=0.0, patience=25), examples, out, concepts=concepts, kg=kg,
                 dev=examples)
    return out
