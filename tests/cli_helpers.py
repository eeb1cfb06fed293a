"""What every ``--json`` command promises (stdout is exactly one JSON object), and what every command promises
when its stderr is a file (plain progress lines, no redraws). Importable from any test folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def one_json(stdout: str) -> dict[str, Any]:
    """The single JSON object that makes up ``stdout`` (fails if anything else is printed there)."""
    text = stdout.strip()
    assert text, "nothing on stdout"
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:  # a second document, a progress line, a log line
        raise AssertionError(f"stdout is not exactly one JSON document ({exc}):\n{stdout[:2000]}") from exc
    assert isinstance(payload, dict), f"stdout is JSON but not an object: {type(payload).__name__}"
    return payload


def run_logged(args: list[str], log: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``medkg ARGS`` in a subprocess with stderr written to ``log`` (as under a service manager or in CI).

    Returns the exit status, stdout and the log's text, after checking what a log must be: no carriage-return
    redraws, no terminal escapes, and small (under 2,000 bytes for these short runs).
    """
    with log.open("w", encoding="utf-8") as stderr:
        done = subprocess.run([sys.executable, "-m", "app.cli", *args],
                              env=dict(os.environ, **(env or {})), stdout=subprocess.PIPE, stderr=stderr, text=True,
                              timeout=300, check=False)
    raw = log.read_bytes()  # bytes: reading text would turn a carriage return into a line feed
    text = raw.decode("utf-8")
    assert done.returncode == 0, text
    assert b"\r" not in raw and b"\x1b[" not in raw  # no redraws, no terminal escapes
    assert len(raw) < 2_000, text
    return done.returncode, done.stdout, text


def invoke_json(*args: str) -> tuple[int, dict[str, Any]]:
    """``medkg ARGS --json`` in this process (typer's runner): the exit status and the one JSON object printed."""
    from typer.testing import CliRunner

    from app.cli import app

    result = CliRunner().invoke(app, [*args, "--json"])
    return result.exit_code, one_json(result.stdout)
