"""One mention linked as ``medkg link`` links it: the linker built from every concept of the graph, then asked.

Example:
    >>> link_mention(client, "爱若华", mention_type="Drug", k=5).best  # doctest: +SKIP
"""

from __future__ import annotations

from graph.db.connection import GraphClient
from graph.kg.linking import build_linker
from linker import LinkResult

__all__ = ["link_mention"]


def link_mention(client: GraphClient, text: str, mention_type: str | None = None, k: int = 5) -> LinkResult:
    """The top ``k`` concepts of the graph for ``text``, with the step that decided (or NIL).

    Args:
        client: The graph (its concepts are read once, to build the linker's index).
        text: The mention.
        mention_type: An NER type, CCKS label or KG label; ``None`` for every type.
        k: How many candidates.

    Raises:
        LookupError: The graph holds no concepts.
        ValueError, TypeError: The mention or its type is refused by the linker.
    """
    return build_linker(client).link(text, type=mention_type, k=k)
