"""CMeKG's vocabulary in the graph model: which type a subject is, what each predicate becomes.

CMeKG (the Peking University Chinese Medical Knowledge Graph, as shipped by PyCMeKG 0.2.5) is a
dict ``subject -> {predicate: [objects]}`` with no type on anything. A subject's type is read off
its predicates, an object's type off the predicate that lists it.

**Subject type.** Every predicate in :data:`SUBJECT_SIGNALS` (or starting with one of
:data:`SIGNAL_PREFIXES`) is a vote for one type; the subject takes the type with the most votes. A
tie goes to the more specific kind, in the order of :data:`TIE_ORDER` (Check, then Drug, then
Disease): a check's page borrows a disease's 就诊科室 or 多发群体, a drug's an 英文名称, rarely the
other way round. Subjects with votes for more than one type are counted as *mixed*; subjects with no
vote at all (a handful: 中药服法) are counted as *untyped* and skipped with their facts.

- Disease: 常见症状, 临床症状及体征, 就诊科室, 并发症, (常见)病因, (常见)发病部位, 多发群体, ICD10,
  检查, 实验室检查, 影像学检查, 手术治疗, 药物治疗, 相关药物, 治疗, 鉴别诊断, 上位关系, 传染性, ...;
  and the clinical-pathway fields (手术_*, 术前准备_*, 术后住院_*, 诊断依据_*, 出院标准, 标准住院时间),
  since a pathway is written per diagnosis.
- Drug: 适应症, 成份, 不良反应, OTC类型, 药品监管分级, 药品类型, 通用名, 商品名, 功能主治, 用法用量,
  规格, 贮藏, ...; for herbs and formulas 主治, 功效, 性味, 入药部位, 界/门/纲/目/科/属/种, 组成, 功用, 出处.
- Check: 所属分类, 相关症状.

Alias predicates, 相关疾病 and 注意事项 appear on every kind and vote for none.

**Predicates.** :data:`RELATION_PREDICATES` maps a predicate, for a subject of one type, to an
allow-listed relationship type and the object's type; ``inverse`` rules write the relationship from
the object to the subject, so one meaning has one direction (a drug's 适应症 and a disease's
相关药物 are both ``(Disease)-[:TREATED_WITH]->(Drug)``; in CMeKG one is exactly the inverse of the
other). Predicates that CMeIE's relation extractor also produces use the record types of
:mod:`graph.kg.relations`, so KG and records add evidence to one relationship.

| subject | predicate | relationship | object |
|---|---|---|---|
| Disease | 常见症状, 临床症状及体征, 主要症状 | ``HAS_SYMPTOM`` | Symptom |
| Disease | 并发症 | ``ACCOMPANY_WITH`` | Disease |
| Disease | 就诊科室, 所属科室 | ``BELONGS_TO`` | Department |
| Disease | 检查 | ``NEED_CHECK`` | Check |
| Disease | 辅助检查, 组织学检查 | ``EXAMINED_BY`` | Check |
| Disease | 实验室检查 | ``EXAMINED_BY_LAB_TEST`` | LabTest |
| Disease | 影像学检查 | ``EXAMINED_BY_IMAGING`` | ImagingExam |
| Disease | 内窥镜检查 | ``EXAMINED_BY_ENDOSCOPY`` | Check |
| Disease | 手术治疗, 手术_手术方式 | ``TREATED_BY_OPERATION`` | Operation |
| Disease | 药物治疗, 相关药物 | ``TREATED_WITH`` | Drug |
| Disease | 常见发病部位, 发病部位 | ``LOCATED_AT`` | Anatomy |
| Drug | 适应症, 适应证, 主治, 主要适用症 | ``TREATED_WITH`` (inverse) | Disease |
| Drug | 成份, 组成 | ``HAS_INGREDIENT`` | Drug |
| Drug | 不良反应 | ``HAS_ADVERSE_REACTION`` | Symptom |
| Check | 相关疾病 | ``NEED_CHECK`` (inverse) | Disease |
| Check | 相关症状 | ``EXAMINED_BY`` (inverse) | Symptom |

CMeKG does not tell a drug's indications that are diseases from those that are symptoms; all become
Disease concepts. :data:`ALIAS_PREDICATES` (别称, 又称, 同义词, 英文名, 英文名称, 商品名, 通用名, ...)
become ``aliases`` of the subject and ICD10 the ``icd10`` list property. Every other predicate
(descriptions, dosage, storage, herb taxonomy, drug classes, causes as prose, 药物相互作用 whose
objects mix drugs with symptoms, 上位关系, pathway logistics, ...) and every predicate on a subject
of a type its rule does not name is skipped and counted per predicate. Objects that are
placeholders rather than names (尚不明确, 无, 本品为复方制剂: :data:`PLACEHOLDERS`) are skipped
and counted.

Example:
    >>> infer_type(["适应症", "成份", "英文名"])
    ('Drug', False)
    >>> RELATION_PREDICATES["适应症"]["Drug"].type
    'TREATED_WITH'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from kgmodel.model import CONCEPT_LABELS, RELATION_TYPES

__all__ = [
    "ALIAS_PREDICATES",
    "CODE_PREDICATES",
    "PLACEHOLDERS",
    "RELATION_PREDICATES",
    "SIGNAL_PREFIXES",
    "SUBJECT_SIGNALS",
    "TIE_ORDER",
    "CMeKGRelation",
    "infer_type",
]


def _votes(label: str, predicates: str) -> dict[str, str]:
    return dict.fromkeys(predicates.split(), label)


#: Predicate -> the subject type it is evidence for.
SUBJECT_SIGNALS: dict[str, str] = {
    **_votes("Disease", "常见症状 临床症状及体征 主要症状 就诊科室 所属科室 并发症 常见病因 病因 主要病因 "
                        "常见发病部位 发病部位 多发群体 ICD10 检查 辅助检查 实验室检查 影像学检查 内窥镜检查 "
                        "组织学检查 手术治疗 药物治疗 相关药物 辅助治疗 治疗 治疗方案 化疗 放射治疗 传染性 "
                        "传播途径 鉴别诊断 病理分型 上位关系 下位关系 高危因素 转移部位 外侵部位 预后状况 "
                        "发病性别倾向 多发地区 筛查 病史 预防 出院标准 标准住院时间 进入路径标准 "
                        "选择治疗方案的依据"),
    **_votes("Drug", "适应症 适应证 主要适用症 成份 组成 不良反应 药物相互作用 OTC类型 药品监管分级 药品类型 "
                     "是否处方药 是否纳入医保 特殊药品 通用名 商品名 功能主治 主治 功效 功用 分类 用途分类 规格 "
                     "剂型 贮藏 有效期 用法用量 用量 性状 禁忌 批准文号 汉语拼音 ATC编码 分子量 化学式 性味 "
                     "性味归经 入药部位 采收时间 采集时间 分布区域 出处 毒性 界 门 纲 目 科 属 种"),
    **_votes("Check", "所属分类 相关症状"),
}

#: Predicate prefixes that vote for a type (the clinical-pathway fields, written per diagnosis).
SIGNAL_PREFIXES: dict[str, str] = {"手术_": "Disease", "术前准备_": "Disease", "术后住院_": "Disease",
                                   "诊断依据_": "Disease"}

#: A tie goes to the earlier type.
TIE_ORDER: tuple[str, ...] = ("Check", "Drug", "Disease")


@dataclass(frozen=True)
class CMeKGRelation:
    """What one predicate becomes for subjects of one type.

    Attributes:
        type: the relationship type (in :data:`kgmodel.model.RELATION_TYPES`).
        object_label: the type label of the listed objects.
        inverse: the relationship goes from the object to the subject.
    """

    type: str
    object_label: str
    inverse: bool = False


def _rules(subject: str, predicates: str, rule: CMeKGRelation) -> dict[str, dict[str, CMeKGRelation]]:
    return {predicate: {subject: rule} for predicate in predicates.split()}


#: Predicate -> {subject type -> relationship rule}.
RELATION_PREDICATES: dict[str, dict[str, CMeKGRelation]] = {
    **_rules("Disease", "常见症状 临床症状及体征 主要症状", CMeKGRelation("HAS_SYMPTOM", "Symptom")),
    **_rules("Disease", "并发症", CMeKGRelation("ACCOMPANY_WITH", "Disease")),
    **_rules("Disease", "就诊科室 所属科室", CMeKGRelation("BELONGS_TO", "Department")),
    **_rules("Disease", "检查", CMeKGRelation("NEED_CHECK", "Check")),
    **_rules("Disease", "辅助检查 组织学检查", CMeKGRelation("EXAMINED_BY", "Check")),
    **_rules("Disease", "实验室检查", CMeKGRelation("EXAMINED_BY_LAB_TEST", "LabTest")),
    **_rules("Disease", "影像学检查", CMeKGRelation("EXAMINED_BY_IMAGING", "ImagingExam")),
    **_rules("Disease", "内窥镜检查", CMeKGRelation("EXAMINED_BY_ENDOSCOPY", "Check")),
    **_rules("Disease", "手术治疗 手术_手术方式", CMeKGRelation("TREATED_BY_OPERATION", "Operation")),
    **_rules("Disease", "药物治疗", CMeKGRelation("TREATED_WITH", "Drug")),
    **_rules("Disease", "常见发病部位 发病部位", CMeKGRelation("LOCATED_AT", "Anatomy")),
    **_rules("Drug", "适应症 适应证 主治 主要适用症", CMeKGRelation("TREATED_WITH", "Disease", inverse=True)),
    **_rules("Drug", "成份 组成", CMeKGRelation("HAS_INGREDIENT", "Drug")),
    **_rules("Drug", "不良反应", CMeKGRelation("HAS_ADVERSE_REACTION", "Symptom")),
    "相关药物": {"Disease": CMeKGRelation("TREATED_WITH", "Drug")},
    "相关疾病": {"Check": CMeKGRelation("NEED_CHECK", "Disease", inverse=True)},
    "相关症状": {"Check": CMeKGRelation("EXAMINED_BY", "Symptom", inverse=True)},
}

#: Predicates whose objects are other names of the subject (on a subject of any type).
ALIAS_PREDICATES: frozenset[str] = frozenset(
    "别称 又称 同义词 英文名 英文名称 英文别名 英文别称 外文名 商品名 通用名 中文名 中文学名 拉丁学名 中医病名".split())

#: Predicates whose objects are ICD-10 codes of the subject (its ``icd10`` list property).
CODE_PREDICATES: frozenset[str] = frozenset({"ICD10"})

#: Object values that stand for "none" or "unknown", or describe a product, instead of naming a concept.
PLACEHOLDERS: frozenset[str] = frozenset(
    "无 不明 不详 暂无 未知 尚不明确 本品为复方制剂 无辅料 辅料无 本品无辅料 处方中无辅料".split())


def infer_type(predicates: Iterable[str]) -> tuple[str | None, bool]:
    """The subject type its predicates vote for, and whether they voted for more than one type.

    Returns:
        ``(label, mixed)``; ``label`` is ``None`` when no predicate is a signal.
    """
    votes: Counter[str] = Counter()
    for predicate in predicates:
        label = SUBJECT_SIGNALS.get(predicate)
        if label is None:
            label = next((t for prefix, t in SIGNAL_PREFIXES.items() if predicate.startswith(prefix)), None)
        if label is not None:
            votes[label] += 1
    if not votes:
        return None, False
    best = max(votes.values())
    label = next(t for t in TIE_ORDER if votes[t] == best)
    return label, len(votes) > 1


def _check_tables() -> None:
    # every label and type the tables name is in the graph model's allow-lists (checked on import)
    for by_subject in RELATION_PREDICATES.values():
        for subject, rule in by_subject.items():
            heads, tails = (set(part.split("|")) for part in RELATION_TYPES[rule.type])
            head, tail = (rule.object_label, subject) if rule.inverse else (subject, rule.object_label)
            if head not in heads or tail not in tails:
                raise AssertionError(f"{rule.type} does not connect {head} to {tail}")
    if not set(SUBJECT_SIGNALS.values()) | set(SIGNAL_PREFIXES.values()) <= CONCEPT_LABELS:
        raise AssertionError("a subject signal names a label outside CONCEPT_LABELS")


_check_tables()
