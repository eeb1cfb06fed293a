"""Sessions, CSRF tokens, the login limit and the security headers of the web application.

- **Sessions** live in the server's memory: the cookie holds a random 256-bit token and nothing else; the server
  maps it to the user. A login issues a new token (a token set before the login is never promoted), logout and
  idleness end it, and so does a restart of the server. The cookie is ``HttpOnly``, ``SameSite=Strict`` and,
  under TLS, ``Secure``.
- **CSRF**: every writing request (the login form included) carries a token that is an HMAC of the session
  cookie under a key the process draws at start; a request without it, or with another cookie's, is refused.
  Before a login the cookie is an anonymous random token, so the login form has one too.
- **The login limit**: failed logins are counted per (name, client address); beyond ``login_attempts`` in
  ``login_window_s`` seconds further tries are refused, right password or not, until the window has passed.
- **Headers**: a Content-Security-Policy that allows the application's own style sheet and nothing else (no
  script at all, no inline style, no framing, forms post to the application only), and nosniff, no referrer
  beyond the origin, no framing for old browsers.

Example:
    >>> store = SessionStore(idle_s=60, max_sessions=10)
    >>> token = store.open("alice", "viewer")
    >>> store.get(token).name
    'alice'
    >>> keys = CsrfKeys()
    >>> keys.valid(token, keys.token(token)), keys.valid(token, keys.token("another cookie"))
    (True, False)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

__all__ = ["CSP", "SECURITY_HEADERS", "CsrfKeys", "HashSlots", "LoginLimiter", "Session", "SessionStore", "new_token"]

#: The Content-Security-Policy of every response.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


@dataclass
class Session:
    """A logged-in user's session."""

    name: str
    role: str
    started: float = field(default_factory=time.monotonic)
    seen: float = field(default_factory=time.monotonic)


class SessionStore:
    """Open sessions by cookie token, in memory, thread-safe; idle ones end, the oldest go beyond the cap."""

    def __init__(self, idle_s: float, max_sessions: int) -> None:
        self._idle_s = idle_s
        self._max = max_sessions
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, name: str, role: str) -> str:
        """A new session for ``name``; returns its cookie token."""
        token = new_token()
        with self._lock:
            self._sessions[token] = Session(name, role)
            while len(self._sessions) > self._max:
                self._sessions.popitem(last=False)
        return token

    def get(self, token: str | None) -> Session | None:
        """The live session of ``token`` (its idle clock restarted), or ``None``."""
        if not token:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if now - session.seen > self._idle_s:
                del self._sessions[token]
                return None
            session.seen = now
            self._sessions.move_to_end(token)
            return session

    def close(self, token: str | None) -> None:
        """End the session of ``token`` (nothing when there is none)."""
        with self._lock:
            self._sessions.pop(token or "", None)


class CsrfKeys:
    """CSRF tokens bound to a session cookie: an HMAC-SHA256 of it under a key drawn when the process starts."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def token(self, cookie: str) -> str:
        """The CSRF token that goes with ``cookie``."""
        return hmac.new(self._key, cookie.encode("utf-8"), hashlib.sha256).hexdigest()

    def valid(self, cookie: str | None, token: str | None) -> bool:
        """Whether ``token`` is the one of ``cookie`` (compared in constant time)."""
        if not cookie or not token:
            return False
        return hmac.compare_digest(self.token(cookie), token)


class HashSlots:
    """At most ``slots`` password checks at once; further logins wait their turn. Thread-safe.

    An argon2id check holds 64 MiB while it runs (RFC 9106's low-memory profile), so 20 logins at once would hold
    1.25 GiB; with the slots the memory stays at ``slots`` times that whatever the crowd at the door.
    ``in_use`` and ``peak`` say how many checks run now and the most that ever ran together.

    Example:
        >>> slots = HashSlots(2)
        >>> with slots:
        ...     slots.in_use
        1
        >>> slots.in_use, slots.peak
        (0, 1)
    """

    def __init__(self, slots: int) -> None:
        self._gate = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self.in_use = 0
        self.peak = 0

    def __enter__(self) -> HashSlots:
        self._gate.acquire()
        with self._lock:
            self.in_use += 1
            self.peak = max(self.peak, self.in_use)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.in_use -= 1
        self._gate.release()


class LoginLimiter:
    """Failed logins per (name, client) in a sliding window; thread-safe.

    Example:
        >>> limiter = LoginLimiter(attempts=2, window_s=60)
        >>> limiter.failed("bob", "10.0.0.1"); limiter.failed("bob", "10.0.0.1")
        >>> limiter.blocked("bob", "10.0.0.1"), limiter.blocked("bob", "10.0.0.2")
        (True, False)
    """

    def __init__(self, attempts: int, window_s: float) -> None:
        self._attempts = attempts
        self._window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self._window_s:
            times.popleft()
        return times

    def blocked(self, name: str, client: str) -> bool:
        """Whether ``name`` from ``client`` has used up its failed logins for now."""
        key = (name.casefold(), client)
        with self._lock:
            if key not in self._failures:
                return False
            blocked = len(self._recent(key, time.monotonic())) >= self._attempts
            if not self._failures[key]:
                del self._failures[key]
            return blocked

    def failed(self, name: str, client: str) -> None:
        """Count one failed login of ``name`` from ``client``."""
        with self._lock:
            self._recent((name.casefold(), client), time.monotonic()).append(time.monotonic())

    def succeeded(self, name: str, client: str) -> None:
        """Forget the failures of ``name`` from ``client`` (a successful login)."""
        with self._lock:
            self._failures.pop((name.casefold(), client), None)
