"""Every ``medkg`` command stays thin: it parses its options, calls one function and prints what it returns.

Checked on the source of ``app/cli`` (with ``ast``, so words in help texts and comments never count): no command
talks to the graph itself (a ``read``, ``write``, ``session`` or ``run`` call on a client, ``graph.db.queries``,
a driver of its own, a Cypher statement in a string) and none asks which plugin it holds (a plugin name compared
to, matched against or keyed by a string literal). What composes several steps lives in the application layer
(``app/*.py``) or in the library's entry function. The checker is tested on snippets of both kinds too, so a
check that sees nothing cannot pass unnoticed.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator

from repo_helpers import REPO, imported_modules, parsed, python_files

#: Methods of a graph client, a session or a transaction: a command that calls one talks to the graph itself.
CLIENT_METHODS = frozenset({"read", "write", "session", "run", "execute_read", "execute_write", "execute_query"})
#: Receivers of such a method name that are not a graph: the command's own output streams.
OUTPUT_STREAMS = frozenset({"sys.stdout", "sys.stderr"})
#: What a command never imports: Cypher by file name, and the driver's entry point (its exceptions may be caught).
FORBIDDEN_IMPORTS = ("graph.db.queries", "neo4j.GraphDatabase")
#: The clauses a Cypher statement starts its work with (``MATCH (``, ``MERGE (``, ``UNWIND $rows``).
CYPHER = re.compile(r"\b(?:OPTIONAL MATCH|MATCH|MERGE|UNWIND)\s*[(\[$]|\bDETACH DELETE\b")


def _strings(node: ast.AST) -> Iterator[str]:
    """The string literals ``node`` is or holds (a tuple, list or set of them)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for element in node.elts:
            yield from _strings(element)


def _is_plugin(text: str, plugins: frozenset[str]) -> bool:
    return text in plugins or text.partition("@")[0] in plugins


def _plugin_switches(tree: ast.Module, plugins: frozenset[str]) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.MatchValue):
            operands = [node.value]
        elif isinstance(node, ast.Dict):
            operands = [key for key in node.keys if key is not None]
        else:
            continue
        for text in (t for operand in operands for t in _strings(operand)):
            if _is_plugin(text, plugins):
                yield node.lineno, f"switches on the plugin name {text!r}"


def thickness(tree: ast.Module, plugins: frozenset[str]) -> list[str]:
    """What in ``tree`` a thin command does not do, one ``line N: ...`` each (empty when it is thin).

    Args:
        tree: A command module's syntax tree.
        plugins: The plugin names (``name``; ``name@version`` counts as ``name``).
    """
    found: list[tuple[int, str]] = []
    for line, module in imported_modules(tree):
        if any(module == bad or module.startswith(f"{bad}.") for bad in FORBIDDEN_IMPORTS):
            found.append((line, f"imports {module}"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLIENT_METHODS
                and ast.unparse(node.func.value) not in OUTPUT_STREAMS):
            found.append((node.lineno, f"calls {ast.unparse(node.func)}(...) on the graph"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and CYPHER.search(node.value):
            found.append((node.lineno, f"holds Cypher {node.value[:40]!r}"))
    found += _plugin_switches(tree, plugins)
    return [f"line {line}: {what}" for line, what in sorted(set(found))]


def _plugin_names() -> frozenset[str]:
    from extractor.plugins.registry import plugin_specs

    return frozenset(spec.name for spec in plugin_specs().values())


def test_every_command_module_is_thin() -> None:
    plugins = _plugin_names()
    modules = python_files("app/cli")
    assert REPO / "app/cli/curate.py" in modules and REPO / "app/cli/kg.py" in modules  # the check reads the CLI
    bad = {str(path.relative_to(REPO)): problems for path in modules
           if (problems := thickness(parsed(path), plugins))}
    assert not bad, ("a command talks to the graph or switches on plugins itself; move that into the application "
                     f"layer (app/*.py) or the library's entry function: {bad}")


THICK = '''
import sys
from graph.db.queries import query
from neo4j import GraphDatabase

def requeue(name, status):
    with GraphClient.from_environment() as client:
        rows = client.read("internal/requeue_emrs", status=status)
        client.write("internal/merge_extractor", id=name)
        with client.session() as session:
            session.run("MATCH (e:EMR) RETURN count(e) AS n")
    if name == "cbt-kg-tagger":
        options = tagger_config(name)
    elif name in ("entity-marker-relations", "kg-linker"):
        options = {}
    match name:
        case "learned-assertion@1":
            options = {}
    build = {"gazetteer-ner": object}[name]
'''

THIN = '''
import sys
from neo4j.exceptions import Neo4jError  # caught, not used to talk to the graph
from app.kg_loading import bulk_load_embedded
from graph.db.connection import GraphClient

def load(path, fmt, name, as_json):
    """Load a KG (a plugin such as cbt-kg-tagger is registered with medkg plugins register)."""
    if path is None and fmt != "cmekg":  # a format, not a plugin
        fail("PATH is required", code=2, as_json=as_json)
    with GraphClient.from_environment() as client:
        result = register_extractor(client, name, model_dir=path)
    sys.stdout.write(str(result) + "\\n")
    sys.stderr.write("note: MATCH is a word here\\n")
'''


def test_the_check_sees_a_thick_command() -> None:
    plugins = frozenset({"cbt-kg-tagger", "entity-marker-relations", "kg-linker", "learned-assertion",
                         "gazetteer-ner"})
    problems = thickness(ast.parse(textwrap.dedent(THICK)), plugins)
    text = "\n".join(problems)
    for expected in ("imports graph.db.queries", "imports neo4j.GraphDatabase", "calls client.read(...)",
                     "calls client.write(...)", "calls client.session(...)", "calls session.run(...)",
                     "holds Cypher 'MATCH (e:EMR)",
                     "plugin name 'cbt-kg-tagger'", "plugin name 'entity-marker-relations'",
                     "plugin name 'kg-linker'", "plugin name 'learned-assertion@1'", "plugin name 'gazetteer-ner'"):
        assert expected in text, f"{expected!r} not found in:\n{text}"


def test_the_check_passes_a_thin_command() -> None:
    assert thickness(ast.parse(textwrap.dedent(THIN)), frozenset({"cbt-kg-tagger", "gazetteer-ner"})) == []
