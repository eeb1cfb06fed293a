"""Realistic misspellings of KG names, for the evaluation set.

The confusion tables below were written for this project from common Chinese input errors: pinyin
input picks a same-sounding character (homophones, e.g. 氟 -> 福, 炎 -> 言), handwriting and OCR confuse
similar-looking ones (near forms, e.g. 疸 -> 疽, 胃 -> 谓). Other perturbations: a dropped or doubled
character, an abbreviation, a clinical modifier (左侧/急性/...术后), traditional characters, and surface
noise (full-width Latin, a stray space). Abbreviations are a curated short form of the name when the
alias table has one (冠心病 for 冠状动脉粥样硬化性心脏病), else the name without an inner 性 or a final
症/病, as clinical text often writes it.

Character swaps and drops are only applied to names of four or more characters: a two- or
three-character name with one character changed keeps too little to be recovered without pinyin or
context, and such typos are rarer in short, frequent terms.

Example:
    >>> import random
    >>> perturb("氟尿嘧啶注射液", "homophone", random.Random(0), "Drug") != "氟尿嘧啶注射液"
    True
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import lru_cache

from opencc import OpenCC

from linker.aliases import load_alias_table

__all__ = ["HOMOPHONES", "KINDS", "MODIFIERS", "NEAR_FORMS", "perturb"]

HOMOPHONES: dict[str, str] = {
    "炎": "言延严盐", "氟": "福弗伏", "症": "证正政", "瘤": "流留刘", "癌": "挨艾", "胃": "谓卫喂",
    "肠": "长常尝", "肝": "干甘杆", "肺": "费废沸", "肾": "慎甚渗", "脾": "皮啤疲", "胆": "但担蛋",
    "痛": "通同", "疼": "腾藤", "血": "雪穴", "压": "鸭押", "糖": "唐塘堂", "脂": "指止纸",
    "瘫": "摊滩", "痹": "闭币毕", "癫": "颠巅", "痫": "闲贤嫌", "疹": "诊枕", "疱": "泡炮",
    "疮": "窗创", "菌": "君军均", "毒": "读独", "病": "并兵", "梗": "耿埂", "塞": "赛腮",
    "栓": "拴涮", "硬": "映应", "化": "话华划", "结": "节洁", "核": "合和何", "肿": "种中",
    "胀": "涨帐", "膀": "旁庞", "胱": "光广", "咳": "刻壳", "喘": "川传", "哮": "效孝",
    "疸": "胆但", "黄": "皇簧", "晕": "云运", "眩": "炫玄", "泻": "谢泄", "腹": "复附付",
    "痢": "利例", "疾": "及急", "酶": "梅霉没", "素": "诉速", "酸": "算蒜", "钙": "盖丐",
    "钾": "甲假", "钠": "那纳", "锌": "辛新", "氯": "绿律", "胺": "安氨", "醇": "纯淳",
    "唑": "坐座", "孢": "包胞", "沙": "砂莎", "星": "新心", "林": "淋临", "胶": "交浇",
    "颗": "棵科", "粒": "立力", "丸": "完玩", "膏": "高糕", "剂": "济际", "液": "夜页",
    "射": "摄社", "检": "减捡", "查": "察茶", "测": "侧策", "超": "抄潮", "影": "映颖",
    "像": "象向", "造": "早灶", "镜": "境静", "管": "关馆", "脉": "麦卖", "静": "净敬",
    "动": "冻洞", "脑": "恼闹", "神": "审申", "经": "精京", "综": "宗踪", "征": "正症",
    "慢": "漫曼", "急": "及集", "性": "姓型", "感": "赶敢", "染": "冉", "溃": "愧馈",
    "疡": "扬杨", "腺": "线县", "瘘": "漏楼", "疝": "山扇", "痔": "至志", "癣": "选鲜",
    "疣": "尤犹", "痒": "养氧", "骨": "古股", "关": "官观", "节": "结洁", "囊": "曩",
    "肌": "机鸡", "膜": "模摸", "脓": "农浓", "尿": "鸟", "炭": "碳叹", "碘": "典点",
    "磷": "鳞林", "蛋": "但弹", "白": "百柏", "抗": "康炕", "体": "题提", "原": "源元",
    "霉": "梅煤", "宫": "公功", "颈": "景井", "腔": "枪呛", "泌": "秘必", "乳": "辱",
}
"""Same-sounding characters a pinyin keyboard offers for each character (own table)."""

NEAR_FORMS: dict[str, str] = {
    "疸": "疽", "疽": "疸", "瘘": "痿", "痿": "瘘", "疖": "疔", "疔": "疖", "胃": "谓渭",
    "肠": "汤场", "肛": "缸扛", "胱": "恍", "脾": "牌婢", "肺": "沛柿", "肝": "杆汗",
    "胆": "坦袒", "肾": "贤竖", "膀": "傍滂", "嗽": "漱", "咳": "骇孩", "痛": "捅桶涌",
    "瘤": "榴溜", "溃": "馈愦", "疡": "汤扬", "疹": "诊珍", "炎": "淡谈", "氟": "佛拂",
    "氯": "绿", "氨": "氧", "钙": "钨", "钾": "钟", "酶": "霉", "醇": "醉", "酸": "峻",
    "唑": "挫", "胺": "按", "已": "己巳", "己": "已", "未": "末", "末": "未", "戊": "戌",
    "汗": "汁", "胀": "账", "肿": "钟", "腺": "線", "滨": "宾", "嘧": "密", "啶": "定",
    "哌": "派", "嗪": "秦", "烷": "浣", "烯": "稀", "酯": "脂", "苷": "甘", "碱": "减",
    "霜": "箱", "栓": "拴", "粒": "拉", "糖": "塘", "膜": "模", "腔": "控", "管": "菅",
    "脉": "咏", "静": "靖", "骼": "胳", "髓": "随", "胸": "匈", "脏": "赃", "腰": "要",
    "眼": "银", "睛": "晴", "膝": "漆", "腕": "碗", "踝": "裸", "肘": "肚", "颅": "庐",
    "瘫": "摊", "痪": "换", "痹": "脾", "痰": "淡", "疱": "泡", "疮": "仓", "癣": "鲜",
}
"""Similar-looking characters (handwriting, OCR and five-stroke input errors; own table)."""

MODIFIERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Disease": (("左侧", "右侧", "双侧", "急性", "慢性", "疑似", "考虑"), ("术后", "待查", "可能", "病史")),
    "Symptom": (("左侧", "右侧", "双侧"), ("待查",)),
}
"""Clinical modifiers added to names, per KG label: (prefixes, suffixes)."""

# Everyday abbreviations by dropping characters that Chinese clinical text often omits.
_DROPPABLE_INNER = "性"
_DROPPABLE_FINAL = "症病"

Perturbation = Callable[[str, random.Random, str], str | None]


def _swap(table: dict[str, str]) -> Perturbation:
    def swap(name: str, rng: random.Random, label: str) -> str | None:
        positions = [i for i, ch in enumerate(name) if ch in table]
        if len(name) < 4 or not positions:
            return None
        i = rng.choice(positions)
        return name[:i] + rng.choice(table[name[i]]) + name[i + 1 :]

    return swap


def _drop(name: str, rng: random.Random, label: str) -> str | None:
    if len(name) < 4:
        return None
    i = rng.randrange(len(name))
    return name[:i] + name[i + 1 :]


def _double(name: str, rng: random.Random, label: str) -> str | None:
    if len(name) < 2:
        return None
    i = rng.randrange(len(name))
    return name[: i + 1] + name[i:]


@lru_cache(maxsize=1)
def _curated_short_forms() -> dict[str, tuple[str, ...]]:
    """Target name -> its aliases in the curated table (abbreviations and trade names)."""
    short: dict[str, list[str]] = {}
    for entry in load_alias_table():
        short.setdefault(entry.target, []).append(entry.alias)
    return {k: tuple(v) for k, v in short.items()}


def _abbreviation(name: str, rng: random.Random, label: str) -> str | None:
    options = list(_curated_short_forms().get(name, ()))
    if len(name) >= 5:
        inner = enumerate(name[1:-1], start=1)
        options.extend(name[:i] + name[i + 1 :] for i, ch in inner if ch in _DROPPABLE_INNER)
    if len(name) >= 4 and name[-1] in _DROPPABLE_FINAL:
        options.append(name[:-1])
    return rng.choice(options) if options else None


def _modifier(name: str, rng: random.Random, label: str) -> str | None:
    if label not in MODIFIERS:
        return None
    prefixes, suffixes = MODIFIERS[label]
    choices = [p + name for p in prefixes if not name.startswith(p)] + [name + s for s in suffixes]
    return rng.choice(choices) if choices else None


@lru_cache(maxsize=1)
def _s2t() -> OpenCC:
    return OpenCC("s2t")


def _traditional(name: str, rng: random.Random, label: str) -> str | None:
    out = _s2t().convert(name)
    return out if out != name else None


def _surface(name: str, rng: random.Random, label: str) -> str | None:
    if any(ch.isascii() and ch.isalnum() for ch in name):
        # Full-width Latin and digits with flipped case, as typed with a Chinese IME in full-width mode.
        return "".join(chr(ord(c.swapcase()) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in name)
    if len(name) < 2:
        return None
    i = rng.randrange(1, len(name))
    return name[:i] + rng.choice(" 　") + name[i:]


KINDS: dict[str, Perturbation] = {
    "homophone": _swap(HOMOPHONES),
    "near_form": _swap(NEAR_FORMS),
    "drop": _drop,
    "double": _double,
    "abbreviation": _abbreviation,
    "modifier": _modifier,
    "traditional": _traditional,
    "surface": _surface,
}
"""Perturbation kinds by name."""


def perturb(name: str, kind: str, rng: random.Random, label: str) -> str | None:
    """Apply one perturbation kind to a name.

    Args:
        name: The KG name.
        kind: A key of :data:`KINDS`.
        rng: Source of randomness (seeded by the caller for determinism).
        label: The name's KG label (modifiers depend on it).

    Returns:
        The perturbed string, or ``None`` when the kind does not apply to this name.

    Raises:
        ValueError: If ``kind`` is unknown.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown perturbation {kind!r}; known: {', '.join(KINDS)}")
    out = KINDS[kind](name, rng, label)
    return out if out and out != name else None
