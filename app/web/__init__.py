"""The web application (``medkg serve``): search, concept and record pages on the live graph, behind a login.

``create_app`` (:mod:`app.web.app`) builds it, :func:`app.web.server.serve` serves it; the pages read through
:mod:`graph.browse`. See ``README.md`` here and ``docs/web.md``.
"""
