"""The documentation a user reads stays true: every command it shows runs, every link lands.

- Every ``medkg ...`` command in README.md and docs/*.md (shell code blocks, inline code, and the option
  cells of a command table's row) names a real command: ``medkg <path> --help`` exits 0, and every
  ``--option`` shown with it is in that help. Query names and their ``-p`` parameters are checked against
  the library (``medkg query --list --json``, which needs no database).
- The README's ten-minute tour runs as written against the test Neo4j (the demo first, as ``make demo``
  does; the commands that start or stop the embedded server, or never return, are only checked by --help).
- The README is a front door (at most 260 lines); no user document speaks of issue numbers; every relative
  link points to an existing file and, for a Markdown file, an existing heading.
"""

from __future__ import annotations

import importlib
import itertools
import json
import re
import shlex
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer
from repo_helpers import medkg_packages
from typer.testing import CliRunner, Result

from graph.db.connection import ConnectionInfo, GraphClient

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
USER_DOCS = [README, *DOCS]
#: Code blocks in these languages are shell; ``text`` (diagrams), ``cypher`` and ``python`` are not.
SHELL = {"", "bash", "sh", "shell", "console"}
#: Wide enough that rich never wraps an option name in the help table.
HELP_ENV = {"COLUMNS": "250", "TERM": "dumb", "NO_COLOR": "1"}
#: A shell token after which a command line ends.
STOP = re.compile(r"^[|&;<>]|^\d?>")
OPTION = re.compile(r"^\[?(--[a-z][a-z0-9-]*)")
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```", re.S | re.M)


@cache
def app() -> typer.Typer:
    """The ``medkg`` application, found the way the installed script finds it (pyproject's entry point)."""
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    module, _, attr = scripts["medkg"].partition(":")
    return getattr(importlib.import_module(module), attr)


@cache
def root() -> Any:
    """The click group behind the app (typer's vendored click, so typed loosely)."""
    return typer.main.get_command(app())


def invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app(), args, env=env, catch_exceptions=False)


@cache
def help_text(path: tuple[str, ...]) -> str:
    result = invoke([*path, "--help"], env=HELP_ENV)
    assert result.exit_code == 0, f"medkg {' '.join(path)} --help exited {result.exit_code}:\n{result.output}"
    return result.output


@cache
def query_library() -> dict[str, set[str]]:
    """Query name -> its parameter names, from ``medkg query --list --json`` (no database needed)."""
    result = invoke(["query", "--list", "--json"])
    assert result.exit_code == 0, result.output
    return {q["name"]: {p["name"] for p in q["params"]} for q in json.loads(result.stdout)["queries"]}


@dataclass
class Shown:
    """One ``medkg`` command line as a document shows it."""

    where: str
    tokens: list[str]
    #: Options shown for it elsewhere (the other cells of its table row).
    extra_options: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.where}: medkg {' '.join(self.tokens)}"


def split_shell(line: str) -> list[str]:
    """Shell words of one line, comments dropped; operators such as ``>`` and ``|`` become words of their own."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def medkg_commands(line: str) -> Iterator[list[str]]:
    """The arguments of each ``medkg`` (or ``.venv/bin/medkg``) invocation on one shell line."""
    words = split_shell(line)
    for i, word in enumerate(words):
        if word == "medkg" or word.endswith("/medkg"):
            yield list(itertools.takewhile(lambda w: not STOP.match(w), words[i + 1:]))


def code_blocks(text: str) -> Iterator[tuple[str, str, int]]:
    """(language, body, first line number) of every fenced block."""
    for match in FENCE.finditer(text):
        yield match.group(1), match.group(2), text.count("\n", 0, match.start(2)) + 1


def shell_lines(body: str) -> Iterator[tuple[str, str, int]]:
    """(logical line, its full text, line offset) of a shell block: backslash continuations joined into the
    logical line, a here-document's body and end marker kept in the full text only."""
    lines = body.split("\n")
    i = 0
    while i < len(lines):
        start, line = i, lines[i]
        while line.endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + " " + lines[i]
        full = line
        heredoc = re.search(r"<<-?\s*['\"]?(\w+)", line)
        if heredoc:
            while i + 1 < len(lines):
                i += 1
                full += "\n" + lines[i]
                if lines[i].strip() == heredoc.group(1):
                    break
        yield line, full, start
        i += 1


def prose(text: str) -> str:
    """The text with fenced blocks blanked (line numbers kept)."""
    return FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)


INLINE = re.compile(r"`([^`]+)`")


def shown_commands(doc: Path) -> Iterator[Shown]:
    return shown_in(doc.read_text(encoding="utf-8"), doc.relative_to(REPO).as_posix())


def shown_in(text: str, name: str) -> Iterator[Shown]:
    """Every ``medkg`` command line shown in a Markdown text."""
    for lang, body, first in code_blocks(text):
        if lang in SHELL:
            for line, _, offset in shell_lines(body):
                for args in medkg_commands(line):
                    yield Shown(f"{name}:{first + offset}", args)
    for number, line in enumerate(prose(text).split("\n"), 1):
        cells = line.split("|") if line.startswith("|") else [line]
        for k, cell in enumerate(cells):
            for span in INLINE.findall(cell):
                span = " ".join(span.split())
                if not re.match(r"(\S*/)?medkg ", span):
                    continue
                for args in medkg_commands(span):
                    extra = []
                    if line.startswith("|") and k == 1:  # a command table's first column: the row's options
                        extra = [m.group(1) for c in cells[2:] for s in INLINE.findall(c)
                                 for m in [OPTION.match(s.strip())] if m]
                    yield Shown(f"{name}:{number}", args, extra)
    # inline code that a line break splits would escape the line-by-line scan above
    for span in INLINE.findall(prose(text)):
        if "\n" in span and re.match(r"\s*(\S*/)?medkg\s", span):
            for args in medkg_commands(" ".join(span.split())):
                yield Shown(f"{name} (inline, across lines)", args)


def command_paths(shown: Shown) -> tuple[list[tuple[str, ...]], list[str]]:
    """The command paths ``a/b`` alternatives expand to, and the words left after the path."""
    node, rest = root(), list(shown.tokens)
    paths: list[tuple[str, ...]] = [()]
    while rest and hasattr(node, "commands") and not rest[0].startswith("-"):
        choices = rest[0].split("/")
        known = [c for c in choices if c in node.commands]
        if len(known) != len(choices):
            if re.fullmatch(r"[A-Z_]+", rest[0]):  # a placeholder such as COMMAND
                break
            if node is root() or not node.invoke_without_command:
                raise AssertionError(f"{shown}: {rest[0]!r} is not a command of "
                                     f"'medkg {' '.join(paths[0])}' (known: {sorted(node.commands)})")
            break
        paths = [(*p, c) for p in paths for c in choices]
        node = node.commands[choices[0]]
        rest.pop(0)
    return paths, rest


def all_shown() -> list[Shown]:
    return [s for doc in USER_DOCS for s in shown_commands(doc)]


def test_the_docs_show_commands_at_all() -> None:
    shown = all_shown()
    assert len(shown) > 50 and any(s.where.startswith("README.md") for s in shown)


def problems_of(shown: Shown) -> list[str]:
    """What is wrong with one shown command: unknown options, an unknown query or query parameter."""
    problems = []
    paths, rest = command_paths(shown)
    options = [m.group(1) for w in rest for m in [OPTION.match(w)] if m] + shown.extra_options
    helps = [help_text(path) for path in paths]
    for option in options:
        if not any(re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", h) for h in helps):
            problems.append(f"{shown}: {option} is not an option of "
                            + " / ".join(f"'medkg {' '.join(p)}'" for p in paths))
    if paths == [("query",)] and rest and re.fullmatch(r"[a-z_]+", rest[0]):
        library = query_library()
        if rest[0] not in library:
            return [*problems, f"{shown}: no query {rest[0]!r} in the library"]
        for flag, value in zip(rest, rest[1:], strict=False):
            if flag in ("-p", "--param") and value.partition("=")[0] not in library[rest[0]]:
                problems.append(f"{shown}: query {rest[0]!r} has no parameter {value.partition('=')[0]!r}")
    return problems


@pytest.mark.parametrize("doc", USER_DOCS, ids=lambda p: p.name)
def test_every_command_shown_names_a_real_command_and_real_options(doc: Path) -> None:
    problems = [problem for shown in shown_commands(doc) for problem in problems_of(shown)]
    assert not problems, "\n".join(problems)


def test_a_wrong_command_or_option_is_caught() -> None:
    """The checks above are not vacuous: a misspelt command and an unknown option both fail."""
    with pytest.raises(AssertionError, match="not a command"):
        command_paths(Shown("x", ["wacth", "--once"]))
    wrong = "`medkg watch --onse` `medkg query top_treatmentz` `medkg query top_treatments -p diseese=x`"
    assert [len(problems_of(shown)) for shown in shown_in(wrong, "probe")] == [1, 1, 1]
    right = "`medkg watch --once --batch-size 8` `medkg query top_treatments -p disease=Disease:糖尿病`"
    assert [problems_of(shown) for shown in shown_in(right, "probe")] == [[], []]
    probe = ("a `medkg kg load x --format triples` and `medkg db stop/start`\n\n```bash\n"
             ".venv/bin/medkg query --list > out.txt   # --not-an-option\n"
             ".venv/bin/medkg watch --once \\\n    --batch-size 8\n```\n")
    assert sorted(s.tokens for s in shown_in(probe, "probe")) == sorted(
        [["kg", "load", "x", "--format", "triples"], ["db", "stop/start"], ["query", "--list"],
         ["watch", "--once", "--batch-size", "8"]])
    assert command_paths(Shown("x", ["db", "stop/start"]))[0] == [("db", "stop"), ("db", "start")]


# ---- the tour -------------------------------------------------------------------------------------------

def tour_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index("## A ten-minute tour")
    end = text.index("\n## ", start + 1)
    return [body for lang, body, _ in code_blocks(text[start:end]) if lang in SHELL]


def tour_commands() -> list[list[str]]:
    return [args for body in tour_blocks() for line, _, _ in shell_lines(body) for args in medkg_commands(line)]


def test_the_tour_covers_ingest_watch_query_report_and_the_browser() -> None:
    paths = {command_paths(Shown("tour", args))[0][0] for args in tour_commands()}
    assert {("ingest",), ("watch",), ("watch", "status"), ("query",), ("report",), ("db", "start"), ("serve",),
            ("users", "add")} <= paths
    assert any("--browser" in args for args in tour_commands())


#: Tour commands that start or stop the embedded server, never return or ask on a terminal: checked by --help
#: only (the web application's own tests start `medkg serve` and add users).
NOT_RUN = (("db",), ("watch", "--interval"), ("serve",), ("users", "add"))


def test_the_tour_runs_as_written(client: GraphClient, neo4j_env: ConnectionInfo, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The tour's blocks in order, after ``medkg demo`` (as ``make demo`` leaves the graph), in a scratch folder."""
    monkeypatch.chdir(tmp_path)
    demo = invoke(["demo", "--yes", "--json"])
    assert demo.exit_code == 0, demo.output
    ran = []
    for body in tour_blocks():
        for line, full, _ in shell_lines(body):
            commands = list(medkg_commands(line))
            if not line.strip():
                continue
            if not commands:  # plain shell, such as the here-document that writes the records
                subprocess.run(["bash", "-c", full], cwd=tmp_path, check=True)
            for args in commands:
                if any(tuple(args[:len(skip)]) == skip for skip in NOT_RUN):
                    continue
                # an absolute scratch path (/tmp/...) goes to this test's folder instead
                args = [str(tmp_path / Path(a).name) if a.startswith("/tmp/") else a for a in args]
                result = invoke(args)
                assert result.exit_code == 0, f"medkg {' '.join(args)} exited {result.exit_code}:\n{result.output}"
                ran.append(args)
    assert len(ran) >= 8, ran
    # what the tour says happens, happens: the records are DONE, and a denial is not a record of diabetes
    records = json.loads(invoke(["watch", "status", "--json"]).stdout)["records"]
    assert records["NEW"] == 0 and records["DONE"] >= 2 and records["FAILED"] == 0, records
    hits = json.loads(invoke(["query", "records_mentioning", "-p", "concepts=Disease:糖尿病", "--json"]).stdout)
    found = {row["record"] for row in hits["rows"]}
    assert "note-1" in found and "note-2" not in found, hits["rows"]
    reports = [Path(a[a.index("--out") + 1]) for a in ran if a[0] == "report"]
    assert reports and all((folder / "index.html").is_file() for folder in reports)


# ---- size, issue numbers, links -------------------------------------------------------------------------

def test_the_readme_is_a_front_door() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= 260, f"README.md has {lines} lines; move detail to docs/"


@pytest.mark.parametrize("doc", USER_DOCS, ids=lambda p: p.name)
def test_user_documents_do_not_speak_of_issue_numbers(doc: Path) -> None:
    found = [(n, line) for n, line in enumerate(doc.read_text(encoding="utf-8").split("\n"), 1)
             if re.search(r"\bissues?\s*#?\d+", line, re.I)]
    assert not found, f"{doc.name}: issue numbers at lines {found}"


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@cache
def anchors(doc: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    out = set()
    for line in prose(doc.read_text(encoding="utf-8")).split("\n"):
        heading = re.match(r"#{1,6}\s+(.*)", line)
        if heading:
            base = slug(heading.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            out.add(base if count == 0 else f"{base}-{count}")
    return frozenset(out)


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", USER_DOCS, ids=lambda p: p.name)
def test_every_relative_link_lands(doc: Path) -> None:
    problems = []
    text = INLINE.sub("", prose(doc.read_text(encoding="utf-8")))
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        if not path.exists():
            problems.append(f"{target}: no such file {path}")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            problems.append(f"{target}: no heading '#{anchor}' in {path.name} (has {sorted(anchors(path))})")
    assert not problems, f"{doc.name}:\n" + "\n".join(problems)


def test_the_link_checks_are_not_vacuous() -> None:
    assert slug("Set-up: two commands") == "set-up-two-commands"
    assert "which-neo4j" in anchors(README) and "set-up-two-commands" in anchors(README)
    assert len(LINK.findall(README.read_text(encoding="utf-8"))) >= 10


def test_pointers_from_the_code_to_the_docs_land() -> None:
    """Messages, comments and help that send a user to docs/<page>.md name a page that exists."""
    sources = [p for folder in (*medkg_packages(), "benchmarks")
               if (REPO / folder).is_dir() for p in (REPO / folder).rglob("*") if p.suffix in (".py", ".cypher")]
    sources += [REPO / "docker-compose.yml", REPO / "Makefile"]
    pointers = {(p.relative_to(REPO).as_posix(), page) for p in sources
                for page in re.findall(r"\bdocs/([\w-]+\.md)", p.read_text(encoding="utf-8"))}
    assert pointers, "no pointer found: the scan is broken"
    missing = sorted(pointer for pointer in pointers if not (REPO / "docs" / pointer[1]).is_file())
    assert not missing, f"pointers to missing pages: {missing}"
    # the query library's note and the report send readers to this section by name
    assert "re-processing-a-graph" in anchors(REPO / "docs" / "analysts.md")
