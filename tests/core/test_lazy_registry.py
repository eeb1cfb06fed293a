"""core.registry: names mapped to ``module:attribute``, imported on first use; unknown names listed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.registry import LazyRegistry, load_reference

REPO = Path(__file__).resolve().parents[2]


class LookupFailed(LookupError):
    """A registry's own error type."""


def test_listing_imports_nothing_and_get_imports_on_first_use() -> None:
    code = ("import sys\nfrom core.registry import LazyRegistry\n"
            "r = LazyRegistry('codec', {'b64': 'base64:b64encode', 'json': 'json:dumps'})\n"
            "assert r.names() == ('b64', 'json') and 'base64' not in sys.modules\n"
            "assert r.get('b64')(b'x') == b'eA==' and 'base64' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)


def test_registered_names_follow_the_built_ins_and_can_be_removed() -> None:
    registry: LazyRegistry[object] = LazyRegistry("scorer", {"builtin": "json:dumps"})
    marker = object()
    registry.register("mine", marker)
    assert registry.names() == ("builtin", "mine") and registry.get("mine") is marker and "mine" in registry
    assert dict(registry.registered) == {"mine": marker} and dict(registry.builtin) == {"builtin": "json:dumps"}
    registry.unregister("mine")
    registry.unregister("never-there")
    assert registry.names() == ("builtin",) and "mine" not in registry


def test_taken_names_are_refused_unless_replaced() -> None:
    registry: LazyRegistry[int] = LazyRegistry("step", {"exact": "json:dumps"})
    registry.register("x", 1)
    with pytest.raises(ValueError, match="step 'x' is already registered"):
        registry.register("x", 2)
    registry.register("x", 3, replace=True)
    assert registry.get("x") == 3
    with pytest.raises(ValueError, match="step 'exact' is already registered"):
        registry.register("exact", 4, replace=True)


def test_unknown_names_raise_the_registry_error_naming_the_known_ones() -> None:
    registry: LazyRegistry[object] = LazyRegistry("plugin", {"a@1": "json:dumps"}, error=LookupFailed)
    registry.register("b@1", object())
    with pytest.raises(LookupFailed, match=r"unknown plugin 'c@1'; known: a@1, b@1"):
        registry.get("c@1")


def test_built_ins_must_be_module_attribute_references() -> None:
    with pytest.raises(ValueError, match="'bad': built-in 'json.dumps' is not a 'module:attribute' reference"):
        LazyRegistry("codec", {"bad": "json.dumps"})


def test_load_reference() -> None:
    assert load_reference("json:dumps") is __import__("json").dumps
    assert load_reference("os.path:join") is __import__("os").path.join
    assert load_reference("collections:OrderedDict.fromkeys") == __import__("collections").OrderedDict.fromkeys
    for bad in ("json", "json:", ":dumps"):
        with pytest.raises(ValueError, match="not a 'module:attribute' reference"):
            load_reference(bad)
    with pytest.raises(ModuleNotFoundError):
        load_reference("no_such_module_here:x")
    with pytest.raises(AttributeError):
        load_reference("json:no_such_attribute")
