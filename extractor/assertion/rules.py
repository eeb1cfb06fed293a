"""Chinese ConText rule files: read, check, fingerprint.

A rule file is UTF-8 text, one rule per line, tab-separated ``id category direction scope pattern note``;
``#`` starts a comment line. ``category`` is what a trigger asserts (``negated``, ``possible``,
``hypothetical``, ``historical``, ``family``, ``other``), or ``pseudo`` (looks like a trigger and is not: it
cancels every trigger it overlaps) or ``terminate`` (ends every scope, as a clause terminator does).
``direction`` is ``forward`` (the trigger precedes the mention), ``backward`` (follows it) or ``both``; ``-``
for pseudo and terminate rules. ``scope`` is the most characters between trigger and mention, ``0`` for the
rest of the clause. ``pattern`` is a Python regular expression matched on the folded text (see
:func:`extractor.assertion.context.fold`).

The rules medkg ships are ``extractor/assertion/data/zh_context_v1.tsv``; users pass their own file.

Example:
    >>> rules = load_rules()
    >>> rules.version, rules.by_id["neg-fouren"].category
    ('zh_context_v1', 'negated')
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CATEGORIES", "DEFAULT_RULES", "DIRECTIONS", "Rule", "RuleError", "RuleSet", "load_rules", "parse_rules"]

DEFAULT_RULES = Path(__file__).resolve().parent / "data" / "zh_context_v1.tsv"
#: Category -> (dimension, value) it sets; pseudo and terminate set nothing.
CATEGORIES: dict[str, tuple[str, str] | None] = {
    "negated": ("certainty", "negated"), "possible": ("certainty", "possible"),
    "hypothetical": ("temporality", "hypothetical"), "historical": ("temporality", "historical"),
    "family": ("experiencer", "family"), "other": ("experiencer", "other"), "pseudo": None, "terminate": None,
}
DIRECTIONS = ("forward", "backward", "both")
_FIELDS = ("id", "category", "direction", "scope", "pattern", "note")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class RuleError(ValueError):
    """A malformed rule file (the message is ``file:line field: reason``)."""


@dataclass(frozen=True)
class Rule:
    """One trigger, pseudo-trigger or terminator."""

    id: str
    category: str
    direction: str
    scope: int
    pattern: re.Pattern[str]
    note: str = ""

    @property
    def sets(self) -> tuple[str, str] | None:
        """(dimension, value) this trigger asserts, or None (pseudo, terminate)."""
        return CATEGORIES[self.category]


@dataclass(frozen=True)
class RuleSet:
    """The rules of one file, with the file's name (its version) and checksum."""

    version: str
    sha256: str
    rules: tuple[Rule, ...]
    by_id: dict[str, Rule] = field(repr=False, default_factory=dict)

    def of(self, *categories: str) -> tuple[Rule, ...]:
        """The rules of the given categories, in file order."""
        return tuple(r for r in self.rules if r.category in categories)


def _rule(fields: list[str], where: str) -> Rule:
    if len(fields) < 5:
        raise RuleError(f"{where}: expected the tab-separated fields {', '.join(_FIELDS)}; got {len(fields)} field(s)")
    rule_id, category, direction, scope_text, pattern = (f.strip() for f in fields[:5])
    note = fields[5].strip() if len(fields) > 5 else ""
    if not _ID.match(rule_id):
        raise RuleError(f"{where} id: {rule_id!r} is not a rule id (lower-case letters, digits and -)")
    if category not in CATEGORIES:
        raise RuleError(f"{where} category: unknown category {category!r}; one of {', '.join(CATEGORIES)}")
    structural = CATEGORIES[category] is None
    if structural and direction != "-":
        raise RuleError(f"{where} direction: a {category} rule has no direction; write -")
    if not structural and direction not in DIRECTIONS:
        raise RuleError(f"{where} direction: unknown direction {direction!r}; one of {', '.join(DIRECTIONS)}")
    try:
        scope = int(scope_text)
    except ValueError:
        raise RuleError(f"{where} scope: {scope_text!r} is not a whole number of characters") from None
    if scope < 0:
        raise RuleError(f"{where} scope: {scope} is negative")
    if not pattern:
        raise RuleError(f"{where} pattern: the trigger is empty")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise RuleError(f"{where} pattern: invalid regular expression {pattern!r} ({exc})") from None
    if compiled.match(""):
        raise RuleError(f"{where} pattern: {pattern!r} matches the empty string")
    return Rule(rule_id, category, direction, scope, compiled, note)


def parse_rules(text: str, name: str = "rules") -> RuleSet:
    """A :class:`RuleSet` from the text of a rule file called ``name``.

    Raises:
        RuleError: A malformed line or a rule id given twice (``file:line field: reason``).
    """
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rule = _rule(line.rstrip("\r").split("\t"), f"{name}:{number}")
        if rule.id in seen:
            raise RuleError(f"{name}:{number} id: rule {rule.id!r} is also on line {seen[rule.id]}")
        seen[rule.id] = number
        rules.append(rule)
    if not rules:
        raise RuleError(f"{name}: no rules")
    version = name.rsplit("/", 1)[-1].removesuffix(".tsv")
    return RuleSet(version, hashlib.sha256(text.encode("utf-8")).hexdigest(), tuple(rules),
                   {r.id: r for r in rules})


def load_rules(path: Path | str = DEFAULT_RULES) -> RuleSet:
    """The rule set of a file (default: the rules medkg ships).

    Raises:
        RuleError: A malformed file, or one that cannot be read as UTF-8.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError(f"{path}:?: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise RuleError(f"{path}: cannot read the rule file ({exc.strerror})") from None
    return parse_rules(text, str(path))
