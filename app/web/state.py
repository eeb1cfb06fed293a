"""What one running web application holds, and the request helpers every route shares.

The state: the graph, the users file, the settings, the sessions, the CSRF keys, the login limit, the search's
linker and the templates. The helpers: who is logged in, the CSRF check, where a redirect may go.

Example:
    >>> safe_next("/concept?id=Disease:糖尿病"), safe_next("//evil.example/"), safe_next("https://evil.example/")
    ('/concept?id=Disease:糖尿病', '/search', '/search')
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from app.userstore import UserStore
from app.web.config import WebConfig
from app.web.i18n import LANGUAGES, gettext_for, language_of
from app.web.security import CsrfKeys, HashSlots, LoginLimiter, Session, SessionStore, new_token
from graph.db.connection import GraphClient
from graph.kg.linking import build_linker
from linker import Linker

__all__ = ["LANG_COOKIE", "SESSION_COOKIE", "LinkerCache", "LoginRequired", "TimedCache", "WebState", "check_csrf",
           "logged_in", "safe_next", "state_of"]

SESSION_COOKIE = "medkg_session"
LANG_COOKIE = "medkg_lang"
HOME = "/search"
T = TypeVar("T")


class LoginRequired(Exception):
    """The request needs a logged-in user; the application answers with a redirect to the login page."""


class LinkerCache:
    """The search's linker over the graph's concepts (thread-safe).

    The first search builds it (and waits for it); after ``refresh_s`` a search starts a rebuild in a background
    thread and is answered by the old linker meanwhile, so no search waits the seconds a rebuild takes on a large
    graph. ``refresh_s`` 0 rebuilds before every search (tests).
    """

    def __init__(self, client: GraphClient, refresh_s: float) -> None:
        self._client = client
        self._refresh_s = refresh_s
        self._linker: Linker | None = None
        self._built = 0.0
        self._lock = threading.Lock()
        self._rebuilding = False

    def _build(self) -> Linker | None:
        try:
            return build_linker(self._client)
        except LookupError:  # no concepts yet
            return None

    def _rebuild(self) -> None:
        linker = self._build()
        with self._lock:
            self._linker, self._built, self._rebuilding = linker, time.monotonic(), False

    def warm(self) -> None:
        """Build the linker in a background thread now (a first search meanwhile waits for it)."""

        def build() -> None:
            self.get()

        threading.Thread(target=build, name="medkg-linker-warm", daemon=True).start()

    def get(self) -> Linker | None:
        """The linker, or ``None`` while the graph holds no concepts."""
        with self._lock:
            age = time.monotonic() - self._built
            if self._linker is None or self._refresh_s == 0:  # nothing to answer with meanwhile: build it now
                if self._linker is None and self._built and age < self._refresh_s:
                    return None  # the graph had no concepts a moment ago
                self._linker, self._built = self._build(), time.monotonic()
                return self._linker
            if age >= self._refresh_s and not self._rebuilding:
                self._rebuilding = True
                threading.Thread(target=self._rebuild, name="medkg-linker-rebuild", daemon=True).start()
            return self._linker


class TimedCache:
    """Values computed at most once per ``ttl_s`` per key; concurrent requests for one key wait for one computation.

    At most ``max_keys`` keys are kept (they come from requests); a new key beyond that starts the cache afresh.
    """

    def __init__(self, ttl_s: float, max_keys: int = 256) -> None:
        self._ttl_s = ttl_s
        self._max_keys = max_keys
        self._values: dict[Any, tuple[float, Any, float]] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Any, compute: Callable[[], T]) -> tuple[T, float]:
        """The value of ``key`` and when it was computed (``time.time()``), computing it when missing or old."""
        with self._guard:
            if key not in self._locks and len(self._locks) >= self._max_keys:  # keys come from requests: bounded
                self._locks.clear()
                self._values.clear()
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            found = self._values.get(key)
            if found is not None and time.monotonic() - found[0] < self._ttl_s:
                return found[1], found[2]
            value, stamp = compute(), time.time()
            self._values[key] = (time.monotonic(), value, stamp)
            return value, stamp


class WebState:
    """The application's state (``app.state.web``)."""

    def __init__(self, client: GraphClient, config: WebConfig, users: UserStore) -> None:
        self.client = client
        self.config = config
        self.users = users
        self.sessions = SessionStore(config.session_idle_s, config.max_sessions)
        self.csrf = CsrfKeys()
        self.limiter = LoginLimiter(config.login_attempts, config.login_window_s)
        self.hash_slots = HashSlots(config.login_hashes)
        self.linker = LinkerCache(client, config.linker_refresh_s)
        self.overviews = TimedCache(config.overview_ttl_s)
        self.templates = Environment(loader=PackageLoader("app.web", "templates"), autoescape=True,
                                     undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

    def set_cookie(self, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        """Set a cookie the way every cookie of the application is set: HttpOnly, SameSite=Strict, Secure under TLS."""
        response.set_cookie(name, value, max_age=max_age, path="/", secure=self.config.tls, httponly=True,
                            samesite="strict")

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """A page from ``templates/``: the context plus ``_``, the language, the user and the page's CSRF token.

        A visitor without a session cookie gets an anonymous one here, so a form on the page (the login form) has
        a CSRF token too.
        """
        cookie = request.cookies.get(SESSION_COOKIE)
        fresh = None if cookie else new_token()
        language = language_of(request.cookies.get(LANG_COOKIE))
        session: Session | None = getattr(request.state, "session", None)
        page = self.templates.get_template(template).render(
            _=gettext_for(language), lang=language, languages=LANGUAGES, user=session,
            csrf=self.csrf.token(cookie or fresh or ""), here=str(request.url.path)
            + (f"?{request.url.query}" if request.url.query else ""), **context)
        response = HTMLResponse(page, status_code=status_code)
        if fresh:
            self.set_cookie(response, SESSION_COOKIE, fresh)
        return response


def state_of(request: Request) -> WebState:
    """The application's :class:`WebState`."""
    state: WebState = request.app.state.web
    return state


def logged_in(request: Request) -> Session:
    """The request's session, its user checked against the users file again (a disabled user's session ends here).

    The file is parsed again only when it changed (:class:`app.userstore.UserStore` caches by its identity).

    Raises:
        LoginRequired: No session, an idle one, or a user that is gone, disabled or of another role now.
        app.userstore.UserStoreError: The users file cannot be used (a 500 page; the log says why).
    """
    web = state_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    session = web.sessions.get(token)
    if session is None:
        raise LoginRequired
    user = web.users.get(session.name)
    if user is None or user.disabled or user.role != session.role:
        web.sessions.close(token)
        raise LoginRequired
    request.state.session = session
    return session


async def check_csrf(request: Request) -> None:
    """Refuse (403) a writing request whose form lacks the CSRF token of its session cookie.

    Raises:
        HTTPException: 403 when the token is missing or wrong.
    """
    form = await request.form()
    token = form.get("csrf")
    if not state_of(request).csrf.valid(request.cookies.get(SESSION_COOKIE), token if isinstance(token, str) else None):
        raise HTTPException(status_code=403, detail="csrf")


def safe_next(target: str | None) -> str:
    """``target`` when it is a path of this application, else the home page (no redirect elsewhere)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    return target
