"""The web application's users in a local file, never in the graph: ``<MEDKG_HOME>/web/users.json``.

Neo4j Community has no per-label access control, so whoever may read the graph could read anything kept there;
the users (argon2id password hashes) live in a JSON file beside the other local state instead, the way an
htpasswd file does. ``MEDKG_WEB_USERS`` names another file.

The file is created with mode 0600 in a folder created with mode 0700, and every change rewrites it atomically
(a temporary file in the same folder, fsync, ``os.replace``) under an exclusive lock on ``users.json.lock``, so
two ``medkg users`` commands never lose each other's change. A file that its group or others may read, or one
that is not a user list, is refused with the file's name and what is wrong. Reading is cached by the file's
identity (inode, size, modification time): the web application checks its user on every request without
parsing the file each time.

Example:
    >>> import tempfile
    >>> store = UserStore(Path(tempfile.mkdtemp()) / "web" / "users.json")
    >>> store.users()
    []
    >>> with store.change() as users:
    ...     users["alice"] = StoredUser(name="alice", role="viewer", password_hash="$argon2id$v=19$...")
    >>> store.get("alice").role, [oct(p.stat().st_mode & 0o777) for p in (store.path, store.path.parent)]
    ('viewer', ['0o600', '0o700'])
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from core.config import ClosedConfig, FrozenConfig
from graph.db.config import MedkgSettings

__all__ = ["FORMAT", "ROLES", "Role", "StoredUser", "UserStore", "UserStoreError", "default_users_file", "now"]

Role = Literal["viewer", "curator"]
#: The roles: a viewer reads; a curator reads and curates.
ROLES: tuple[Role, ...] = ("viewer", "curator")
#: The ``format`` field of the file, and its version.
FORMAT, VERSION = "medkg-web-users", 1


class UserStoreError(RuntimeError):
    """The users file cannot be used: readable by others, malformed, or not readable at all (the message names it)."""


def now() -> str:
    """The time now, UTC, to the second, as the file keeps it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class StoredUser(FrozenConfig):
    """One user as the file keeps it (the password hash is argon2id, never the password)."""

    name: str = Field(min_length=1, max_length=64)
    role: Role
    password_hash: str
    disabled: bool = False
    created_at: str = Field(default_factory=now)
    password_changed_at: str = Field(default_factory=now)

    @field_validator("password_hash")
    @classmethod
    def _argon2id(cls, value: str) -> str:
        if not value.startswith("$argon2id$"):
            raise ValueError("not an argon2id hash")
        return value


class _UsersFile(ClosedConfig):
    format: Literal["medkg-web-users"]
    version: Literal[1]
    users: list[StoredUser]


def default_users_file() -> Path:
    """``MEDKG_WEB_USERS``, else ``<MEDKG_HOME>/web/users.json``."""
    return MedkgSettings().web_users_file


class UserStore:
    """The users file at ``path`` (default :func:`default_users_file`); thread-safe."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_users_file()
        self._cache: tuple[tuple[int, int, int], dict[str, StoredUser]] | None = None
        self._cache_lock = threading.Lock()

    def get(self, name: str) -> StoredUser | None:
        """The user ``name``, or ``None`` (also when there is no file yet).

        Raises:
            UserStoreError: The file is readable by others, malformed or unreadable.
        """
        return self._read().get(name)

    def users(self) -> list[StoredUser]:
        """Every user, by name.

        Raises:
            UserStoreError: The file is readable by others, malformed or unreadable.
        """
        return [user for _, user in sorted(self._read().items())]

    @contextlib.contextmanager
    def change(self) -> Iterator[dict[str, StoredUser]]:
        """The users by name, to change in place; written back when the block ends without an exception.

        The lock is held from the read to the write, so a concurrent change waits and then sees this one.

        Raises:
            UserStoreError: The file is readable by others, malformed or unreadable.
        """
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, mode=0o700)
            folder.chmod(0o700)  # whatever the umask
        except FileExistsError:
            pass  # a folder chosen (MEDKG_WEB_USERS) or made before keeps its mode
        lock = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            users = dict(self._load()[1])
            yield users
            self._write(users)
        finally:
            os.close(lock)  # closing releases the lock

    def _read(self) -> dict[str, StoredUser]:
        """The users, parsed again only when the file changed since the last read."""
        with self._cache_lock:
            identity, users = self._load(self._cache)
            self._cache = (identity, users)
            return users

    def _load(self, cached: tuple[tuple[int, int, int], dict[str, StoredUser]] | None = None,
              ) -> tuple[tuple[int, int, int], dict[str, StoredUser]]:
        """The file's identity and users (``cached`` when the identity is the same; none when there is no file).

        Raises:
            UserStoreError: The file is readable by others, malformed or unreadable.
        """
        try:
            with self.path.open("rb") as handle:
                info = os.fstat(handle.fileno())
                self._check_mode(info)
                identity = (info.st_ino, info.st_size, info.st_mtime_ns)
                if cached is not None and cached[0] == identity:
                    return cached
                raw = handle.read()
        except FileNotFoundError:
            return (0, 0, 0), {}
        except OSError as exc:
            raise UserStoreError(f"cannot read the web users file {self.path}: {exc.strerror}") from exc
        return identity, self._parse(raw)

    def _check_mode(self, info: os.stat_result) -> None:
        if not stat.S_ISREG(info.st_mode):
            raise UserStoreError(f"the web users file {self.path} is not a regular file")
        if info.st_mode & 0o077:
            raise UserStoreError(
                f"the web users file {self.path} is open to its group or others (mode "
                f"{stat.S_IMODE(info.st_mode):o}): it holds password hashes; chmod 600 {self.path}")

    def _parse(self, raw: bytes) -> dict[str, StoredUser]:
        try:
            parsed = _UsersFile.model_validate(json.loads(raw.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UserStoreError(f"the web users file {self.path} is not JSON: {exc}") from exc
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'top level'}: {e['msg']}"
                                 for e in exc.errors(include_url=False))
            raise UserStoreError(f"the web users file {self.path} is malformed ({problems}); expected "
                                 f'{{"format": "{FORMAT}", "version": {VERSION}, "users": [...]}}') from exc
        users: dict[str, StoredUser] = {}
        for user in parsed.users:
            if user.name in users:
                raise UserStoreError(f"the web users file {self.path} is malformed: user {user.name!r} twice")
            users[user.name] = user
        return users

    def _write(self, users: dict[str, StoredUser]) -> None:
        """Replace the file atomically with ``users`` (mode 0600); the caller holds the lock."""
        document = {"format": FORMAT, "version": VERSION,
                    "users": [users[name].model_dump() for name in sorted(users)]}
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:  # mkstemp: mode 0600
                json.dump(document, handle, ensure_ascii=False, indent=2)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        folder = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself survives a crash
        finally:
            os.close(folder)
