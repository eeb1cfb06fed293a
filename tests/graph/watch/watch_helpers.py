"""What the watcher tests share beyond the top-level helpers: the built-in plugins their graphs run.

A module of its own rather than ``conftest``: several test folders have a ``conftest.py``, and
``from conftest import ...`` finds whichever was imported first. The ad-hoc reads live in
:mod:`graph_helpers`, the stub plugins in :mod:`plugin_helpers`.
"""

from __future__ import annotations

__all__ = ["DEFAULT_PLUGINS"]

#: The model-free built-in plugins the watcher tests store and enable.
DEFAULT_PLUGINS = ("gazetteer-ner", "kg-linker", "cooccurrence-relations")
