"""The usage examples in the docstrings of the pure modules run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "extractor.plugin", "extractor.plugins.context", "extractor.plugins.merge", "extractor.plugins.registry",
    "extractor.plugins.gazetteer_ner", "extractor.plugins.linking", "extractor.plugins.cooccurrence",
    "graph.watch.records", "graph.watch.config", "graph.watch.device", "graph.watch.facts", "graph.kg.relations",
    "graph.analyst.library", "graph.analyst.guard", "app.cli.common", "extractor.assertion.context",
    "extractor.assertion.rules", "extractor.assertion.sections", "extractor.assertion.schema",
    "extractor.assertion.evalset", "extractor.assertion.evaluate", "extractor.relations.model",
    "extractor.relations.ner", "embeddings.optim", "extractor.plugins.assertion", "extractor.plugins.evidence",
    "core", "core.config", "core.registry", "core.versions", "core.progress", "embeddings.registry", "linker.steps",
    "app.watch", "app.kg_loading", "app.querying", "extractor.corpus_check", "extractor.scoring",
    "extractor.corpus_write", "extractor.spanhead", "extractor.windows", "linker.typemap",
    "app.users", "app.userstore", "app.web.config", "app.web.security", "app.web.i18n", "app.web.highlight",
    "app.web.server", "app.web.state", "graph.browse.search", "app.web.charts", "app.web.queries",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
