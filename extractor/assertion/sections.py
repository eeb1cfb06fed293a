"""Section headers of Chinese EMRs and the default temporality or experiencer each sets.

A header is one of the names below at the start of the text or of a line or sentence, optionally numbered
(``3.``, ``（二）``), and followed by a colon; its section runs to the next header.

Example:
    >>> heads = sections("主诉：腹痛3天。既往史：高血压。家族史：其母糖尿病。")
    >>> [(start, name) for start, name in heads]
    [(0, '主诉'), (8, '既往史'), (16, '家族史')]
    >>> section_at(heads, 12).defaults
    {'temporality': 'historical'}
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

__all__ = ["SECTIONS", "Section", "section_at", "sections"]


@dataclass(frozen=True)
class Section:
    """A record section and what it implies for the mentions in it."""

    name: str
    defaults: dict[str, str] = field(default_factory=dict)


#: Header -> section (aliases map to one name).
SECTIONS: dict[str, Section] = {}
for _names, _defaults in (
    (("主诉",), {}),
    (("现病史", "病史特点"), {}),
    (("既往史", "既往病史", "过去史"), {"temporality": "historical"}),
    (("个人史",), {}),
    (("婚育史", "婚姻史", "生育史"), {}),
    (("月经史",), {}),
    (("家族史",), {"experiencer": "family"}),
    (("体格检查", "查体", "专科检查", "专科情况"), {}),
    (("辅助检查",), {}),
    (("入院诊断", "初步诊断", "术前诊断"), {}),
    (("出院诊断", "术后诊断", "最后诊断"), {}),
    (("诊疗经过", "治疗经过", "住院经过"), {}),
    (("出院医嘱", "医嘱"), {}),
):
    for _name in _names:
        SECTIONS[_name] = Section(_names[0], dict(_defaults))

_HEADER = re.compile(r"(?:^|(?<=[\n。;；]))\s*(?:[(（]?[0-9一二三四五六七八九十]+[)）.、．]?\s*)?("
                     + "|".join(sorted(SECTIONS, key=len, reverse=True)) + r")\s*[:：]")


def sections(text: str) -> list[tuple[int, str]]:
    """``(offset, header name)`` of every section header in ``text``, in order."""
    return [(m.start(1), m.group(1)) for m in _HEADER.finditer(text)]


def section_at(heads: list[tuple[int, str]], position: int) -> Section | None:
    """The section holding ``position`` (None before the first header)."""
    i = bisect.bisect_right([start for start, _ in heads], position)
    return SECTIONS[heads[i - 1][1]] if i else None
