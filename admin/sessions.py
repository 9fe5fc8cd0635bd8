"""Who is asking: a browser session cookie for pages, a bearer token for `/api/`."""

from __future__ import annotations

import datetime as dt

from aiohttp import web
from aiohttp.typedefs import Handler

from admin.cookies import SESSION, cookie_name, delete_cookie, set_cookie
from admin.state import CORE, SETTINGS, VIEWER
from admin.viewer import Viewer
from storage import sessions

# Set when the browser sent a session cookie that is no longer valid.
SESSION_ENDED = web.RequestKey("session_ended", bool)
# Paths that never look at sessions.
_NO_SESSION = ("/static/", "/healthz", "/metrics")


def bearer_token(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer …` header."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Put the signed-in officer on the request; pages use cookies only, the API bearers only."""
    core = request.app[CORE]
    if request.path.startswith("/api/"):
        token = bearer_token(request)
        identity = await sessions.token_identity(core, token) if token else None
        if identity is not None:
            request[VIEWER] = Viewer(identity, via_token=True)
        return await handler(request)
    if request.path.startswith(_NO_SESSION):
        return await handler(request)
    token = request.cookies.get(cookie_name(request, SESSION))
    if token:
        idle = dt.timedelta(minutes=request.app[SETTINGS].idle_minutes)
        state = await sessions.session_state(core, token, idle=idle)
        if state is None:
            request[SESSION_ENDED] = True
        else:
            request[VIEWER] = Viewer(
                state.identity,
                csrf_token=state.csrf_token,
                complete=state.complete,
                password_change_due=state.password_change_due,
            )
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if request.get(SESSION_ENDED):
            delete_cookie(request, exc, SESSION)
        raise
    if request.get(SESSION_ENDED) and not response.prepared:
        delete_cookie(request, response, SESSION)
    return response


def remember_session(request: web.Request, response: web.StreamResponse, token: str) -> None:
    """Give the browser its session cookie (a session cookie: gone when the browser closes)."""
    set_cookie(request, response, SESSION, token)


def session_cookie(request: web.Request) -> str | None:
    """The raw session token the browser sent."""
    return request.cookies.get(cookie_name(request, SESSION))
