"""Users of the web application: ``medkg users add/list/disable/enable/passwd`` and the login check of ``medkg serve``.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile) and only the hash is
kept, in the users file of :mod:`app.userstore` (never in the graph, which analysts may read whole). A login of an
unknown or disabled user costs the same hash as a real one, so its answer time does not tell which names exist.

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

from app.userstore import ROLES, Role, StoredUser, UserStore, UserStoreError, now

__all__ = ["MIN_PASSWORD_CHARS", "ROLES", "Login", "Role", "UserError", "UserStore", "UserStoreError", "add_user",
           "change_password", "check_login", "hash_password", "list_users", "password_matches", "set_disabled"]

#: The shortest password taken.
MIN_PASSWORD_CHARS = 10
_NAME = re.compile(r"^[\w.@-]{1,64}$")


class UserError(ValueError):
    """An unknown user, a name taken, a bad name, role or password (the message says which)."""


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


def add_user(store: UserStore, name: str, role: str, password: str) -> dict[str, Any]:
    """Store a new user with the hash of ``password``.

    Raises:
        UserError: A bad name, role or password, or a name already taken.
        app.userstore.UserStoreError: The users file cannot be used.
    """
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    _check_name(name)
    hashed = hash_password(_check_password(password))
    with store.change() as users:
        if name in users:
            raise UserError(f"user {name!r} exists; medkg users passwd {name} changes the password")
        users[name] = StoredUser(name=name, role=role, password_hash=hashed)
    return {"name": name, "role": role, "created": True}


def change_password(store: UserStore, name: str, password: str) -> dict[str, Any]:
    """Replace the password of ``name`` (open sessions stay; ``disable`` ends them).

    Raises:
        UserError: No such user, or a password that is too short.
        app.userstore.UserStoreError: The users file cannot be used.
    """
    hashed = hash_password(_check_password(password))
    with store.change() as users:
        users[name] = _existing(users, name).model_copy(update={"password_hash": hashed, "password_changed_at": now()})
    return {"name": name, "password_changed": True}


def set_disabled(store: UserStore, name: str, disabled: bool) -> dict[str, Any]:
    """Disable ``name`` (no login, and every open session of it ends at its next request) or enable it again.

    Raises:
        UserError: No such user.
        app.userstore.UserStoreError: The users file cannot be used.
    """
    with store.change() as users:
        users[name] = _existing(users, name).model_copy(update={"disabled": disabled})
    return {"name": name, "disabled": disabled}


def _existing(users: dict[str, StoredUser], name: str) -> StoredUser:
    if name not in users:
        raise UserError(f"no user {name!r} (medkg users list)")
    return users[name]


def list_users(store: UserStore) -> list[dict[str, Any]]:
    """Every user, by name: name, role, disabled, created_at, password_changed_at (never the hash).

    Raises:
        app.userstore.UserStoreError: The users file cannot be used.
    """
    return [user.model_dump(exclude={"password_hash"}) for user in store.users()]


@dataclass(frozen=True)
class Login:
    """A user who may use the web application now."""

    name: str
    role: Role


def check_login(store: UserStore, name: str, password: str) -> Login | None:
    """The user ``name`` when ``password`` is theirs and they are not disabled, else ``None``.

    Raises:
        app.userstore.UserStoreError: The users file cannot be used.
    """
    user = store.get(name) if _NAME.match(name) else None
    matches = password_matches(user.password_hash if user else _decoy_hash(), password)
    if user is None or not matches or user.disabled:
        return None
    return Login(user.name, user.role)
