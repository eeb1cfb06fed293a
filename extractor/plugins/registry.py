"""Which extraction plugins exist: the built-ins (listed lazily) and the ``medkg.plugins`` entry points.

Built-ins are listed as ``module:Class`` with their name, version and kind written here, in a
:class:`core.registry.LazyRegistry` keyed by plugin id (:data:`REGISTRY`), so listing them imports
nothing heavy (the tagger plugin imports torch only when it is loaded). Third-party
plugins register a class in the ``medkg.plugins`` entry-point group of their distribution::

    [project.entry-points."medkg.plugins"]
    my-ner = "my_package.ner:MyNER"

A plugin class has ``name``, ``version``, ``kind`` and ``Config`` (a closed pydantic model) class
attributes, ``__init__(config, context)``, ``artifact_sha256(config)`` (a classmethod) and
``extract(records)``. A plugin that runs a trained model may add the classmethod
``config_from_model(model_dir, options, embedding_runs) -> dict``, its config for a model folder (what
``medkg plugins register NAME --model DIR`` stores). A plugin whose behaviour changes gets a new
``version``; the old class stays listed under its old version so that records can still be traced to it
and it can still be run.

A class can also be registered from code for the running process (:func:`register_class`: notebooks,
tests, an application embedding medkg); other processes do not see it.

Only classes listed here can be loaded: the entry point stored on an ``(:Extractor)`` node is looked
up in this registry and never imported as given, so a write to the graph cannot make the watcher
import arbitrary code.

Example:
    >>> sorted(spec.id for spec in builtin_specs())[:2]
    ['cbt-kg-tagger@1', 'cbt-kg-tagger@2']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from importlib import metadata
from typing import Any

from core.registry import LazyRegistry, load_reference
from extractor.plugin import ExtractionPlugin

__all__ = ["ENTRY_POINT_GROUP", "REGISTRY", "PluginSpec", "UnknownPluginError", "build_plugin", "builtin_specs",
           "find_spec", "load_class", "plugin_specs", "register_class", "unregister_class"]

ENTRY_POINT_GROUP = "medkg.plugins"


class UnknownPluginError(LookupError):
    """No plugin of that name (and version) is installed, or a stored entry point is not a known one."""


@dataclass(frozen=True)
class PluginSpec:
    """One installable plugin version."""

    name: str
    version: str
    kind: str
    entry_point: str
    """``module:Class``."""
    builtin: bool

    @property
    def id(self) -> str:
        """``name@version``: the ``(:Extractor)`` node's key."""
        return f"{self.name}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self) | {"id": self.id}


_BUILTINS: tuple[PluginSpec, ...] = (
    PluginSpec("gazetteer-ner", "1", "ner", "extractor.plugins.gazetteer_ner:GazetteerNER", True),
    PluginSpec("cbt-kg-tagger", "1", "ner", "extractor.plugins.tagger:TaggerPlugin", True),
    PluginSpec("cbt-kg-tagger", "2", "ner", "extractor.plugins.tagger:MultiSchemaTaggerPlugin", True),
    PluginSpec("context-assertion", "1", "assertion", "extractor.plugins.assertion:ContextAssertion", True),
    PluginSpec("learned-assertion", "1", "assertion", "extractor.plugins.learned_assertion:LearnedAssertionPlugin",
               True),
    PluginSpec("kg-linker", "1", "link", "extractor.plugins.linking:KGLinker", True),
    PluginSpec("cooccurrence-relations", "1", "relation", "extractor.plugins.cooccurrence:CooccurrenceRelations",
               True),
    PluginSpec("entity-marker-relations", "1", "relation", "extractor.plugins.entity_marker:EntityMarkerRelations",
               True),
)

#: Plugin classes by id (``name@version``): the built-ins, imported on first use, and the classes
#: registered for this process (:func:`register_class`). Entry-point plugins are found by
#: :func:`plugin_specs` each time, since installing a distribution adds them.
REGISTRY: LazyRegistry[type[Any]] = LazyRegistry("plugin", {spec.id: spec.entry_point for spec in _BUILTINS},
                                            error=UnknownPluginError)


def _local_spec(cls: type[Any]) -> PluginSpec:
    return PluginSpec(str(cls.name), str(cls.version), str(cls.kind), f"{cls.__module__}:{cls.__qualname__}", False)


