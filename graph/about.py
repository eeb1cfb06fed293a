"""Version and provenance stamps that every result object carries."""

from __future__ import annotations

import functools
import subprocess
from importlib import metadata
from pathlib import Path

__all__ = ["git_hash", "medkg_version"]


@functools.cache
def medkg_version() -> str:
    """The installed distribution's version (``0+unknown`` when run from a bare source tree)."""
    try:
        return metadata.version("medkg")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@functools.cache
def git_hash() -> str | None:
    """The commit of the source tree medkg runs from, if it is a git checkout."""
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
