"""One way of doing each thing: one registry class, one closed-config base, one ``package_versions``,
one data-folder rule, one ``kge_`` naming rule; ``core`` stays the lowest floor; no plugin import cycle.

The checks read the source with ``ast`` (definitions and imports, not words in comments).
"""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from repo_helpers import REPO, imported_modules, medkg_packages, parsed, python_files

import embeddings.registry
import extractor.plugins.registry
import linker.scorers
import linker.steps
from core.config import ClosedConfig, FrozenConfig
from core.registry import LazyRegistry

#: The packages of medkg besides ``core`` (which may import none of them, nor what they import).
OTHERS = tuple(p for p in medkg_packages() if p != "core")
#: What ``core`` may import besides the standard library.
CORE_MAY_IMPORT = {"core", "pydantic", "pydantic_core"}


def definitions(kind: type[ast.ClassDef | ast.FunctionDef], name: str) -> list[str]:
    """``file:line`` of every class or function of that name in the repository's Python files."""
    found = []
    for path in python_files():
        for node in ast.walk(parsed(path)):
            if isinstance(node, kind) and node.name == name:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    return found


def test_every_registry_is_the_one_lazy_registry() -> None:
    registries = {"linker steps": linker.steps.REGISTRY, "linker scorers": linker.scorers.REGISTRY,
                  "KGE models": embeddings.registry.MODELS, "extraction plugins": extractor.plugins.registry.REGISTRY}
    for what, registry in registries.items():
        assert isinstance(registry, LazyRegistry), what
    classes = [f"{path.relative_to(REPO)}:{node.lineno} {node.name}" for path in python_files()
               for node in ast.walk(parsed(path)) if isinstance(node, ast.ClassDef) and "Registry" in node.name]
    assert [(c.split(":")[0], c.split()[-1]) for c in classes] == [("core/registry.py", "LazyRegistry")], classes


def test_registries_keep_their_public_functions() -> None:
    assert linker.steps.get_step("exact").__name__ == "ExactStep" and "fuzzy" in linker.steps.step_names()
    assert linker.scorers.get_scorer("lcs_mix").__name__ == "LcsMixScorer"
    assert embeddings.registry.MODELS.builtin["transr"] == "embeddings.models:GroupedTransR"
    assert embeddings.registry.resolve_model("TransR").cls_name == "GroupedTransR"
    plugins = extractor.plugins.registry
    assert plugins.find_spec("kg-linker").entry_point == "extractor.plugins.linking:KGLinker"
    assert set(plugins.REGISTRY.builtin) == {spec.id for spec in plugins.builtin_specs()}


def test_one_closed_config_base() -> None:
    assert definitions(ast.ClassDef, "_Closed") == []
    for name in ("ClosedConfig", "FrozenConfig"):
        found = definitions(ast.ClassDef, name)
        assert [d.split(":")[0] for d in found] == ["core/config.py"], found
    # no package class closes itself by hand: it derives from ClosedConfig or FrozenConfig
    by_hand = []
    for path in python_files(*OTHERS):
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "model_config"
                                                    for t in node.targets):
                source = ast.unparse(node.value)
                if source.startswith("ConfigDict(") and "extra='forbid'" in source:
                    by_hand.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not by_hand, f"derive from core.config.ClosedConfig / FrozenConfig instead: {by_hand}"


def test_the_configs_stay_as_closed_as_they_were() -> None:
    from embeddings.config import KGEConfig
    from extractor.config import TaggerConfig
    from linker.config import LinkerConfig

    for frozen in (KGEConfig, LinkerConfig):
        assert issubclass(frozen, FrozenConfig) and frozen.model_config["frozen"] is True
    assert issubclass(TaggerConfig, ClosedConfig) and not TaggerConfig.model_config.get("frozen", False)
    for closed in (KGEConfig, LinkerConfig, TaggerConfig):
        assert closed.model_config["extra"] == "forbid"


def test_one_package_versions() -> None:
    found = definitions(ast.FunctionDef, "package_versions")
    assert [d.split(":")[0] for d in found] == ["core/versions.py"], found


def test_one_kge_property_rule() -> None:
    for name in ("property_name", "check_property_name"):
        found = definitions(ast.FunctionDef, name)
        assert [d.split(":")[0] for d in found] == ["graph/kge/store.py"], (name, found)


def test_one_data_folder_rule() -> None:
    # only core.paths reads MEDKG_DATA_DIR from the environment; everything else asks it
    readers = []
    for path in python_files():
        for node in ast.walk(parsed(path)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"get", "getenv"}
                    and any(isinstance(a, ast.Constant) and a.value == "MEDKG_DATA_DIR" for a in node.args)):
                readers.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not readers, f"use core.paths.default_data_dir(): {readers}"


def test_core_imports_nothing_of_medkg() -> None:
    files = python_files("core")
    assert {p.name for p in files} >= {"__init__.py", "config.py", "registry.py", "versions.py", "paths.py"}
    bad = []
    for path in files:
        for line, module in imported_modules(parsed(path)):
            top = module.split(".")[0]
            if module.startswith(".") or top == "core" or top == "__future__":
                continue
            if top in OTHERS or (top not in sys.stdlib_module_names and top not in CORE_MAY_IMPORT):
                bad.append(f"{path.relative_to(REPO)}:{line}: {module}")
    assert not bad, f"core is the lowest floor (standard library and pydantic only): {bad}"


def test_importing_core_loads_no_medkg_package() -> None:
    code = ("import sys, core, core.config, core.paths, core.registry, core.versions\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            f"{OTHERS!r} + ('neo4j', 'torch', 'numpy'))\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)


@pytest.mark.parametrize("path", ["extractor/plugin.py"])
def test_the_plugin_protocol_does_not_import_the_plugins(path: str) -> None:
    # extractor.plugins.tagger imports extractor.plugin; a way back (a compatibility shim) made a cycle
    tree = parsed(REPO / path)
    back = [f"{path}:{line}: {module}" for line, module in imported_modules(tree)
            if module == "extractor.plugins" or module.startswith("extractor.plugins.")]
    assert not back
    assert not any(isinstance(node, ast.FunctionDef) and node.name == "__getattr__" for node in tree.body)
