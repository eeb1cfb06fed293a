"""Normalisation of mentions and KG names, rule by rule.

Plain rules run on every string, in this fixed order; names and mentions go through the same ones,
so a rule only has to be right about *equivalence*, not about the "correct" spelling:

- ``fullwidth``: Unicode NFKC (full-width -> half-width, ``Ⅱ`` -> ``II``, compatibility ideographs).
- ``control``: drop control, format and private-use characters (zero-width joiners, BOM, ...).
- ``t2s``: traditional -> simplified Chinese with OpenCC ``t2s`` (skipped when no character could change).
- ``casefold``: Unicode case folding (``CT`` -> ``ct``).
- ``numerals``: Roman and Chinese numerals before 型/期/度/级/类/相 become Arabic (``II型`` -> ``2型``).
- ``whitespace``: drop all whitespace.
- ``punctuation``: drop punctuation and symbols (Unicode P* and S*, emoji, variation selectors).

Variant rules strip clinical modifiers that are not part of the concept. They never change the plain
form; they produce *variants* that the linker tries after it, with a score penalty per rule, so
``急性胰腺炎`` still matches exactly when the KG has it and falls back to ``胰腺炎`` when it does not:
``laterality`` (左/右/双侧...), ``acuity`` (急性/慢性/亚急性), ``postop`` (...术后), ``uncertainty``
(疑似/考虑/...可能/待查), ``history`` (...史), ``dosage_form`` (...片/胶囊/注射液, 注射用...),
``drug_salt`` (盐酸.../...钠), ``check_suffix`` (...检查/测定, 血清...).

Names also get *derived keys*: ``parenthetical`` splits ``癌胚抗原（CEA）`` into ``癌胚抗原`` and ``cea``;
``dosage_form``/``drug_salt`` apply to Drug and Producer names, ``check_suffix`` to Check names.

Example:
    >>> norm = Normalizer()
    >>> norm.normalize("ＣＴ 檢查")
    'ct检查'
    >>> [v.text for v in norm.variants(norm.normalize("左侧急性胰腺炎"))][:2]
    ['急性胰腺炎', '胰腺炎']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from opencc import OpenCC

from linker.config import NormalizerConfig

__all__ = [
    "NAME_RULE_LABELS",
    "PLAIN_RULES",
    "VARIANT_RULES",
    "Normalizer",
    "Variant",
    "length_preserving_table",
]

PLAIN_RULES: tuple[str, ...] = (
    "fullwidth", "control", "t2s", "casefold", "numerals", "whitespace", "punctuation"
)
VARIANT_RULES: tuple[str, ...] = (
    "laterality", "acuity", "postop", "uncertainty", "history", "dosage_form", "drug_salt", "check_suffix"
)
NAME_RULE_LABELS: dict[str, frozenset[str]] = {
    "dosage_form": frozenset({"Drug", "Producer"}),
    "drug_salt": frozenset({"Drug", "Producer"}),
    "check_suffix": frozenset({"Check"}),
}
"""Variant rules that also derive index keys from names, and the KG labels they apply to."""


@dataclass(frozen=True, slots=True)
class Variant:
    """A modifier-stripped or derived form and the rules that produced it."""

    text: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class _AffixRule:
    """Strip the longest matching prefix and/or suffix, keeping a stem of ``min_stem`` characters."""

    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    min_stem: int = 2
    keep_after: str = ""
    """A suffix is kept when the stem would end with one of these characters (氯化钠 stays 氯化钠)."""

    def apply(self, text: str) -> str | None:
        out = text
        # startswith/endswith with a tuple is one C call; most strings match no affix at all.
        if self.prefixes and out.startswith(self.prefixes):
            for prefix in self.prefixes:
                if out.startswith(prefix):
                    if len(out) - len(prefix) >= self.min_stem:
                        out = out[len(prefix):]
                    break
        if self.suffixes and out.endswith(self.suffixes):
            for suffix in self.suffixes:
                if out.endswith(suffix):
                    stem = out[: -len(suffix)]
                    if len(stem) >= self.min_stem and not (self.keep_after and stem[-1] in self.keep_after):
                        out = stem
                    break
        return out if out != text else None


def _longest_first(*items: str) -> tuple[str, ...]:
    return tuple(sorted(items, key=len, reverse=True))


# Affixes are written after plain normalisation (simplified, lower case, no punctuation).
_VARIANT_IMPL: dict[str, _AffixRule] = {
    "laterality": _AffixRule(
        prefixes=_longest_first("左右两侧", "双侧", "两侧", "单侧", "左侧", "右侧", "左右", "左", "右", "双")
    ),
    "acuity": _AffixRule(prefixes=_longest_first("急慢性", "亚急性", "急性", "慢性")),
    "postop": _AffixRule(suffixes=_longest_first("根治术后", "切除术后", "术后")),
    "uncertainty": _AffixRule(
        prefixes=_longest_first("疑似", "疑诊", "可疑", "考虑", "拟诊", "怀疑", "不除外", "除外"),
        suffixes=_longest_first("可能性大", "可能性", "可能", "待查", "待排", "待除外", "不除外"),
    ),
    "history": _AffixRule(prefixes=("既往",), suffixes=_longest_first("既往史", "病史", "史")),
    "dosage_form": _AffixRule(
        prefixes=("注射用",),
        suffixes=_longest_first(
            "缓释片", "控释片", "肠溶片", "分散片", "咀嚼片", "泡腾片", "薄膜衣片", "含片", "片",
            "缓释胶囊", "肠溶胶囊", "软胶囊", "胶囊", "注射液", "注射剂", "粉针剂", "冻干粉针", "粉针",
            "颗粒", "口服液", "口服溶液", "糖浆", "滴眼液", "滴丸", "丸", "乳膏", "软膏", "凝胶",
            "喷雾剂", "气雾剂", "混悬液", "干混悬剂", "贴剂", "贴膏", "合剂",
        ),
    ),
    "drug_salt": _AffixRule(
        prefixes=_longest_first(
            "盐酸", "硫酸氢", "硫酸", "磷酸", "甲磺酸", "苯磺酸", "马来酸", "酒石酸", "琥珀酸", "醋酸",
            "枸橼酸", "富马酸", "乳酸", "门冬氨酸",
        ),
        suffixes=_longest_first("二钠", "钠", "钾", "钙", "镁"),
        keep_after="化酸",
    ),
    "check_suffix": _AffixRule(
        prefixes=_longest_first("血清", "血浆"),
        suffixes=_longest_first("检查", "检测", "测定", "检验", "化验", "测量", "筛查"),
    ),
}

_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8",
          "ix": "9", "x": "10"}
_CHINESE_DIGITS = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6"}
_NUMERAL_RE = re.compile(
    r"(?<![a-z])(viii|vii|iii|ii|iv|ix|vi|i|v|x)(?=[型期度级类相])"  # Roman, after casefold
    r"|([一二三四五六])(?=[型期度级])",
    re.IGNORECASE,
)
# Unicode Roman numeral characters, for when the NFKC rule (which expands them) is switched off.
_ROMAN_CHARS = {0x2160 + i: v for i, v in enumerate(
    ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"])}
_ROMAN_CHARS.update({0x2170 + i: v.lower() for i, v in enumerate(
    ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"])})
_PAREN_RE = re.compile(r"^(?P<outer>[^（(]*)[（(](?P<inner>[^)）]*)[)）]?(?P<tail>.*)$")
_INNER_SPLIT_RE = re.compile(r"[,，、;；/／]")


def _numerals(text: str) -> str:
    text = text.translate(_ROMAN_CHARS)

    def repl(m: re.Match[str]) -> str:
        return _ROMAN[m.group(1).lower()] if m.group(1) else _CHINESE_DIGITS[m.group(2)]

    return _NUMERAL_RE.sub(repl, text)


class _DeleteTable(dict[int, int | None]):
    """Lazily filled ``str.translate`` table deleting whole Unicode categories.

    Building the table for all 1.1M code points up front would cost a second at import; characters
    are classified the first time they are seen instead.
    """

    def __init__(self, control: bool, whitespace: bool, punctuation: bool) -> None:
        super().__init__()
        self._control, self._whitespace, self._punct = control, whitespace, punctuation

    def __missing__(self, code: int) -> int | None:
        ch = chr(code)
        cat = unicodedata.category(ch)
        delete = (
            (self._control and cat[0] == "C")
            or (self._whitespace and (ch.isspace() or cat[0] == "Z"))
            or (self._punct and (cat[0] in "PS" or cat == "Me" or 0xFE00 <= code <= 0xFE0F
                                 or 0xE0100 <= code <= 0xE01EF))
        )
        value = None if delete else code
        self[code] = value
        return value


@lru_cache(maxsize=1)
def _t2s() -> tuple[OpenCC, frozenset[str] | None]:
    """The OpenCC converter and the characters that can trigger a conversion (``None``: unknown)."""
    cc = OpenCC("t2s")
    # The t2s chain uses exactly these two dictionaries. Output can only differ from input at a
    # character that some entry rewrites, so a string with none of those characters converts to
    # itself and the conversion (about 6 us a call) is skipped.
    trigger: set[str] = set()
    try:
        root = resources.files("opencc") / "dictionary"
        for fname in ("TSCharacters.txt", "TSPhrases.txt"):
            for line in (root / fname).read_text(encoding="utf-8").splitlines():
                key, _, values = line.partition("\t")
                value = values.split(" ")[0].strip()
                if len(key) != len(value):
                    trigger.update(key)
                else:
                    trigger.update(k for k, v in zip(key, value, strict=True) if k != v)
    except (OSError, ModuleNotFoundError):
        return cc, None
    return cc, frozenset(trigger)


def _make_t2s() -> Callable[[str], str]:
    cc, trigger = _t2s()
    if trigger is None:
        convert_all: Callable[[str], str] = cc.convert  # OpenCC ships no annotations
        return convert_all

    def convert(text: str) -> str:
        return cc.convert(text) if not trigger.isdisjoint(text) else text

    return convert


class Normalizer:
    """Applies the enabled rules of a :class:`NormalizerConfig`.

    Example:
        >>> Normalizer(NormalizerConfig(rules=("casefold",))).normalize("MRI 检查")
        'mri 检查'
    """

    def __init__(self, config: NormalizerConfig | None = None) -> None:
        self.config = config or NormalizerConfig()
        enabled = set(self.config.rules)
        self._steps: list[Callable[[str], str]] = []
        if "fullwidth" in enabled:
            self._steps.append(lambda s: unicodedata.normalize("NFKC", s))
        if "t2s" in enabled:
            self._steps.append(_make_t2s())
        if "casefold" in enabled:
            self._steps.append(str.casefold)
        if "numerals" in enabled:
            self._steps.append(_numerals)
        deletions = [name in enabled for name in ("control", "whitespace", "punctuation")]
        # One translate does all three deletions. It runs before the other rules too, so that they see
        # clean text ("II 型" must reach the numerals rule as "II型"), and again after them, because
        # NFKC can produce new symbols ("℃" -> "°C").
        self._delete = _DeleteTable(*deletions) if any(deletions) else None
        self._variant_rules = [name for name in VARIANT_RULES if name in enabled]
        self._parenthetical = "parenthetical" in enabled

    def normalize(self, text: str) -> str:
        """Plain normalised form of ``text`` (capped to ``max_chars``).

        Raises:
            TypeError: If ``text`` is not a string.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        out = text[: self.config.max_input_chars]
        if self._delete is not None and self._steps:
            out = out.translate(self._delete)
        for step in self._steps:
            out = step(out)
        if self._delete is not None:
            out = out.translate(self._delete)
        return out[: self.config.max_chars]

    def variants(self, normalized: str, rules: tuple[str, ...] | None = None) -> list[Variant]:
        """Modifier-stripped variants of an already normalised string, fewest rules first.

        Args:
            normalized: Output of :meth:`normalize`.
            rules: Variant rules to use (default: every enabled variant rule).

        Returns:
            Up to ``max_variants`` distinct variants, excluding ``normalized`` itself.
        """
        names = self._variant_rules if rules is None else [r for r in self._variant_rules if r in rules]
        limit = self.config.max_variants
        out: list[Variant] = []
        seen = {normalized}
        frontier: list[Variant] = [Variant(normalized, ())]
        while frontier and len(out) < limit:
            following: list[Variant] = []
            for current in frontier:
                for name in names:
                    if name in current.rules:
                        continue
                    new = _VARIANT_IMPL[name].apply(current.text)
                    if new and new not in seen:
                        seen.add(new)
                        variant = Variant(new, (*current.rules, name))
                        out.append(variant)
                        following.append(variant)
                        if len(out) >= limit:
                            return out
            frontier = following
        return out

    def name_keys(self, name: str, label: str) -> tuple[str, list[Variant]]:
        """Index keys of a KG name: its normalised form and the keys derived from it.

        Args:
            name: The raw name (parentheses intact).
            label: The record's KG label (selects the name-side rules).

        Returns:
            The plain key and the derived keys (each naming the rules that produced it).
        """
        plain = self.normalize(name)
        bases: list[Variant] = []
        if self._parenthetical:
            for part in _parenthetical_parts(name):
                key = self.normalize(part)
                if len(key) >= 2 and key != plain:
                    bases.append(Variant(key, ("parenthetical",)))
        rules = tuple(r for r, labels in NAME_RULE_LABELS.items() if label in labels)
        derived: list[Variant] = []
        seen = {plain}
        for base in [Variant(plain, ()), *bases]:
            if base.text not in seen:
                seen.add(base.text)
                derived.append(base)
            if rules:
                for variant in self.variants(base.text, rules):
                    if variant.text not in seen:
                        seen.add(variant.text)
                        derived.append(Variant(variant.text, (*base.rules, *variant.rules)))
        return plain, derived


