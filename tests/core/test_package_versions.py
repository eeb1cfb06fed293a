"""core.versions: one ``package_versions``, stamped on KGE results and on watcher runs alike."""

from __future__ import annotations

import platform
from importlib import metadata

from core.versions import package_versions
from embeddings.result import VECTOR_PACKAGES


def test_versions_of_the_named_distributions_and_python() -> None:
    found = package_versions("pydantic", "no-such-distribution-here")
    assert found == {"python": platform.python_version(), "pydantic": metadata.version("pydantic"),
                     "no-such-distribution-here": None}
    assert list(package_versions()) == ["python"]


def test_the_kge_result_stamp_is_unchanged() -> None:
    # the keys and order the embeddings result wrote before: python, torch, pykeen, numpy
    assert VECTOR_PACKAGES == ("torch", "pykeen", "numpy")
    assert list(package_versions(*VECTOR_PACKAGES)) == ["python", "torch", "pykeen", "numpy"]
