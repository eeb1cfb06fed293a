"""Where the third-party research data lives: ``$MEDKG_DATA_DIR``, else ``../shared/data`` beside the checkout.

The data (the xywy KG, CCKS 2019, CMeIE, ...) is read by path and never copied into the repository.
No machine's absolute path is written anywhere: the fallback is derived from where this checkout is.

Example:
    >>> default_data_dir().parts[-2:]  # doctest: +SKIP
    ('shared', 'data')
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATA_DIR_ENV", "REPO_ROOT", "checkout_data_dir", "default_data_dir"]

#: The environment variable that names the research data folder.
DATA_DIR_ENV = "MEDKG_DATA_DIR"

#: The root of this checkout (the folder that holds ``core/``, ``graph/``, ``pyproject.toml``).
REPO_ROOT = Path(__file__).resolve().parents[1]


def checkout_data_dir() -> Path:
    """``../shared/data`` relative to the checkout: where the data sits when ``MEDKG_DATA_DIR`` is not set."""
    return REPO_ROOT.parent / "shared" / "data"


def default_data_dir() -> Path:
    """``$MEDKG_DATA_DIR`` when set (and not empty), else :func:`checkout_data_dir`."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else checkout_data_dir()
