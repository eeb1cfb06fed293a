"""The search on the sample KG: exact names first, typos through the linker, the type filter, any text safe."""

from __future__ import annotations

import pytest
from repo_helpers import REPO

from graph.browse.search import SearchRefused, search_concepts
from graph.db.connection import GraphClient
from graph.kg.linking import build_linker
from graph.kg.loader import LoadConfig, load_kg


@pytest.fixture
def kg(client: GraphClient) -> GraphClient:
    load_kg(client, REPO / "data" / "sample" / "kg.tsv", LoadConfig(format="triples", source="sample"))
    return client


def test_order_typos_and_the_type_filter(kg: GraphClient) -> None:
    linker = build_linker(kg)
    found = search_concepts(kg, " 糖尿病 ", linker=linker)
    assert found.text == "糖尿病" and found.hits[0].id == "Disease:糖尿病" and found.hits[0].exact
    assert found.hits[0].sources == ["sample"] and found.hits[0].records == 0
    assert [h.id for h in search_concepts(kg, "糖尿兵", linker=linker).hits][:1] == ["Disease:糖尿病"]
    assert search_concepts(kg, "糖尿兵").hits[0].linker_score == 0.0  # the index alone, without the linker
    assert all(h.type == "Drug" for h in search_concepts(kg, "阿司匹林", type="Drug", linker=linker).hits)


def test_lucene_syntax_is_searched_as_text_and_bad_text_refused(kg: GraphClient) -> None:
    for text in ("()", "-", "AND", "\\", "a:b", "~", '"', "*", "OR NOT", "/", "&&"):
        assert search_concepts(kg, text).hits == [], text
    assert search_concepts(kg, "糖尿病~2").hits[0].id == "Disease:糖尿病"
    for text, code in (("", "empty"), (" \t ", "empty"), ("糖" * 101, "too_long"), ("糖\x00尿", "control")):
        with pytest.raises(SearchRefused) as refused:
            search_concepts(kg, text)
        assert refused.value.code == code
    with pytest.raises(SearchRefused, match="unknown type"):
        search_concepts(kg, "糖尿病", type="Nonsense")


def test_icd10_codes_find_their_concepts(kg: GraphClient) -> None:
    kg.write("internal/merge_concept_aliases", rows=[
        {"id": "Disease:糖尿病", "aliases": [], "icd10": ["E14.9"]},
        {"id": "Disease:糖尿病肾病", "aliases": [], "icd10": ["E14.2", "N08.3"]}])
    linker = build_linker(kg)
    chapter = search_concepts(kg, "e14", linker=linker)
    assert [h.id for h in chapter.hits[:2]] == ["Disease:糖尿病肾病", "Disease:糖尿病"]  # by code, then id
    assert chapter.hits[0].icd10_match == "E14.2" and not chapter.hits[0].exact
    exact = search_concepts(kg, "E14.9", linker=linker)
    assert exact.hits[0].id == "Disease:糖尿病" and exact.hits[0].exact and exact.hits[0].icd10 == ["E14.9"]
    assert [h.id for h in search_concepts(kg, "N08.3").hits] == ["Disease:糖尿病肾病"]
    assert search_concepts(kg, "E14", type="Drug").hits == []
    assert all(h.icd10_match is None for h in search_concepts(kg, "E1").hits)  # not shaped like a code