def _parenthetical_parts(name: str) -> list[str]:
    """``癌胚抗原（CEA）`` -> ``['癌胚抗原', 'CEA']``; truncated contents (``...``) are dropped."""
    m = _PAREN_RE.match(name)
    if m is None:
        return []
    parts = [m.group("outer") + m.group("tail")]
    inner = m.group("inner")
    if not inner.endswith(("...", "…")):
        parts.extend(p for p in _INNER_SPLIT_RE.split(inner) if p.strip())
    return parts


@lru_cache(maxsize=8)
def length_preserving_table(
    fullwidth: bool = True, casefold: bool = True, t2s: bool = True
) -> dict[int, str]:
    """A ``str.translate`` table that folds one character to exactly one character.

    Used by the gazetteer, whose offsets must index the original text: NFKC, case folding and t2s
    are applied per character and kept only where they give a single character (``Ⅱ`` -> ``II`` and
    phrase-level t2s conversions are therefore not applied).

    Args:
        fullwidth: Fold compatibility forms (full-width Latin, ideographic space, ...).
        casefold: Fold case.
        t2s: Convert traditional characters to simplified ones.
    """
    table: dict[int, str] = {}
    if fullwidth:
        for code in range(0x20, 0x10000):
            ch = chr(code)
            folded = unicodedata.normalize("NFKC", ch)
            if folded != ch and len(folded) == 1:
                table[code] = folded
    if t2s:
        cc, trigger = _t2s()
        candidates = trigger if trigger is not None else map(chr, range(0x3400, 0xA000))
        for ch in candidates:
            out = cc.convert(ch)
            if len(ch) == 1 and len(out) == 1 and out != ch:
                table[ord(ch)] = table.get(ord(out), out)
    if casefold:
        for code in range(0x20, 0x10000):
            ch = table.get(code, chr(code))
            folded = ch.casefold()
            if folded != ch and len(folded) == 1:
                table[code] = folded
    return table
