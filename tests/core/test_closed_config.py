"""core.config: the one closed pydantic base (unknown fields fail), and its frozen variant."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.config import ClosedConfig, FrozenConfig


class Settings(ClosedConfig):
    size: int = 1


class Frozen(FrozenConfig):
    size: int = 1


@pytest.mark.parametrize("cls", [Settings, Frozen])
def test_unknown_fields_are_errors(cls: type[ClosedConfig]) -> None:
    with pytest.raises(ValidationError, match="sise"):
        cls(sise=2)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        cls.model_validate({"size": 2, "extra": True})


def test_closed_configs_can_be_assigned_frozen_ones_cannot() -> None:
    settings = Settings()
    settings.size = 3
    assert settings.size == 3
    frozen = Frozen(size=2)
    with pytest.raises(ValidationError):
        frozen.size = 3  # type: ignore[misc]
    assert hash(frozen) == hash(Frozen(size=2))
    assert Frozen.model_config == {"extra": "forbid", "frozen": True}
    assert Settings.model_config == {"extra": "forbid"}
