"""Errors as the reader expects them: JSON under `/api/`, a console page elsewhere."""

from __future__ import annotations

import json
import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from admin.api import ApiError
from admin.render import render

log = logging.getLogger(__name__)


def _api_error(exc: web.HTTPException) -> web.HTTPException:
    if isinstance(exc, ApiError) or exc.status < 400:
        return exc
    message = exc.reason or "error"
    return ApiError(exc.status, message)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn HTTP errors and crashes into JSON or an HTML page; never leak a traceback."""
    api = request.path.startswith("/api/")
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if api:
            raise _api_error(exc) from None
        page = render(request, "error.html", {"status": exc.status}, status=exc.status)
        for name, morsel in exc.cookies.items():
            page.cookies[name] = morsel
        return page
    except Exception:
        # The request is not logged: its body may be a tip reply or a password.
        log.exception("unexpected error on %s %s", request.method, request.rel_url.path)
        if api:
            return web.Response(
                text=json.dumps({"error": "internal error"}),
                status=500,
                content_type="application/json",
            )
        return render(request, "error.html", {"status": 500}, status=500)
