"""``medkg serve``: the web application on the live graph, served by uvicorn.

It listens on loopback unless told otherwise. A host beyond loopback is refused unless the page is served over
TLS (``--tls-cert`` and ``--tls-key``) or the operator spells out ``--insecure-http``; either way a warning names
what is exposed. The graph is the one every command uses (``NEO4J_URI``, else the embedded Neo4j, started when
needed); the users are those of the users file (:mod:`app.userstore`), which is read once before anything starts
so that a file open to others or malformed stops the command with its reason.

Example:
    >>> binding_warning(WebConfig())
    >>> binding_warning(WebConfig(host="0.0.0.0", insecure_http=True))[:40]
    'listening on 0.0.0.0 over plain HTTP: pa'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.web.config import WebConfig

__all__ = ["ServeRefused", "Serving", "binding_warning", "check_binding", "serve"]


class ServeRefused(ValueError):
    """Settings ``medkg serve`` will not run with (the message says what to add)."""


@dataclass(frozen=True)
class Serving:
    """Where the application listens."""

    url: str
    graph: str
    warning: str | None
    users_file: str
    users: int


def check_binding(config: WebConfig) -> None:
    """Refuse a host beyond loopback without TLS or ``insecure_http``.

    Raises:
        ServeRefused: The host is not a loopback address and neither TLS nor ``insecure_http`` is set.
    """
    if not config.loopback and not config.tls and not config.insecure_http:
        raise ServeRefused(f"{config.host} is not a loopback address: other machines could connect, and passwords "
                           "would cross the network readable; give --tls-cert and --tls-key, or --insecure-http "
                           "to serve plain HTTP anyway")


def binding_warning(config: WebConfig) -> str | None:
    """What a host beyond loopback exposes (``None`` on loopback)."""
    if config.loopback:
        return None
    if config.tls:
        return f"listening on {config.host}: every machine that can reach it may try to log in"
    return (f"listening on {config.host} over plain HTTP: passwords and session cookies cross the network "
            "readable (--insecure-http)")


def serve(config: WebConfig, on_start: Callable[[Serving], None] | None = None) -> None:
    """Run the web application until interrupted.

    Args:
        config: Where and how to listen.
        on_start: Called once the graph is reachable, before listening (the command prints the address).

    Raises:
        ServeRefused: :func:`check_binding` refused the settings, or the users file cannot be used.
    """
    check_binding(config)
    import uvicorn

    from app.userstore import UserStore, UserStoreError
    from app.web.app import create_app
    from graph.db.connection import GraphClient

    users = UserStore()
    try:
        count = len(users.users())
    except UserStoreError as exc:
        raise ServeRefused(str(exc)) from exc
    with GraphClient.from_environment() as client:
        client.verify()
        client.apply_schema()  # the full-text index the search uses
        scheme = "https" if config.tls else "http"
        if on_start is not None:
            on_start(Serving(f"{scheme}://{config.host}:{config.port}/", client.uri, binding_warning(config),
                             str(users.path), count))
        application = create_app(client, config, users)
        application.state.web.linker.warm()  # the search's linker, built while the server starts answering
        uvicorn.run(application, host=config.host, port=config.port, log_level="warning",
                    ssl_certfile=str(config.tls_cert) if config.tls_cert else None,
                    ssl_keyfile=str(config.tls_key) if config.tls_key else None, proxy_headers=False,
                    server_header=False)
