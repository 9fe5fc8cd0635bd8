"""The console's cookies: HttpOnly, SameSite=Strict, Secure (with the `__Host-` prefix) on https."""

from __future__ import annotations

from aiohttp import web

from admin.state import SETTINGS

SESSION = "session"
PRE_CSRF = "csrf"
LANGUAGE = "lang"
FLASH = "flash"


def _secure(request: web.Request) -> bool:
    return request.app[SETTINGS].secure_cookies


def cookie_name(request: web.Request, name: str) -> str:
    """`__Host-tinbao-<name>` over https (bound to this host, path / and Secure), else plain."""
    return f"__Host-tinbao-{name}" if _secure(request) else f"tinbao-{name}"


def set_cookie(
    request: web.Request,
    response: web.StreamResponse,
    name: str,
    value: str,
    *,
    max_age: int | None = None,
) -> None:
    """Set one of our cookies with the safe attributes."""
    response.set_cookie(
        cookie_name(request, name),
        value,
        max_age=max_age,
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="Strict",
    )


def delete_cookie(request: web.Request, response: web.StreamResponse, name: str) -> None:
    """Expire one of our cookies."""
    response.del_cookie(
        cookie_name(request, name), path="/", secure=_secure(request), samesite="Strict"
    )
