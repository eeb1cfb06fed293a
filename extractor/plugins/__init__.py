"""Built-in extraction plugins, the plugin registry and the NER overlap rule.

Import the submodules directly (``from extractor.plugins.registry import plugin_specs``): the tagger
plugin imports torch, the others do not.
"""

__all__: list[str] = []
