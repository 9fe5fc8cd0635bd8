"""Security headers on every response, and the CSRF check on every unsafe browser request.

Both are applied to the whole application, so a feature cannot forget them: every POST
outside `/api/` must carry the `csrf_token` form field (or `X-CSRF-Token` header) of the
session, or of the pre-session cookie on the sign-in pages; otherwise 403.
"""

from __future__ import annotations

import hmac
import secrets
from typing import cast

from aiohttp import web
from aiohttp.typedefs import Handler
from markupsafe import Markup

from admin.cookies import PRE_CSRF, cookie_name, set_cookie
from admin.state import viewer_of

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# Downloads (attachments, QR codes) get an even tighter policy: nothing runs, ever.
SANDBOX_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_PENDING_CSRF = web.RequestKey("pending_csrf", str)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: the headers of DESIGN §8 and issue 4 on everything we send."""
    headers = response.headers
    headers["Server"] = "tinbao"
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    if request.secure or request.url.scheme == "https":
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.path.startswith("/static/"):
        headers["Cache-Control"] = "no-cache"
    else:
        # Tip data must not linger in a browser or proxy cache: no page is stored.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"


def csrf_token(request: web.Request) -> str:
    """The token forms must echo: the session's, or a pre-session one set as a cookie."""
    viewer = viewer_of(request)
    if viewer is not None and viewer.csrf_token:
        return viewer.csrf_token
    pending = cast(str, request.get(_PENDING_CSRF, ""))
    if pending:
        return pending
    existing = request.cookies.get(cookie_name(request, PRE_CSRF), "")
    token = existing if len(existing) >= 32 else secrets.token_urlsafe(32)
    request[_PENDING_CSRF] = token
    return token


def csrf_field(request: web.Request) -> Markup:
    """The hidden form field; templates call `{{ csrf_field() }}` inside every POST form."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, csrf_token(request)
    )


def _expected(request: web.Request) -> str:
    viewer = viewer_of(request)
    if viewer is not None and viewer.csrf_token:
        return viewer.csrf_token
    return request.cookies.get(cookie_name(request, PRE_CSRF), "")


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse unsafe browser requests without the right token (403); the API uses bearers."""
    if request.method in UNSAFE_METHODS and not request.path.startswith("/api/"):
        given = request.headers.get(CSRF_HEADER, "")
        if not given:
            form = await request.post()
            value = form.get(CSRF_FIELD, "")
            given = value if isinstance(value, str) else ""
        expected = _expected(request)
        if not expected or not given or not hmac.compare_digest(given, expected):
            raise web.HTTPForbidden(reason="CSRF token missing or wrong")
    response = await handler(request)
    pending = cast(str, request.get(_PENDING_CSRF, ""))
    if pending and request.cookies.get(cookie_name(request, PRE_CSRF)) != pending:
        set_cookie(request, response, PRE_CSRF, pending, max_age=3600)
    return response
