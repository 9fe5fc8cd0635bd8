"""Who may reach a route: `@requires(role…)` for pages, `@api_requires(role…)` for the API.

Every route handler must carry one of these decorators (or `@public`); `create_app`
refuses to start when one does not, so a new page is never open by accident.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

from admin.sessions import SESSION_ENDED
from admin.state import viewer_of
from admin.viewer import Viewer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ACCESS_ATTR = "__tinbao_access__"
# Where an officer chooses their own password.
ACCOUNT_PAGE = "/account"


def _mark(handler: Handler, kind: str, roles: tuple[str, ...]) -> Handler:
    setattr(handler, ACCESS_ATTR, (kind, roles))
    return handler


def public(handler: Handler) -> Handler:
    """A route anyone may reach (sign-in pages, health)."""
    return _mark(handler, "public", ())


def login_url(request: web.Request) -> str:
    """Where to send a browser that must sign in, remembering the page it wanted."""
    target = request.path_qs if request.method == "GET" else "/"
    ended = "expired=1&" if request.get(SESSION_ENDED) else ""
    return f"/login?{ended}next={quote(target, safe='')}"


def requires(*roles: str, before_password_change: bool = False) -> Callable[[Handler], Handler]:
    """A page for signed-in officers (both factors) holding any of `roles` (any officer if none).

    Without a session: 303 to the sign-in page. Without the role: 403. An officer whose
    password someone else chose is sent to the account page, unless the page is one they
    may use `before_password_change`.
    """

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(request: web.Request) -> web.StreamResponse:
            viewer = viewer_of(request)
            if viewer is None or viewer.via_token or not viewer.complete:
                raise web.HTTPSeeOther(login_url(request))
            if viewer.password_change_due and not before_password_change:
                raise web.HTTPSeeOther(ACCOUNT_PAGE)
            if not viewer.has(*roles):
                raise web.HTTPForbidden(reason="not allowed for your roles")
            return await handler(request)

        return _mark(wrapper, "page", roles)

    return decorate


def api_requires(*roles: str) -> Callable[[Handler], Handler]:
    """An API route for a bearer token whose officer holds any of `roles`: else 401 / 403 JSON."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(request: web.Request) -> web.StreamResponse:
            viewer = viewer_of(request)
            if viewer is None or not viewer.via_token:
                raise web.HTTPUnauthorized(
                    reason="a valid bearer token is required",
                    headers={"WWW-Authenticate": 'Bearer realm="tinbao"'},
                )
            if not viewer.has(*roles):
                raise web.HTTPForbidden(reason="not allowed for your roles")
            return await handler(request)

        return _mark(wrapper, "api", roles)

    return decorate


def current(request: web.Request) -> Viewer:
    """The signed-in officer of a route guarded by `requires` or `api_requires`."""
    viewer = viewer_of(request)
    if viewer is None:
        raise web.HTTPUnauthorized(reason="not signed in")
    return viewer


def access_of(handler: object) -> tuple[str, tuple[str, ...]] | None:
    """How a handler is guarded, or None when it is not."""
    value = getattr(handler, ACCESS_ATTR, None)
    return value if isinstance(value, tuple) else None
