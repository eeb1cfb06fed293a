"""core.paths: ``MEDKG_DATA_DIR``, else ``../shared/data`` beside the checkout, for every reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.paths import REPO_ROOT, checkout_data_dir, default_data_dir
from extractor.assertion.cmdd import cmdd_dir
from graph.db.config import MedkgSettings
from linker.sources import default_data_dir as linker_data_dir

REPO = Path(__file__).resolve().parents[2]


def test_the_checkout_is_found_from_the_package() -> None:
    assert REPO_ROOT == REPO and (REPO_ROOT / "pyproject.toml").is_file()
    assert checkout_data_dir() == REPO.parent / "shared" / "data"


def test_the_environment_wins_and_an_empty_value_counts_as_unset(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("MEDKG_DATA_DIR", str(tmp_path))
    assert default_data_dir() == tmp_path
    monkeypatch.setenv("MEDKG_DATA_DIR", "")
    assert default_data_dir() == REPO.parent / "shared" / "data"
    monkeypatch.delenv("MEDKG_DATA_DIR")
    assert default_data_dir() == REPO.parent / "shared" / "data"


@pytest.mark.parametrize("env", [None, "set"])
def test_every_reader_uses_the_same_rule(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: str | None) -> None:
    if env is None:
        monkeypatch.delenv("MEDKG_DATA_DIR", raising=False)
    else:
        monkeypatch.setenv("MEDKG_DATA_DIR", str(tmp_path))
    expected = default_data_dir()
    assert linker_data_dir() == expected
    assert cmdd_dir() == expected / "cmdd"
    assert MedkgSettings().data_dir == expected  # the setting shows what the readers use
