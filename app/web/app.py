"""The web application: ``create_app(client, config, users)`` builds it (FastAPI, pages rendered on the server).

Every page but the login form and the style sheet needs a logged-in user (a redirect to ``/login`` otherwise).
Errors are pages, never stack traces: an unknown id or path is a 404 page, a refused request a 403, a database
that cannot be reached a 503 page that says so (the next request tries again), anything else a 500 page. Every
response carries the security headers of :mod:`app.web.security`.

Example:
    >>> from fastapi.testclient import TestClient  # doctest: +SKIP
    >>> TestClient(create_app(client)).get("/search").status_code  # doctest: +SKIP
    200
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.userstore import UserStore
from app.web import auth, curation, facts, pages, queries
from app.web.config import WebConfig
from app.web.security import SECURITY_HEADERS
from app.web.state import LoginRequired, WebState
from graph.browse.reader import GraphUnavailable
from graph.db.connection import GraphClient

__all__ = ["ROUTERS", "create_app"]

#: Every router of the application.
ROUTERS = (auth.router, pages.router, facts.router, queries.router, curation.router)

log = logging.getLogger(__name__)


class SecurityHeaders:
    """ASGI middleware adding :data:`app.web.security.SECURITY_HEADERS` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.decode("latin-1").lower() not in _LOWER_HEADERS]
                headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_LOWER_HEADERS = {k.lower() for k in SECURITY_HEADERS}


def create_app(client: GraphClient, config: WebConfig | None = None, users: UserStore | None = None) -> FastAPI:
    """The web application on the graph ``client`` (which the caller opens and closes) and the users file ``users``.

    ``users`` defaults to :class:`app.userstore.UserStore`'s file: ``MEDKG_WEB_USERS``, else
    ``<MEDKG_HOME>/web/users.json``.
    """
    web = WebState(client, config or WebConfig(), users or UserStore())
    app = FastAPI(title="medkg", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = web
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(packages=[("app.web", "static")]), name="static")
    app.add_middleware(SecurityHeaders)
    _handlers(app, web)
    return app


def _handlers(app: FastAPI, web: WebState) -> None:
    """Errors as pages."""

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: Exception) -> Response:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = "/login" if request.method != "GET" else f"/login?next={quote(here, safe='/')}"
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: Exception) -> Response:
        return web.render(request, "error.html", status_code=400, status=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
        return web.render(request, "error.html", status_code=status, status=status)

    async def unavailable(request: Request, exc: Exception) -> Response:
        log.warning("database unavailable: %s", exc)
        return web.render(request, "error.html", status_code=503, status=503)

    for kind in (GraphUnavailable, ServiceUnavailable, SessionExpired):
        app.add_exception_handler(kind, unavailable)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return web.render(request, "error.html", status_code=500, status=500)
