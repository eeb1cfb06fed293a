"""The floors of the house, checked on the source: pure libraries at the bottom (no Neo4j, no ``graph``), the
Neo4j adapter ``graph`` above them, the application layer ``app`` on top, which nothing else imports; and no
import cycle, between packages or between modules.

Imports inside functions count: a lazy import is still a dependency.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from repo_helpers import REPO, imported_modules, medkg_packages, module_name, parsed, python_files

#: What each package is for; a new package must be placed here (and in pyproject.toml) before it lands.
FLOORS = {
    "core": "pure: the rules every package shares",
    "kgmodel": "pure: the KG's labels, relation types and ids, and readers of KG files",
    "linker": "pure: mention -> concept linking",
    "embeddings": "pure: KG embedding training",
    "extractor": "pure: tagger, extraction plugins, relations, assertion",
    "cypher": "data: the Cypher statements as files",
    "graph": "the Neo4j adapter: everything that talks to the database",
    "app": "the application layer: the medkg command, the demo, the training recipe, the report",
}
PURE = ("core", "kgmodel", "linker", "embeddings", "extractor")
#: What no pure library may import (directly or inside a function).
NOT_IN_PURE = ("neo4j", "graph", "app")


def module_imports() -> dict[str, set[str]]:
    """Every medkg module and the medkg modules it imports (``from a import b`` trimmed to the module)."""
    files = python_files(*medkg_packages())
    modules = {module_name(path): path for path in files}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for _, imported in imported_modules(parsed(path), name, path.name == "__init__.py"):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            # a module's own packages are imported before it anyway: naming them is not a way back
            if imported and imported != name and not name.startswith(f"{imported}."):
                targets.add(imported)
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> Iterator[list[str]]:
    """The strongly connected components with more than one node (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        yield sorted(component)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])


def test_every_package_has_a_floor() -> None:
    installed = set(medkg_packages())
    assert installed == set(FLOORS), f"place each package in FLOORS and pyproject.toml: {installed ^ set(FLOORS)}"
    on_disk = {p.parent.name for p in REPO.glob("*/__init__.py")} - {"tests", "benchmarks"}
    assert on_disk <= installed, f"packages pyproject.toml does not install: {sorted(on_disk - installed)}"


@pytest.mark.parametrize("package", PURE)
def test_pure_libraries_import_neither_neo4j_nor_graph_nor_app(package: str) -> None:
    bad = [f"{path.relative_to(REPO)}:{line}: {module}" for path in python_files(package)
           for line, module in imported_modules(parsed(path)) if module.split(".")[0] in NOT_IN_PURE]
    assert not bad, f"{package} is a pure library: {bad}"


def test_no_library_imports_the_application_layer() -> None:
    libraries = [p for p in medkg_packages() if p != "app"]
    bad = [f"{path.relative_to(REPO)}:{line}: {module}" for path in python_files(*libraries)
           for line, module in imported_modules(parsed(path)) if module.split(".")[0] == "app"]
    assert not bad, f"only the application layer (and tests, benchmarks) may import app: {bad}"


def test_no_library_starts_the_cli_by_name() -> None:
    # a library that runs ``python -c "from app.cli import app"`` imports the CLI where no import shows it
    libraries = [p for p in medkg_packages() if p != "app"]
    bad = [f"{path.relative_to(REPO)}" for path in python_files(*libraries)
           if "app.cli" in path.read_text(encoding="utf-8")]
    assert not bad, f"the application layer passes the command line; libraries do not name the CLI: {bad}"


def test_no_cycle_between_packages() -> None:
    edges: dict[str, set[str]] = {}
    for module, targets in module_imports().items():
        top = module.split(".")[0]
        edges.setdefault(top, set()).update(t.split(".")[0] for t in targets if t.split(".")[0] != top)
    assert list(cycles(edges)) == []


def test_no_cycle_between_modules() -> None:
    found = list(cycles(module_imports()))
    assert not found, f"import cycles: {found}"


def test_the_cycle_check_sees_a_cycle() -> None:
    assert list(cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})) == [["a", "b", "c"]]
    assert list(cycles({"a": {"b"}, "b": set()})) == []


def test_the_layer_checks_see_the_real_imports() -> None:
    edges = module_imports()
    assert "graph.db.connection" in edges["graph.kg.loader"] and "kgmodel.model" in edges["graph.kg.loader"]
    assert any(t.startswith("graph.") for t in edges["app.cli.kg"])


@pytest.mark.parametrize("package", ["kgmodel"])
def test_importing_a_pure_package_loads_no_neo4j(package: str) -> None:
    modules = sorted(module_name(p) for p in python_files(package))
    code = (f"import {', '.join(modules)}\nimport sys\n"
            f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {NOT_IN_PURE!r})\nassert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=120)
