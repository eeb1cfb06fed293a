"""What every ``--json`` command promises: stdout is exactly one JSON object (importable from any test folder)."""

from __future__ import annotations

import json
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
