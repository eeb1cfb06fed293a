from __future__ import annotations

import numpy as np
import pytest

from linker import ConceptIndex, Linker, LinkerConfig, VectorConfig


def test_lexical_tie_without_vector(linker: Linker) -> None:
    res = linker.link("伸试验", type="LabTest")
    top2 = {c.concept_id for c in res.candidates[:2]}
    assert top2 == {"Check:伸肘试验", "Check:伸踝试验"}
    assert res.candidates[0].score == pytest.approx(res.candidates[1].score)
    assert res.method == "fuzzy"


def test_vector_reranks_fuzzy_candidates(linker: Linker) -> None:
    for vec, expected in [([0.0, 1.0, 0.0, 0.0], "Check:伸踝试验"), ([1.0, 0.1, 0.0, 0.0], "Check:伸肘试验")]:
        res = linker.link("伸试验", type="LabTest", vector=np.asarray(vec))
        assert res.best.concept_id == expected
        assert res.method == "vector"
        assert res.candidates[0].score > res.candidates[1].score


def test_vector_never_overrides_a_confident_lookup(linker: Linker) -> None:
    res = linker.link("胃炎", type="Disease", vector=np.asarray([0.0, 0.0, 0.1, 1.0]))
    assert (res.best.concept_id, res.method) == ("Disease:胃炎", "exact")


def test_vector_step_can_be_switched_off(index: ConceptIndex) -> None:
    off = Linker(index, LinkerConfig(steps=("exact", "alias", "normalized", "fuzzy")))
    assert off.link("伸试验", type="LabTest", vector=np.asarray([0.0, 1.0, 0.0, 0.0])).method == "fuzzy"
    zero = Linker(index, LinkerConfig(vector=VectorConfig(weight=0.0)))
    assert zero.link("伸试验", type="LabTest", vector=np.asarray([0.0, 1.0, 0.0, 0.0])).method == "fuzzy"


def test_bad_query_vectors(linker: Linker) -> None:
    with pytest.raises(ValueError, match="shape"):
        linker.link("伸试验", type="LabTest", vector=np.ones(3))
    with pytest.raises(ValueError, match="all zeros"):
        linker.link("伸试验", type="LabTest", vector=np.zeros(4))
    with pytest.raises(ValueError, match="finite"):
        linker.link("伸试验", type="LabTest", vector=np.asarray([np.nan, 0, 0, 1.0]))
    with pytest.raises(ValueError, match="1-D"):
        linker.link("伸试验", type="LabTest", vector=np.ones((2, 2)))
