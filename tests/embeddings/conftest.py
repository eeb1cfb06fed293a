"""Fixtures of the pure embeddings tests: the toy KG and one small trained TransE, shared."""

from __future__ import annotations

import pytest
from kge_toy import toy_triples

from embeddings import KGEConfig

TINY = {"dim": 4, "epochs": 6, "batch_size": 16, "seed": 3, "early_stopping": {"frequency": 3}}


@pytest.fixture(scope="session")
def triples() -> list[tuple[str, str, str]]:
    return toy_triples()


@pytest.fixture(scope="session")
def tiny_config() -> KGEConfig:
    return KGEConfig(model="TransE", **TINY)


@pytest.fixture(scope="session")
def transe_result(triples, tiny_config):
    from embeddings import train_embeddings

    return train_embeddings(triples, tiny_config)
