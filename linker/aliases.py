"""The curated alias/abbreviation table and extra alias files.

The table maps a surface form to the *name* of a target concept, optionally restricted to one KG
label. Targets are resolved when the index is built (``ConceptIndex``); entries whose target the
index lacks are counted as unresolved and otherwise ignored, so the table can be broader than any one
KG.

File format (UTF-8, ``#`` starts a comment line)::

    alias<TAB>target name<TAB>KG label or empty

Example:
    >>> entries = load_alias_table()
    >>> any(e.alias == "冠心病" for e in entries)
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = ["AliasEntry", "load_alias_table", "parse_alias_lines"]

_PACKAGED = "data/aliases.tsv"


@dataclass(frozen=True, slots=True)
class AliasEntry:
    """One alias line: ``alias`` names the concept called ``target`` (under ``label`` if given)."""

    alias: str
    target: str
    label: str | None = None


def parse_alias_lines(lines: list[str], source: str) -> list[AliasEntry]:
    """Parse alias TSV lines.

    Args:
        lines: File lines.
        source: Name used in error messages.

    Raises:
        ValueError: On a line without a target, naming the file and line number.
    """
    entries: list[AliasEntry] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 2 or not cols[0].strip() or not cols[1].strip():
            raise ValueError(f"{source}:{number}: expected 'alias<TAB>target[<TAB>label]', got {line!r}")
        label = cols[2].strip() if len(cols) > 2 and cols[2].strip() else None
        entries.append(AliasEntry(cols[0].strip(), cols[1].strip(), label))
    return entries


def load_alias_table(path: Path | None = None) -> list[AliasEntry]:
    """Load an alias table; the packaged curated table when ``path`` is ``None``.

    Raises:
        FileNotFoundError: If the packaged table is missing (it must be shipped as package data:
            ``[tool.setuptools.package-data] linker = ["data/*.tsv"]``).
    """
    if path is not None:
        return parse_alias_lines(Path(path).read_text(encoding="utf-8").splitlines(), str(path))
    resource = resources.files("linker").joinpath(_PACKAGED)
    try:
        text = resource.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"linker/{_PACKAGED} is missing from the installed package; declare it as package data "
            '([tool.setuptools.package-data] linker = ["data/*.tsv"]) or set curated_aliases=False'
        ) from exc
    return parse_alias_lines(text.splitlines(), f"linker/{_PACKAGED}")
