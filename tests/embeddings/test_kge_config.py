"""Config and model registry: bad input is refused before any work (property names: tests/graph/kge)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from embeddings import KGEConfig, UnknownModelError, resolve_model


@pytest.mark.parametrize("name", ["TransE", "transe", "TRANSE"])
def test_builtin_names_resolve_case_insensitively(name: str) -> None:
    spec = resolve_model(name)
    assert (spec.name, spec.key, spec.family, spec.builtin) == ("TransE", "transe", "transe", True)


def test_transh_transr_are_first_class() -> None:
    assert resolve_model("TransH").family == "transh"
    spec = resolve_model("TransR")
    assert spec.model_kwargs(16) == {"embedding_dim": 16, "relation_dim": 16, "max_projection_norm": 4.0}


def test_other_pykeen_models_resolve_by_name() -> None:
    spec = resolve_model("DistMult")
    assert (spec.name, spec.key, spec.family, spec.builtin) == ("DistMult", "distmult", None, False)
    assert spec.load().__name__ == "DistMult"


@pytest.mark.parametrize("name", ["NoSuchModel", "trans-e", "", "Trans E", "x" * 80])
def test_unknown_model_names_raise(name: str) -> None:
    with pytest.raises(UnknownModelError):
        resolve_model(name)


@pytest.mark.parametrize("field, value", [("dim", 0), ("dim", -3), ("epochs", 0), ("learning_rate", 0.0),
                                          ("negatives_per_positive", 0), ("batch_size", 0), ("margin", -1.0),
                                          ("threads", 0), ("model", "a b"), ("model", "trans-e")])
def test_config_rejects_bad_values(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        KGEConfig(**{field: value})


def test_config_is_closed_and_documented() -> None:
    with pytest.raises(ValidationError, match="extra"):
        KGEConfig(dimension=100)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        KGEConfig(split={"validation": 0.5, "test": 0.45})
    config = KGEConfig(model="TransR", dim=7)
    assert config.model_key == "transr" and config.model_dump()["split"]["test"] == 0.1
    for name, info in KGEConfig.model_fields.items():
        assert info.description or KGEConfig.__doc__, name
