"""One-shot messages shown on the next page ("Reply sent"), carried in a cookie.

Only catalog ids and a level travel in the cookie, never text; a tampered cookie can
at most show another catalog message to the browser that tampered with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from aiohttp import web
from aiohttp.typedefs import Handler

from admin.cookies import FLASH, cookie_name, delete_cookie, set_cookie

Level = Literal["ok", "error", "info"]
_ITEM = re.compile(r"^(ok|error|info):([a-z0-9_.]{1,80})$")
_OUTGOING = web.RequestKey("flash_out", list[tuple[str, str]])
_CONSUMED = web.RequestKey("flash_consumed", bool)


@dataclass(frozen=True)
class Flash:
    """A message to show: its level and catalog id."""

    level: str
    key: str


def flash(request: web.Request, key: str, level: Level = "ok") -> None:
    """Show the catalog message `key` on the next page this browser renders."""
    request.setdefault(_OUTGOING, []).append((level, key))


def take_flashes(request: web.Request) -> list[Flash]:
    """The messages waiting for this page; they are cleared once the page is sent."""
    raw = request.cookies.get(cookie_name(request, FLASH), "")
    items = [_ITEM.match(part) for part in raw.split("|") if part]
    request[_CONSUMED] = True
    return [Flash(m.group(1), m.group(2)) for m in items if m]


@web.middleware
async def flash_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Write new messages to the cookie, and clear the ones a page has shown."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _store(request, exc)
        raise
    if not response.prepared:
        _store(request, response)
    return response


def _store(request: web.Request, response: web.StreamResponse) -> None:
    outgoing = request.get(_OUTGOING)
    if outgoing:
        items = [f"{level}:{key}" for level, key in outgoing]
        value = "|".join(item for item in items if _ITEM.match(item))
        set_cookie(request, response, FLASH, value, max_age=120)
    elif request.get(_CONSUMED) and cookie_name(request, FLASH) in request.cookies:
        delete_cookie(request, response, FLASH)
