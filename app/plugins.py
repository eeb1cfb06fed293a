"""Extraction plugins as ``medkg plugins`` shows and registers them.

:func:`plugin_inventory` puts the extractors stored in the graph next to the plugins installed here;
:func:`register_extractor` stores one plugin, with the config its own class builds from a model folder
(:func:`graph.watch.plugins.model_options`: no caller asks which plugin it is), and with ``enable`` also
stores the default plugins a graph runs unless told otherwise.

Example:
    >>> register_extractor(client, "cbt-kg-tagger", model_dir=Path("models/tagger"), enable=True)  # doctest: +SKIP
    {'id': 'cbt-kg-tagger@2', 'kind': 'ner', 'enabled': True, ..., 'also_enabled': ['context-assertion@1']}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from extractor.plugins.registry import plugin_specs
from graph.db.connection import GraphClient
from graph.watch.plugins import list_extractors, model_options, register_defaults, register_plugin

__all__ = ["plugin_inventory", "register_extractor"]


def plugin_inventory(client: GraphClient) -> dict[str, Any]:
    """The stored extractors in run order (``extractors``) and the plugins installed here (``installed``)."""
    return {"extractors": [x.to_dict() for x in list_extractors(client)],
            "installed": [s.to_dict() for s in plugin_specs().values()]}


def register_extractor(client: GraphClient, name: str, version: str | None = None,
                       options: dict[str, Any] | None = None, *, model_dir: Path | None = None,
                       enable: bool = False, replace: bool = False) -> dict[str, Any]:
    """Store an installed plugin as an ``(:Extractor)`` node (idempotent).

    Args:
        client: The graph.
        name: The plugin's name.
        version: Its version (default: the newest installed).
        options: Its config.
        model_dir: A model folder; the plugin's class builds its config from it and ``options``.
        enable: Enable it, and store and enable the default plugins of kinds the graph has none of.
        replace: Replace the config of a version that never ran.

    Returns:
        The stored extractor (:meth:`~graph.watch.plugins.StoredExtractor.to_dict`), with ``note`` when its
        config carries one and ``also_enabled`` (ids) when default plugins were stored too.

    Raises:
        PluginError: The plugin, its version, its config or its model folder is refused (the message says why).
    """
    options = dict(options or {})
    if model_dir is not None:
        options = model_options(client, name, model_dir, options)
    stored = register_plugin(client, name, version, options, enable=enable, replace=replace)
    defaults = [x.id for x in register_defaults(client)] if enable else []
    return stored.to_dict() | ({"note": options["note"]} if "note" in options else {}) | (
        {"also_enabled": defaults} if defaults else {})
