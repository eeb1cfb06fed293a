"""The application layer: what a user runs, composed from the libraries and the graph.

The ``medkg`` command (:mod:`app.cli`), the demo, the tagger's training recipe, the report and the watcher's
processes. It sits on top: it may import every package, and no package imports it (``tests/test_layers.py``).
"""
