"""A 34-concept KG written for these tests (names in the style of the xywy vocabulary)."""

from __future__ import annotations

import numpy as np
import pytest

from linker import ConceptIndex, ConceptRecord, Linker

_NAMES: dict[str, tuple[str, ...]] = {
    "Disease": (
        "糖尿病", "II型糖尿病", "胰腺炎", "急性胰腺炎", "胃炎", "慢性胃炎", "冠状动脉粥样硬化性心脏病",
        "乙型病毒性肝炎", "高血压", "肺炎", "直肠癌", "肝硬化", "干燥综合征",
    ),
    "Symptom": ("头痛", "发热", "腹痛", "高血压", "恶心"),
    "Drug": ("来氟米特片", "卡培他滨片", "注射用盐酸吉西他滨", "阿司匹林肠溶片", "氟尿嘧啶注射液"),
    "Producer": ("南京制药注射用奥沙利铂", "上海信谊阿司匹林肠溶片"),
    "Check": ("CT检查", "癌胚抗原（CEA）", "血常规", "心电图", "伸肘试验", "伸踝试验"),
    "Department": ("消化内科",),
    "Food": ("小米粥", "鸡蛋"),
}
_ALIASES = {"Disease:糖尿病": ("消渴症",), "Symptom:发热": ("发烧",)}
_VECTORS = {
    "Check:伸肘试验": [1.0, 0.0, 0.0, 0.0],
    "Check:伸踝试验": [0.0, 1.0, 0.0, 0.0],
    "Disease:胃炎": [0.0, 0.0, 1.0, 0.0],
    "Disease:慢性胃炎": [0.0, 0.0, 0.9, 0.1],
}


def make_records() -> list[ConceptRecord]:
    out = []
    for label, names in _NAMES.items():
        for name in names:
            cid = f"{label}:{name}"
            vec = np.asarray(_VECTORS[cid], dtype=np.float32) if cid in _VECTORS else None
            out.append(ConceptRecord(cid, label, name, _ALIASES.get(cid, ()), vec))
    return out


@pytest.fixture(scope="session")
def records() -> list[ConceptRecord]:
    return make_records()


@pytest.fixture(scope="session")
def index(records: list[ConceptRecord]) -> ConceptIndex:
    return ConceptIndex.build(records)


@pytest.fixture(scope="session")
def linker(index: ConceptIndex) -> Linker:
    return Linker(index)
