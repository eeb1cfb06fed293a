"""The web application's users as the graph keeps them: ``(:WebUser {name, role, password_hash, disabled, ...})``.

Only a password *hash* reaches the graph (the application layer hashes with argon2); the listing never returns
it. The name is unique (``cypher/schema/constraints.cypher``). Writes are ``medkg users`` commands; the web
application only reads a user, in a READ transaction (:mod:`graph.browse.reader`).

Example:
    >>> add_user(client, "alice", "curator", "$argon2id$v=19$...")  # doctest: +SKIP
    True
    >>> get_user(client, "alice")["role"]  # doctest: +SKIP
    'curator'
"""

from __future__ import annotations

from typing import Any, Literal

from graph.browse.reader import read_rows
from graph.db.connection import GraphClient

__all__ = ["ROLES", "Role", "UserError", "add_user", "get_user", "list_users", "set_disabled", "set_password_hash"]

Role = Literal["viewer", "curator"]
#: The roles: a viewer reads; a curator reads and curates.
ROLES: tuple[Role, ...] = ("viewer", "curator")


class UserError(ValueError):
    """An unknown user, a name taken, or an unknown role (the message says which)."""


def add_user(client: GraphClient, name: str, role: str, password_hash: str) -> bool:
    """Store a new user; ``False`` (and nothing changed) when the name is taken.

    Raises:
        UserError: ``role`` is not one of :data:`ROLES`.
    """
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    rows, _ = client.write("internal/merge_web_user", user=name, role=role, password_hash=password_hash)
    return bool(rows[0]["created"])


def get_user(client: GraphClient, name: str) -> dict[str, Any] | None:
    """``{name, role, password_hash, disabled}`` of ``name``, or ``None``; read in a READ transaction.

    Raises:
        graph.browse.reader.GraphUnavailable: The database cannot be reached.
    """
    rows = read_rows(client, "internal/get_web_user", user=name)
    return rows[0] if rows else None


def list_users(client: GraphClient) -> list[dict[str, Any]]:
    """Every user by name: ``{name, role, disabled, created_at, password_changed_at}``, no hash."""
    return client.read("internal/list_web_users")


def set_disabled(client: GraphClient, name: str, disabled: bool) -> None:
    """Disable (or enable again) ``name``.

    Raises:
        UserError: No such user.
    """
    _change(client, "internal/set_web_user_disabled", name, disabled=disabled)


def set_password_hash(client: GraphClient, name: str, password_hash: str) -> None:
    """Replace the password hash of ``name``.

    Raises:
        UserError: No such user.
    """
    _change(client, "internal/set_web_user_password", name, password_hash=password_hash)


def _change(client: GraphClient, statement: str, name: str, **params: Any) -> None:
    """Run ``statement`` on the user ``name``.

    Raises:
        UserError: No such user.
    """
    if not client.write(statement, user=name, **params)[0]:
        raise UserError(f"no user {name!r} (medkg users list)")
