"""Logging in and out, and the language switch.

``POST /login`` takes the form's name, password and CSRF token; a success opens a session under a new cookie
token and redirects to the page asked for; a failure shows the form again (401), and too many failures of one
name from one client are refused (429) until the window has passed. ``POST /logout`` ends the session.
``GET /lang`` sets the language cookie and goes back.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.users import check_login
from app.web.i18n import LANGUAGES
from app.web.state import LANG_COOKIE, SESSION_COOKIE, check_csrf, logged_in, safe_next, state_of

__all__ = ["router"]

router = APIRouter()
#: What every route that writes depends on first (``tests/app/web/test_security.py`` checks each has it).
CSRF = [Depends(check_csrf)]


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    """The login form."""
    return state_of(request).render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login", dependencies=CSRF)
def login(request: Request, name: Annotated[str, Form(max_length=200)] = "",
          password: Annotated[str, Form(max_length=1000)] = "", next: Annotated[str, Form()] = "") -> Response:
    """Check the name and password; open a session, or show the form again with why not."""
    web = state_of(request)
    client = request.client.host if request.client else "unknown"
    target = safe_next(next)
    if web.limiter.blocked(name, client):
        return web.render(request, "login.html", status_code=429, next=target, error="too_many")
    with web.hash_slots:  # bounds the memory of many logins at once (64 MiB per argon2id check)
        user = check_login(web.users, name, password)
    if user is None:
        web.limiter.failed(name, client)
        return web.render(request, "login.html", status_code=401, next=target, error="wrong")
    web.limiter.succeeded(name, client)
    web.sessions.close(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(target, status_code=303)
    web.set_cookie(response, SESSION_COOKIE, web.sessions.open(user.name, user.role))
    return response


@router.post("/logout", dependencies=CSRF)
def logout(request: Request) -> Response:
    """End the session and go to the login page."""
    web = state_of(request)
    logged_in(request)
    web.sessions.close(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=web.config.tls, httponly=True, samesite="strict")
    return response


@router.get("/lang")
def switch_language(request: Request, to: str = "", next: str | None = None) -> Response:
    """Set the interface language (a cookie for a year) and go back to ``next``."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if to in LANGUAGES:
        state_of(request).set_cookie(response, LANG_COOKIE, to, max_age=365 * 24 * 3600)
    return response

