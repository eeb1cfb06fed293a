"""The web users file: modes 0600/0700, atomic rewrites, a lock that keeps concurrent changes, the refusals, the
cache the per-request check reads through, and the login check on top of it. No Neo4j."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from pathlib import Path

import pytest

import app.userstore
from app.users import UserError, add_user, change_password, check_login, list_users, set_disabled
from app.userstore import UserStore, UserStoreError, default_users_file

PASSWORD = "a long secret 1"


@pytest.fixture
def store(tmp_path: Path) -> UserStore:
    return UserStore(tmp_path / "home" / "web" / "users.json")


def test_created_0600_in_a_0700_folder_whatever_the_umask(store: UserStore) -> None:
    old = os.umask(0o022)
    try:
        add_user(store, "ann", "viewer", PASSWORD)
    finally:
        os.umask(old)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    lock = store.path.with_name("users.json.lock")
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["users.json", "users.json.lock"]  # no temp file
    document = json.loads(store.path.read_text(encoding="utf-8"))
    assert document["format"] == "medkg-web-users" and document["version"] == 1
    assert PASSWORD not in store.path.read_text(encoding="utf-8")


def test_where_the_file_is(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEDKG_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MEDKG_WEB_USERS", raising=False)
    assert default_users_file() == tmp_path / "home" / "web" / "users.json"
    monkeypatch.setenv("MEDKG_WEB_USERS", str(tmp_path / "etc" / "medkg-users.json"))
    assert UserStore().path == tmp_path / "etc" / "medkg-users.json"


def test_operations_and_login(store: UserStore) -> None:
    assert list_users(store) == [] and check_login(store, "ann", PASSWORD) is None  # no file yet
    add_user(store, "ann", "curator", PASSWORD)
    with pytest.raises(UserError, match="exists"):
        add_user(store, "ann", "viewer", PASSWORD)
    login = check_login(store, "ann", PASSWORD)
    assert login is not None and (login.name, login.role) == ("ann", "curator")
    assert check_login(store, "ann", "wrong password") is None and check_login(store, "bob", PASSWORD) is None
    assert set(list_users(store)[0]) == {"name", "role", "disabled", "created_at", "password_changed_at"}
    set_disabled(store, "ann", True)
    assert check_login(store, "ann", PASSWORD) is None and list_users(store)[0]["disabled"] is True
    set_disabled(store, "ann", False)
    change_password(store, "ann", "another secret 2")
    assert check_login(store, "ann", PASSWORD) is None and check_login(store, "ann", "another secret 2") is not None
    for refused in (lambda: set_disabled(store, "bob", True), lambda: change_password(store, "bob", PASSWORD)):
        with pytest.raises(UserError, match="no user 'bob'"):
            refused()


def test_concurrent_adds_are_all_kept(store: UserStore) -> None:
    names = [f"user{i}" for i in range(8)]
    errors: list[BaseException] = []

    def add(name: str) -> None:
        try:
            add_user(UserStore(store.path), name, "viewer", PASSWORD)  # each its own store, as two commands are
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and [u.name for u in store.users()] == names


def test_a_change_waits_for_the_lock_and_sees_the_change_before_it(store: UserStore) -> None:
    add_user(store, "ann", "viewer", PASSWORD)
    done = threading.Event()
    other = threading.Thread(target=lambda: (add_user(UserStore(store.path), "bob", "viewer", PASSWORD), done.set()))
    with store.change() as users:  # holds the lock as another command would
        other.start()
        time.sleep(0.5)  # time for the hash, so the other thread is waiting on the lock now
        assert not done.is_set()
        users["cid"] = users["ann"].model_copy(update={"name": "cid"})
    other.join(timeout=30)
    assert done.is_set() and [u.name for u in store.users()] == ["ann", "bob", "cid"]


def test_a_failed_change_writes_nothing(store: UserStore) -> None:
    add_user(store, "ann", "viewer", PASSWORD)
    before = store.path.read_bytes()
    with pytest.raises(RuntimeError), store.change() as users:
        users.clear()
        raise RuntimeError("interrupted")
    assert store.path.read_bytes() == before


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o622])
def test_a_file_open_to_others_is_refused(store: UserStore, mode: int) -> None:
    add_user(store, "ann", "viewer", PASSWORD)
    store.path.chmod(mode)
    for read in (store.users, lambda: store.get("ann"), lambda: add_user(store, "bob", "viewer", PASSWORD)):
        with pytest.raises(UserStoreError, match=f"{store.path}.*chmod 600 {store.path}"):
            read()
    store.path.chmod(0o600)
    assert [u.name for u in store.users()] == ["ann"]


@pytest.mark.parametrize(("text", "what"), [
    ("", "not JSON"), ("[1, 2]", "top level"), ('{"format": "medkg-web-users", "version": 1}', "users"),
    ('{"format": "medkg-web-users", "version": 2, "users": []}', "version"),
    ('{"format": "medkg-web-users", "version": 1, "users": [{"name": "x", "role": "viewer"}]}', "password_hash"),
    ('{"format": "medkg-web-users", "version": 1, "users": [], "extra": 1}', "extra"),
    ('{"format": "medkg-web-users", "version": 1, "users": [{"name": "x", "role": "viewer", '
     '"password_hash": "$2b$12$bcrypt"}]}', "argon2id"),
])
def test_a_malformed_file_is_refused_with_its_name(store: UserStore, text: str, what: str) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(text, encoding="utf-8")
    store.path.chmod(0o600)
    with pytest.raises(UserStoreError, match="malformed|not JSON") as refused:
        store.users()
    assert str(store.path) in str(refused.value) and what in str(refused.value)


def test_reads_parse_the_file_only_when_it_changed(store: UserStore, monkeypatch: pytest.MonkeyPatch) -> None:
    add_user(store, "ann", "viewer", PASSWORD)
    parses = []
    real = UserStore._parse
    monkeypatch.setattr(app.userstore.UserStore, "_parse", lambda self, raw: parses.append(1) or real(self, raw))
    reader = UserStore(store.path)
    for _ in range(50):
        assert reader.get("ann") is not None
    assert len(parses) == 1
    set_disabled(store, "ann", True)  # another store's write: a new file (os.replace), so a new identity
    user = reader.get("ann")
    assert user is not None and user.disabled and len(parses) == 3  # the write parsed it once too
