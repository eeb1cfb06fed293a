"""Extraction plugins stored in the graph: ``(:Extractor)`` nodes, registered, enabled, loaded.

Each plugin the watcher may run is an ``(:Extractor {id: name@version, name, version, kind,
entry_point, config (JSON), artifact_sha256, enabled, registered_at, updated_at})`` node. The
watcher reads the enabled ones at the start of every cycle, so ``medkg plugins enable/disable``
takes effect without a restart. Loading checks that the stored entry point is the installed one
(:func:`extractor.plugins.registry.load_class`) and that the artifact (the tagger's weights) still has
the stored checksum.

Registering the same name, version and config again changes nothing; another config under the same
``name@version`` is refused (facts name the extractor id, so its meaning must not change: bump the
version, or pass ``replace`` for a plugin that has not written anything yet).

:data:`DEFAULT_PLUGINS` (the ``context-assertion`` rules) are on by default: :func:`register_defaults`
stores and enables each one whose kind the graph has no extractor of yet (enabled or not, so a user who
disabled it keeps it disabled); ``medkg plugins register --enable`` and the demo call it.

One assertion plugin is enabled at a time (:data:`SINGLE_KINDS`): with two, the watcher would run both and
keep, span by span, the first one's assertion in run order, so the other's would cost time and change
nothing. Enabling a second one is refused with the command that disables the first; to switch from the
rules to the learned model::

    medkg plugins disable context-assertion
    medkg plugins register learned-assertion --model DIR --enable

Example:
    >>> register_plugin(client, "gazetteer-ner", enable=True)  # doctest: +SKIP
    StoredExtractor(id='gazetteer-ner@1', ...)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from extractor.plugin import KIND_ORDER, ExtractionPlugin, PluginKind
from extractor.plugins.context import PluginContext
from extractor.plugins.registry import UnknownPluginError, build_plugin, builtin_specs, find_spec, load_class
from graph.db.connection import GraphClient

__all__ = ["DEFAULT_PLUGINS", "SINGLE_KINDS", "PluginError", "StoredExtractor", "enabled_extractors",
           "get_extractor", "list_extractors", "load_plugin", "model_options", "register_defaults", "register_plugin",
           "relation_config", "set_enabled", "tagger_config"]


#: Plugins a graph runs unless told otherwise: without assertions, negated findings count as evidence.
DEFAULT_PLUGINS: tuple[str, ...] = ("context-assertion",)

#: Kinds of which at most one extractor may be enabled: two would assert the same spans, and only the first's
#: assertion is kept (:mod:`graph.watch.pipeline`).
SINGLE_KINDS: tuple[str, ...] = ("assertion",)


class PluginError(ValueError):
    """A plugin that cannot be registered or loaded; the message says why."""


@dataclass(frozen=True)
class StoredExtractor:
    """One ``(:Extractor)`` node."""

    id: str
    name: str
    version: str
    kind: PluginKind
    entry_point: str
    config: dict[str, Any]
    artifact_sha256: str | None
    enabled: bool
    registered_at: str | None = None
    runs: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> StoredExtractor:
        """From a ``list_extractors`` row."""
        return cls(row["id"], row["name"], row["version"], row["kind"], row["entry_point"],
                   json.loads(row["config"] or "{}"), row["artifact_sha256"], bool(row["enabled"]),
                   str(row["registered_at"]) if row.get("registered_at") else None, int(row.get("runs") or 0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


def _kind_rank(extractor: StoredExtractor) -> tuple[int, str]:
    return (KIND_ORDER.index(extractor.kind) if extractor.kind in KIND_ORDER else len(KIND_ORDER), extractor.id)


def list_extractors(client: GraphClient) -> list[StoredExtractor]:
    """Every stored extractor, in run order (kind: ner, assertion, link, relation; then id)."""
    return sorted((StoredExtractor.from_row(r) for r in client.read("internal/list_extractors")), key=_kind_rank)


def enabled_extractors(client: GraphClient) -> list[StoredExtractor]:
    """The enabled extractors in run order: what one watcher cycle runs."""
    return [e for e in list_extractors(client) if e.enabled]


def get_extractor(client: GraphClient, extractor_id: str) -> StoredExtractor:
    """One stored extractor.

    Raises:
        PluginError: Not stored.
    """
    for extractor in list_extractors(client):
        if extractor.id == extractor_id or extractor.name == extractor_id:
            return extractor
    raise PluginError(f"no extractor {extractor_id!r} is registered (medkg plugins list)")


def model_options(client: GraphClient | None, name: str, model_dir: Path,
                  options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The config of plugin ``name`` for a model folder (``medkg plugins register NAME --model DIR``).

    Each plugin class that takes a folder builds its own config (its ``config_from_model`` classmethod,
    spaCy's factories being the model), given the user's ``options`` and the graph's embedding runs
    (for a tagger whose KG vectors may be in the graph).

    Raises:
        PluginError: ``name`` takes no model folder, or the folder is not a model of that plugin.
    """
    try:
        spec = find_spec(name)
    except UnknownPluginError as exc:
        raise PluginError(str(exc)) from exc
    hook = getattr(load_class(spec.id, spec.entry_point), "config_from_model", None)
    if hook is None:
        takers = sorted({s.name for s in builtin_specs()
                         if hasattr(load_class(s.id, s.entry_point), "config_from_model")})
        raise PluginError(f"--model is for {', '.join(takers[:-1])} and {takers[-1]}, not {name}")
    runs = ({r["id"]: r for r in client.read("internal/list_embedding_runs", property=None)}
            if client is not None else None)
    try:
        return dict(hook(Path(model_dir), dict(options or {}), runs))
    except (OSError, ValueError) as exc:  # a missing file, bad JSON, a checkpoint of another kind
        raise PluginError(str(exc)) from exc


