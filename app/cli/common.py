"""What every ``medkg`` command group shares: the ``--json`` flag, output, failure and tables.

Every command a script would call takes ``--json`` and then prints exactly one JSON object on
stdout; progress bars and messages go to stderr. Bad input exits with status 2 and a message naming
what was wrong; other failures exit with status 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["JsonFlag", "emit", "err", "fail", "kv_table", "out", "shown", "stats_render"]

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
err = Console(stderr=True)
out = Console()


def emit(payload: dict[str, Any], as_json: bool, render: Callable[[dict[str, Any]], None]) -> None:
    """Print ``payload`` as one JSON line on stdout (``--json``), else hand it to ``render``."""
    if as_json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
    else:
        render(payload)


def fail(message: str, *, code: int, as_json: bool) -> NoReturn:
    """Report ``message`` (as ``{"error": ...}`` on stdout too with ``--json``) and exit with ``code``."""
    if as_json:
        sys.stdout.write(json.dumps({"error": message}, ensure_ascii=False) + "\n")
    err.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def _rounded(value: Any) -> Any:  # any JSON-like value
    if isinstance(value, float):
        # six significant digits: 0.48160000000000003 -> 0.4816, 1234567.891 -> 1234570.0, 1e-09 stays
        return float(f"{value:.6g}")
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def shown(value: Any) -> str:  # any JSON-like value
    """``value`` for a human-readable table: floats to six significant digits, lists and maps as JSON.

    ``--json`` and ``--format csv`` keep full precision; only tables round.

    Example:
        >>> shown(0.48160000000000003), shown([0.1 + 0.2, "a"]), shown(None)
        ('0.4816', '[0.3, "a"]', '')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    value = _rounded(value)
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def kv_table(title: str, rows: dict[str, Any]) -> Table:
    """A two-column key/value table (floats rounded as :func:`shown` does)."""
    table = Table(title=title, show_header=False)
    for key, value in rows.items():
        table.add_row(str(key), shown(value) if isinstance(value, float) else str(value))
    return table


def stats_render(payload: dict[str, Any]) -> None:
    """Render a :class:`graph.kg.stats.GraphStats` payload (``kg stats``, ``demo``)."""
    out.print(kv_table("nodes per label", payload["labels"]))
    out.print(kv_table("relationships per type", payload["relationships"]))
