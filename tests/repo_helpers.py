"""The repository as the structure tests read it: its packages (from ``pyproject.toml``), their Python files and
what those files import (with ``ast``: definitions and imports, never words in comments). Importable from any
test folder."""

from __future__ import annotations

import ast
import functools
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

__all__ = ["REPO", "imported_modules", "medkg_packages", "module_name", "parsed", "python_files"]

REPO = Path(__file__).resolve().parents[1]


@functools.cache
def medkg_packages() -> tuple[str, ...]:
    """The top-level packages medkg installs, as ``pyproject.toml`` lists them (``core*`` -> ``core``)."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    return tuple(pattern.rstrip("*") for pattern in include)


@functools.cache
def python_files(*folders: str) -> list[Path]:
    """The tracked (or new, not ignored) ``.py`` files of the repository, under ``folders`` if given."""
    out = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                          "--", *(folders or ("*.py",))], capture_output=True, check=True, timeout=60).stdout
    return sorted({REPO / n for n in out.decode("utf-8").split("\0") if n.endswith(".py") and (REPO / n).is_file()})


@functools.cache
def parsed(path: Path) -> ast.Module:
    """The syntax tree of one Python file."""
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def module_name(path: Path) -> str:
    """``graph/kg/loader.py`` -> ``graph.kg.loader``; a package's ``__init__.py`` -> the package."""
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(tree: ast.Module, module: str = "", is_package: bool = False) -> Iterator[tuple[int, str]]:
    """``(line, module)`` of every import, inside functions too.

    ``from a.b import c`` gives ``a.b.c`` (the caller trims it to the module that exists); a relative import is
    resolved against ``module`` when it is given, else returned with its dots.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level and module:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = "." * node.level + (node.module or "")
            yield node.lineno, source
            if not source.endswith("."):
                yield from ((node.lineno, f"{source}.{alias.name}") for alias in node.names if alias.name != "*")
