"""Progress off a terminal (app/progress.py): plain lines every few seconds, never carriage-return redraws."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from cli_helpers import run_logged

from app.progress import PlainProgress, progress_bars
from graph.db.connection import ConnectionInfo, GraphClient


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_every_interval_and_once_at_the_end() -> None:
    stream, clock = io.StringIO(), Clock()
    advance = PlainProgress(stream, interval=5.0, clock=clock).bar("relationships", 10_000)
    for k in range(1, 10_001):  # a fast loop: 10,000 updates in 20 s
        clock.now = 100.0 + k / 500
        advance(1)
    advance(1)  # past the end: nothing more
    assert stream.getvalue().splitlines() == [
        "relationships: 2500/10000 (25%), 5 s", "relationships: 5000/10000 (50%), 10 s",
        "relationships: 7500/10000 (75%), 15 s", "relationships: 10000/10000 (100%), 20 s"]


def test_a_short_bar_writes_one_line_and_an_empty_one_none() -> None:
    stream, clock = io.StringIO(), Clock()
    plain = PlainProgress(stream, interval=5.0, clock=clock)
    plain.bar("disease details", 0)  # nothing to write: no line
    advance = plain.bar("concepts", 3)
    advance(2)
    advance(1)
    assert stream.getvalue() == "concepts: 3/3 (100%), 0 s\n"


def test_off_a_terminal_the_factory_writes_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()  # not a terminal
    monkeypatch.setattr(sys, "stderr", stream)
    with progress_bars() as bar:
        bar("concepts", 2)(2)
    with progress_bars(enabled=False) as bar:  # --json, --no-progress
        bar("concepts", 2)(2)
    assert stream.getvalue() == "concepts: 2/2 (100%), 0 s\n"


def test_kg_load_with_stderr_to_a_file(client: GraphClient, neo4j_env: ConnectionInfo, sample_dir: Path,
                                       tmp_path: Path) -> None:
    """A real ``medkg kg load`` with stderr going to a file, as under a service manager or in CI."""
    _, stdout, text = run_logged(["kg", "load", str(sample_dir / "kg.tsv"), "--format", "triples", "--source",
                                  "sample"], tmp_path / "stderr.log", {"COLUMNS": "100"})
    lines = text.splitlines()
    assert any(line.startswith("concepts: ") and line.endswith(" s") and "(100%)" in line for line in lines), text
    assert "relationships: 145/145 (100%)" in text
    assert "units read" in stdout  # the summary table still goes to stdout
