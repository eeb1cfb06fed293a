"""The versions stamped on results, so a figure can be traced to the software that made it.

Example:
    >>> sorted(package_versions("pydantic"))
    ['pydantic', 'python']
    >>> package_versions("no-such-distribution-here")["no-such-distribution-here"] is None
    True
"""

from __future__ import annotations

import platform
from importlib import metadata

__all__ = ["package_versions"]


def package_versions(*names: str) -> dict[str, str | None]:
    """Installed versions of the named distributions (``None`` when absent), plus Python's."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found
