"""Users of the web application: ``medkg users add/list/disable/enable/passwd`` and the login check of ``medkg serve``.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile) before anything
reaches the graph; the graph keeps the hash only (:mod:`graph.browse.users`). A login of an unknown or
disabled user costs the same hash as a real one, so its answer time does not tell which names exist.

Example:
    >>> hashed = hash_password("correct horse battery")
    >>> hashed.startswith("$argon2id$"), password_matches(hashed, "correct horse battery")
    (True, True)
    >>> password_matches(hashed, "wrong")
    False
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from graph.browse import users as store
from graph.browse.users import ROLES, Role, UserError
from graph.db.connection import GraphClient

__all__ = ["MIN_PASSWORD_CHARS", "Login", "UserError", "add_user", "change_password", "check_login", "hash_password",
           "list_users", "password_matches", "set_disabled"]

#: The shortest password taken.
MIN_PASSWORD_CHARS = 10
_NAME = re.compile(r"^[\w.@-]{1,64}$")


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _decoy_hash() -> str:
    """A hash to verify against when the user is unknown (the same work as for a real one)."""
    return _hasher().hash("medkg decoy password")


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted: two calls give two hashes)."""
    return _hasher().hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether ``password`` is the one ``password_hash`` was made from (a malformed hash never matches)."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UserError(f"a user name is 1 to 64 letters, digits or . _ @ -, got {name!r}")
    return name


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise UserError(f"a password has at least {MIN_PASSWORD_CHARS} characters")
    return password


def add_user(client: GraphClient, name: str, role: str, password: str) -> dict[str, Any]:
    """Store a new user with the hash of ``password``.

    Raises:
        UserError: A bad name, role or password, or a name already taken.
    """
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    hashed = hash_password(_check_password(password))
    client.apply_schema()  # the uniqueness constraint on the name
    if not store.add_user(client, _check_name(name), role, hashed):
        raise UserError(f"user {name!r} exists; medkg users passwd {name} changes the password")
    return {"name": name, "role": role, "created": True}


def change_password(client: GraphClient, name: str, password: str) -> dict[str, Any]:
    """Replace the password of ``name`` (open sessions stay; ``disable`` ends them).

    Raises:
        UserError: No such user, or a password that is too short.
    """
    store.set_password_hash(client, name, hash_password(_check_password(password)))
    return {"name": name, "password_changed": True}


def set_disabled(client: GraphClient, name: str, disabled: bool) -> dict[str, Any]:
    """Disable ``name`` (no login, and every open session of it ends at its next request) or enable it again.

    Raises:
        UserError: No such user.
    """
    store.set_disabled(client, name, disabled)
    return {"name": name, "disabled": disabled}


def list_users(client: GraphClient) -> list[dict[str, Any]]:
    """Every user, by name, without password hashes."""
    return store.list_users(client)


@dataclass(frozen=True)
class Login:
    """A user who may use the web application now."""

    name: str
    role: Role


def check_login(client: GraphClient, name: str, password: str) -> Login | None:
    """The user ``name`` when ``password`` is theirs and they are not disabled, else ``None``.

    Raises:
        graph.browse.reader.GraphUnavailable: The database cannot be reached.
    """
    user = store.get_user(client, name) if _NAME.match(name) else None
    matches = password_matches(user["password_hash"] if user else _decoy_hash(), password)
    if user is None or not matches or user["disabled"] or user["role"] not in ROLES:
        return None
    return Login(user["name"], user["role"])