def register_class(cls: type[Any]) -> PluginSpec:
    """Make a plugin class loadable in this process (its entry point is ``module:qualname``).

    Registering a class under the id of one registered earlier replaces it.

    Raises:
        UnknownPluginError: The class lacks ``name``, ``version``, ``kind`` or ``Config``, or its id is a built-in's.
    """
    for attr in ("name", "version", "kind", "Config"):
        if not hasattr(cls, attr):
            raise UnknownPluginError(f"{cls.__qualname__}: plugin class lacks {attr!r}")
    spec = _local_spec(cls)
    if spec.id in REGISTRY.builtin:
        raise UnknownPluginError(f"{spec.id} is a built-in plugin; give the class another name or version")
    REGISTRY.register(spec.id, cls, replace=True)
    return spec


def unregister_class(spec_id: str) -> None:
    """Forget a class registered with :func:`register_class` (no error if it was not)."""
    REGISTRY.unregister(spec_id)


def builtin_specs() -> tuple[PluginSpec, ...]:
    """The built-in plugins."""
    return _BUILTINS


def _entry_point_specs() -> list[PluginSpec]:
    specs = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        cls = ep.load()
        for attr in ("name", "version", "kind", "Config"):
            if not hasattr(cls, attr):
                raise UnknownPluginError(f"entry point {ep.name} = {ep.value}: plugin class lacks {attr!r}")
        specs.append(PluginSpec(str(cls.name), str(cls.version), str(cls.kind), ep.value, False))
    return specs


def plugin_specs() -> dict[str, PluginSpec]:
    """Every installed plugin version by id (``name@version``); built-ins win a clash."""
    found: dict[str, PluginSpec] = {}
    for spec in (*_entry_point_specs(), *(_local_spec(cls) for cls in REGISTRY.registered.values()), *_BUILTINS):
        found[spec.id] = spec
    return found


def find_spec(name: str, version: str | None = None) -> PluginSpec:
    """The spec of ``name`` at ``version`` (default: the highest installed version).

    Raises:
        UnknownPluginError: No such plugin or version.
    """
    specs = [s for s in plugin_specs().values() if s.name == name]
    if not specs:
        known = ", ".join(sorted({s.name for s in plugin_specs().values()}))
        raise UnknownPluginError(f"unknown plugin {name!r}; installed: {known}")
    if version is None:
        return max(specs, key=lambda s: _version_key(s.version))
    for spec in specs:
        if spec.version == version:
            return spec
    raise UnknownPluginError(f"plugin {name!r} has no version {version!r}; installed: "
                             f"{', '.join(sorted(s.version for s in specs))}")


def _version_key(version: str) -> tuple[int | str, ...]:
    return tuple(int(p) if p.isdigit() else p for p in version.split("."))


def load_class(spec_id: str, entry_point: str) -> type[Any]:
    """The plugin class of an installed plugin, checked against what the graph stored.

    Raises:
        UnknownPluginError: ``spec_id`` is not installed, or the stored entry point is not its entry point.
    """
    spec = plugin_specs().get(spec_id)
    if spec is None:
        raise UnknownPluginError(f"extractor {spec_id!r} is stored in the graph but not installed here")
    if spec.entry_point != entry_point:
        raise UnknownPluginError(f"extractor {spec_id!r}: the graph names entry point {entry_point!r}, the "
                                 f"installed plugin is {spec.entry_point!r}; refusing to load it")
    if spec_id in REGISTRY.registered:
        return REGISTRY.get(spec_id)
    cls = REGISTRY.get(spec_id) if spec.builtin else load_reference(spec.entry_point)
    if str(cls.name) != spec.name or str(cls.version) != spec.version:
        raise UnknownPluginError(f"{spec.entry_point} is {cls.name}@{cls.version}, expected {spec_id}")
    return cls


def build_plugin(cls: type[Any], config: dict[str, Any], context: Any) -> ExtractionPlugin:
    """An instance of ``cls`` with a validated config.

    Raises:
        pydantic.ValidationError: The config does not fit the plugin's ``Config``.
    """
    settings = cls.Config.model_validate(config)
    plugin: ExtractionPlugin = cls(settings, context=context)
    return plugin