def tagger_config(model_dir: Path, client: GraphClient | None, **options: Any) -> dict[str, Any]:
    """``cbt-kg-tagger``'s config for a checkpoint folder (:func:`model_options`)."""
    return model_options(client, "cbt-kg-tagger", model_dir, options)


def relation_config(model_dir: Path, **options: Any) -> dict[str, Any]:
    """``entity-marker-relations``'s config for a checkpoint folder (:func:`model_options`)."""
    return model_options(None, "entity-marker-relations", model_dir, options)


def _refuse_a_second(client: GraphClient, extractor_id: str, kind: str) -> None:
    """Refuse to enable ``extractor_id`` while another extractor of a :data:`SINGLE_KINDS` kind is enabled."""
    if kind not in SINGLE_KINDS:
        return
    stored = list_extractors(client)
    for other in stored:
        if other.enabled and other.kind == kind and other.id != extractor_id:
            named = other.name if sum(e.name == other.name for e in stored) == 1 else other.id
            raise PluginError(f"{extractor_id}: {other.id} is enabled, and one {kind} plugin runs at a time (with "
                              f"two, the first in run order would assert every span); run `medkg plugins disable "
                              f"{named}` first")


def register_plugin(client: GraphClient, name: str, version: str | None = None,
                    config: dict[str, Any] | None = None, *, enable: bool = False,
                    replace: bool = False) -> StoredExtractor:
    """Store (or confirm) one installed plugin as an ``(:Extractor)`` node.

    Raises:
        PluginError: Unknown plugin or version, a config the plugin rejects, a missing artifact,
            another config already stored under the same id (without ``replace``), or ``enable`` of an
            assertion plugin while another one is enabled.
    """
    config = dict(config or {})
    note = config.pop("note", None)
    try:
        spec = find_spec(name, version)
        cls = load_class(spec.id, spec.entry_point)
        settings = cls.Config.model_validate(config)
        artifact = cls.artifact_sha256(settings)
    except UnknownPluginError as exc:
        raise PluginError(str(exc)) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PluginError(f"{name}: config field {'.'.join(map(str, first['loc']))!r}: {first['msg']}") from exc
    except (FileNotFoundError, ValueError) as exc:  # a missing or unreadable checkpoint
        raise PluginError(f"{name}: {exc}") from exc
    stored_config = json.dumps(settings.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    existing = {e.id: e for e in list_extractors(client)}.get(spec.id)
    if existing is not None and not replace and (
            json.dumps(existing.config, ensure_ascii=False, sort_keys=True) != stored_config
            or existing.artifact_sha256 != artifact):
        raise PluginError(f"{spec.id} is already registered with another config or artifact; facts name the "
                          "extractor id, so register a new version (or --replace if it has not run yet)")
    if existing is not None and replace and existing.runs:
        raise PluginError(f"{spec.id} has written facts in {existing.runs} runs; register a new version instead")
    if enable:
        _refuse_a_second(client, spec.id, spec.kind)
    rows, _ = client.write("internal/merge_extractor", id=spec.id, plugin_name=spec.name, version=spec.version,
                           kind=spec.kind, entry_point=spec.entry_point, config=stored_config,
                           artifact_sha256=artifact, enabled=enable, note=note)
    return StoredExtractor.from_row(rows[0])


def register_defaults(client: GraphClient) -> list[StoredExtractor]:
    """Store and enable each of :data:`DEFAULT_PLUGINS` whose kind no stored extractor has; returns those stored.

    Raises:
        PluginError: A default plugin cannot be registered (not installed, a missing artifact).
    """
    kinds: set[str] = {e.kind for e in list_extractors(client)}
    added = []
    for name in DEFAULT_PLUGINS:
        try:
            kind = find_spec(name).kind
        except UnknownPluginError as exc:
            raise PluginError(str(exc)) from exc
        if kind not in kinds:
            added.append(register_plugin(client, name, enable=True))
            kinds.add(kind)
    return added


def set_enabled(client: GraphClient, extractor_id: str, enabled: bool) -> StoredExtractor:
    """Enable or disable a stored extractor (by id or name; a name must be unambiguous).

    Raises:
        PluginError: Not stored, a name with several stored versions, or enabling a second assertion plugin.
    """
    matches = [e for e in list_extractors(client) if extractor_id in (e.id, e.name)]
    if not matches:
        raise PluginError(f"no extractor {extractor_id!r} is registered (medkg plugins list)")
    if len(matches) > 1:
        raise PluginError(f"{extractor_id!r} names {len(matches)} versions ({', '.join(e.id for e in matches)}); "
                          "give name@version")
    if enabled:
        _refuse_a_second(client, matches[0].id, matches[0].kind)
    rows, _ = client.write("internal/set_extractor_enabled", id=matches[0].id, enabled=enabled)
    return StoredExtractor.from_row(rows[0])


def load_plugin(extractor: StoredExtractor, context: PluginContext | None) -> ExtractionPlugin:
    """An instance of a stored extractor, after checking its entry point and artifact.

    Raises:
        PluginError: Not installed here, another entry point, a config the plugin rejects, or an
            artifact whose checksum differs from the stored one.
    """
    try:
        cls = load_class(extractor.id, extractor.entry_point)
        plugin = build_plugin(cls, extractor.config, context)
        artifact = cls.artifact_sha256(plugin.settings) if hasattr(plugin, "settings") else None
    except UnknownPluginError as exc:
        raise PluginError(str(exc)) from exc
    except ValidationError as exc:
        raise PluginError(f"{extractor.id}: stored config does not fit the plugin: {exc.errors()[0]['msg']}") from exc
    except (FileNotFoundError, ValueError) as exc:
        raise PluginError(f"{extractor.id}: artifact missing or unreadable: {exc}") from exc
    if extractor.artifact_sha256 and artifact != extractor.artifact_sha256:
        raise PluginError(f"{extractor.id}: artifact checksum {artifact} differs from the registered "
                          f"{extractor.artifact_sha256}; register the new checkpoint as a new version")
    return plugin
