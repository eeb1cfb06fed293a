"""``medkg serve``: the web application on the live graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import err, fail

__all__ = ["serve_command"]


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on; beyond loopback needs TLS or --insecure-http.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="PEM certificate for HTTPS.")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key for HTTPS.")] = None,
    insecure_http: Annotated[bool, typer.Option(
        "--insecure-http", help="Serve plain HTTP beyond loopback (passwords cross the network readable).")] = False,
    adhoc_cypher_viewers: Annotated[bool, typer.Option(
        "--adhoc-cypher-viewers", help="Offer the ad-hoc Cypher box (read-only) to viewers too, not only curators.")]
    = False,
) -> None:
    """Serve the web application (search, concepts, records, facts, overview, queries, curation) until stopped."""
    from pydantic import ValidationError

    from app.web.config import WebConfig
    from app.web.server import ServeRefused, Serving, serve

    try:
        config = WebConfig(host=host, port=port, tls_cert=tls_cert, tls_key=tls_key, insecure_http=insecure_http,
                           adhoc_cypher_for_viewers=adhoc_cypher_viewers)
    except ValidationError as exc:
        fail("; ".join(str(e["msg"]) for e in exc.errors()), code=2, as_json=False)

    def started(serving: Serving) -> None:
        if serving.warning:
            err.print(f"[yellow]warning:[/yellow] {serving.warning}", highlight=False)
        err.print(f"medkg web on {serving.url} (graph {serving.graph}; {serving.users} users in "
                  f"{serving.users_file}); medkg users add NAME --role viewer adds a user; Ctrl+C stops",
                  highlight=False, markup=False)

    try:
        serve(config, on_start=started)
    except ServeRefused as exc:
        fail(str(exc), code=2, as_json=False)
