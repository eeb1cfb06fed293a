"""medkg core: the small rules every other package shares (a pure package, the lowest floor).

It imports only the standard library and pydantic; never ``graph``, ``linker``, ``embeddings``,
``extractor``, ``neo4j`` or torch (a test checks this), so every package may import it.

Example:
    >>> from core.registry import LazyRegistry
    >>> LazyRegistry("example", {"path": "pathlib:Path"}).get("path").__name__
    'Path'
"""
