"""The ``kge_<model>`` naming rule lives once, in graph.kge.store, where the vectors are written."""

from __future__ import annotations

import pytest

import embeddings
import embeddings.registry
from embeddings import UnknownModelError
from graph.kge.store import PropertyNames, check_property_name, property_name


def test_property_names() -> None:
    assert property_name("TransE") == "kge_transe"
    assert property_name("transr") == "kge_transr"
    assert check_property_name("kge_custom_2") == "kge_custom_2"


@pytest.mark.parametrize("prop", ["name", "kge-transe", "kge_", "kge_Trans", "kge_x`) DETACH DELETE (n",
                                  "kge_x.y", "KGE_transe", "kge_1abc", 7])
def test_invalid_property_names_raise(prop: object) -> None:
    with pytest.raises(ValueError, match="not a valid embedding property name"):
        check_property_name(prop)  # type: ignore[arg-type]


def test_property_names_follow_the_one_rule() -> None:
    names = PropertyNames.for_model("TRANSH")
    assert names.value == property_name("TransH") == "kge_transh"
    assert (names.run, names.folded, names.index) == ("kge_transh_run", "kge_transh_folded", "concept_kge_transh")
    assert PropertyNames.for_model("TransE", "kge_custom").value == "kge_custom"
    with pytest.raises(UnknownModelError):
        property_name("NoSuchModel")


def test_the_pure_library_holds_no_property_rule() -> None:
    # the rule moved out of embeddings (a pure library that never writes to the graph)
    for module in (embeddings, embeddings.registry):
        assert not hasattr(module, "property_name") and not hasattr(module, "check_property_name")
