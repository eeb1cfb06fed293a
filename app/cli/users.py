"""``medkg users``: the users of the web application (``medkg serve``) and their roles.

They live in a local file (``MEDKG_WEB_USERS``, else ``<MEDKG_HOME>/web/users.json``), never in the graph; these
commands do not need Neo4j.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from app.cli.common import JsonFlag, emit, fail, kv_table, out

if TYPE_CHECKING:
    from app.userstore import UserStore

__all__ = ["users_app"]

users_app = typer.Typer(help="Users of the web application (medkg serve): viewers read, curators curate.",
                        no_args_is_help=True)
Name = Annotated[str, typer.Argument(help="The login name (letters, digits, . _ @ -).")]
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from the first line of stdin instead of asking for it.")]


def _password(from_stdin: bool) -> str:
    """The new password: stdin's first line, or asked twice on the terminal (never an option: no shell history)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    return password


def _run(action: Callable[[UserStore], Any], as_json: bool) -> Any:
    """``action`` on the users file.

    A refused operation (:class:`app.users.UserError`) exits 2, a users file that cannot be used
    (:class:`app.userstore.UserStoreError`: open to others, malformed) exits 1.
    """
    from app.users import UserError
    from app.userstore import UserStore, UserStoreError

    try:
        return action(UserStore())
    except UserError as exc:
        fail(str(exc), code=2, as_json=as_json)
    except UserStoreError as exc:
        fail(str(exc), code=1, as_json=as_json)


@users_app.command("add")
def users_add(name: Name, role: Annotated[str, typer.Option("--role", help="viewer or curator.")],
              password_stdin: PasswordStdin = False, as_json: JsonFlag = False) -> None:
    """Add a user (the users file keeps an argon2id hash of the password, never the password)."""
    from app.users import add_user

    password = _password(password_stdin)
    result = _run(lambda store: add_user(store, name, role, password), as_json)
    emit(result, as_json, lambda p: out.print(kv_table("user added", p)))


@users_app.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    """Every user: role, disabled, when created and when the password last changed."""
    from app.users import list_users

    rows = _run(list_users, as_json)

    def render(payload: dict[str, Any]) -> None:
        table = Table(title="web users")
        for column in ("name", "role", "disabled", "created", "password changed"):
            table.add_column(column)
        for u in payload["users"]:
            table.add_row(u["name"], u["role"], "yes" if u["disabled"] else "no", (u["created_at"] or "-")[:19],
                          (u["password_changed_at"] or "-")[:19])
        out.print(table)

    emit({"users": rows}, as_json, render)


@users_app.command("disable")
def users_disable(name: Name, as_json: JsonFlag = False) -> None:
    """Disable a user: no more logins, and an open session ends at its next request."""
    from app.users import set_disabled

    emit(_run(lambda store: set_disabled(store, name, True), as_json), as_json,
         lambda p: out.print(kv_table("user", p)))


@users_app.command("enable")
def users_enable(name: Name, as_json: JsonFlag = False) -> None:
    """Enable a disabled user again."""
    from app.users import set_disabled

    emit(_run(lambda store: set_disabled(store, name, False), as_json), as_json,
         lambda p: out.print(kv_table("user", p)))


@users_app.command("passwd")
def users_passwd(name: Name, password_stdin: PasswordStdin = False, as_json: JsonFlag = False) -> None:
    """Set a new password for a user."""
    from app.users import change_password

    password = _password(password_stdin)
    result = _run(lambda store: change_password(store, name, password), as_json)
    emit(result, as_json, lambda p: out.print(kv_table("user", p)))
