"""No file of the repository names a path of one particular machine: the checkout must work anywhere.

Data is found through ``MEDKG_DATA_DIR`` or ``../shared/data`` beside the checkout (``core.paths``),
local state through ``MEDKG_HOME`` or the platform's user-data folder, never a developer's absolute path.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: Absolute paths that only exist on some machine. The bracketed letter keeps this file from matching itself.
MACHINE_PATH = re.compile(
    r"/wor[k]/"                          # the development machines' work folder
    r"|/hom[e]/[A-Za-z_][\w.-]*"         # a Linux user's home
    r"|/User[s]/[A-Za-z]"                # a macOS user's home
    r"|\b[A-Z]:\\{1,2}[A-Za-z]"          # a Windows drive (C:\ or C:\\ in source)
)


def repository_files() -> list[Path]:
    """Tracked files and new ones git does not ignore (so a file not yet committed is checked too)."""
    try:
        out = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             capture_output=True, check=True, timeout=60).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"not a git checkout ({exc}); nothing to list")
    return sorted({REPO / name for name in out.decode("utf-8").split("\0") if name})


def text_of(path: Path) -> str | None:
    """The file's text, or ``None`` for binary files (a NUL byte or not UTF-8) and deleted ones."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def machine_paths(text: str) -> list[tuple[int, str]]:
    """``(line number, line)`` of each line that names a machine's absolute path."""
    return [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1) if MACHINE_PATH.search(line)]


@pytest.mark.parametrize("line", [
    'DATA = Path(os.environ.get("MEDKG_DATA_DIR", "/' 'work/shared/data"))',
    "cache = '/" "home/alice/.cache/medkg'",
    "see /" "Users/bob/medkg/README.md",
    'root = "C:' '\\\\Users\\\\medkg"',
    r"root = r'C:" r"\data'",
])
def test_the_pattern_finds_machine_paths(line: str) -> None:
    assert machine_paths(line) == [(1, line)]


@pytest.mark.parametrize("line", [
    "DATA = default_data_dir()  # MEDKG_DATA_DIR, else ../shared/data",
    'home = Path.home() / ".local/share/medkg"',
    "docker: MEDKG_DATA_DIR: /data/shared",
    'pattern = re.compile(r"^kge_[a-z]:\\d")',
])
def test_the_pattern_leaves_portable_paths_alone(line: str) -> None:
    assert machine_paths(line) == []


def test_no_file_names_a_path_of_one_machine() -> None:
    files = repository_files()
    assert any(path.name == "pyproject.toml" for path in files)
    found = []
    for path in files:
        text = text_of(path)
        if text is None:
            continue
        found += [f"{path.relative_to(REPO)}:{number}: {line}" for number, line in machine_paths(text)]
    assert not found, "absolute paths of one machine (use core.paths / MEDKG_DATA_DIR instead):\n" + "\n".join(found)
