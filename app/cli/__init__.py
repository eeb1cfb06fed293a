"""The ``medkg`` command: a thin layer over the entry functions of the package.

One module per command group (``db``, ``kg``, ``link``, ``demo``, ``embed``, ``tagger``, ``ingest``,
``plugins``, ``watch``, ``query``, ``curate``, ``report``, ``serve``, ``users``), each importing
only :mod:`app.cli.common` and the workflow modules; this package builds ``app`` from them. Every
command a script would call takes ``--json`` and then prints exactly one JSON object on stdout;
progress bars and messages go to stderr. Bad input exits with status 2 and a message naming what
was wrong; other failures exit with status 1.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from app.cli import (
    curate,
    db,
    demo,
    embed,
    ingest,
    kg,
    link,
    plugins,
    query,
    relations,
    report,
    serve,
    tagger,
    users,
    watch,
)

__all__ = ["app"]

app = typer.Typer(help="medkg: Chinese EMRs into a Neo4j medical knowledge graph.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.add_typer(db.db_app, name="db")
app.add_typer(kg.kg_app, name="kg")
app.add_typer(embed.embed_app, name="embed")
for _name, _command in tagger.COMMANDS:
    app.command(_name)(_command)
app.command("link")(link.link)
app.command("demo")(demo.demo)
app.command("ingest")(ingest.ingest)
app.command("evaluate-relations")(relations.evaluate_relations_command)
app.command("query")(query.query_command)
app.add_typer(curate.curate_app, name="curate")
app.command("report")(report.report_command)
app.add_typer(plugins.plugins_app, name="plugins")
app.add_typer(watch.watch_app, name="watch")
app.command("serve")(serve.serve_command)
app.add_typer(users.users_app, name="users")


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False) -> None:
    """medkg: Chinese EMRs into a Neo4j medical knowledge graph."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # the server's query notifications (e.g. "label does not exist" on an empty graph) are for -v
    logging.getLogger("neo4j.notifications").setLevel(logging.INFO if verbose else logging.ERROR)
    logging.getLogger("pykeen").setLevel(logging.INFO if verbose else logging.WARNING)
