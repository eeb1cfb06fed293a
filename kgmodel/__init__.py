"""The KG's own vocabulary and its files, without a database.

Labels, relationship types and concept ids (:mod:`kgmodel.model`), and readers of the KG source formats
(:mod:`kgmodel.formats`; CMeKG: :mod:`kgmodel.cmekg`, :mod:`kgmodel.cmekg_schema`). A pure package: it imports
neither ``neo4j`` nor ``graph`` (``tests/test_layers.py`` checks this), so the tagger recipe, the benchmarks and
``graph.kg.loader`` read KG files the same way.
"""
