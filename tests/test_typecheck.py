"""The annotations are checked: mypy is configured as the house rules say, and ``make test`` runs it.

- every package of the repository is in mypy's ``files`` (a moved or new package cannot slip out unchecked);
- the pure libraries get every flag of ``--strict``, the rest at least ``check_untyped_defs``;
- missing stubs are ignored only per named third-party module, never for everything;
- ``make test`` runs ``make lint``, which runs mypy (``make typecheck``) and ruff, so CI fails on a type error;
- ruff reports a ``noqa`` for a rule that is not selected or not hit (RUF100).

mypy itself runs in ``make lint``, not here: a cold run takes about two minutes.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: The libraries that import neither neo4j nor the graph: typed all the way down.
PURE = ("core", "linker", "embeddings", "extractor")
#: What ``mypy --strict`` turns on that can be set per module (the rest are global and set globally).
STRICT_FLAGS = ("disallow_any_generics", "disallow_subclassing_any", "disallow_untyped_calls",
                "disallow_untyped_defs", "disallow_incomplete_defs", "disallow_untyped_decorators",
                "warn_return_any", "no_implicit_reexport", "strict_equality", "extra_checks")


@cache
def _mypy() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]


def _targets(makefile: str, target: str) -> tuple[list[str], str]:
    """The prerequisites and the recipe of one Makefile target."""
    found = re.search(rf"^{target}:([^\n]*)\n((?:\t[^\n]*\n)*)", makefile, re.MULTILINE)
    assert found, f"Makefile has no {target!r} target"
    return found.group(1).split(), found.group(2)


def test_every_package_is_type_checked() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages, "no package found beside tests/"
    assert packages <= set(_mypy()["files"]), f"not in [tool.mypy] files: {sorted(packages - set(_mypy()['files']))}"


def test_pure_libraries_are_strict_and_the_rest_checked() -> None:
    mypy = _mypy()
    assert mypy["check_untyped_defs"] is True
    assert mypy["warn_unused_ignores"] is True and mypy["warn_redundant_casts"] is True
    assert "ignore-without-code" in mypy["enable_error_code"]
    strict = [o for o in mypy["overrides"] if o.get("disallow_untyped_defs")]
    assert len(strict) == 1, "one override holds the strict flags"
    for name in PURE:
        assert f"{name}.*" in strict[0]["module"], f"{name} is not strict"
    assert [flag for flag in STRICT_FLAGS if strict[0].get(flag) is not True] == []


def test_missing_stubs_are_ignored_only_by_name() -> None:
    mypy = _mypy()
    assert "ignore_missing_imports" not in mypy
    for override in mypy["overrides"]:
        if override.get("ignore_missing_imports"):
            modules = override["module"]
            assert all(not m.startswith(PURE) and m != "*" for m in modules), modules


def test_make_test_runs_mypy_and_ruff() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "lint" in _targets(makefile, "test")[0]
    lint_needs, lint_recipe = _targets(makefile, "lint")
    assert "typecheck" in lint_needs and "ruff check" in lint_recipe
    assert "/mypy" in _targets(makefile, "typecheck")[1]


def test_ruff_flags_noqa_for_rules_not_selected() -> None:
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]["lint"]
    assert "RUF100" in lint["select"]
