"""HTML pages: Jinja2 templates (autoescaped) with the console's common context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web

from admin.cookies import LANGUAGE, cookie_name
from admin.flash import take_flashes
from admin.i18n import Language, as_language, translate, translate_or
from admin.security import csrf_field, csrf_token
from admin.state import NAV, SETTINGS, viewer_of

TEMPLATES_DIR = Path(__file__).parent / "templates"
# Officers read times in Vietnam's time (UTC+7, no daylight saving).
LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def setup_templates(app: web.Application) -> jinja2.Environment:
    """Attach the Jinja2 environment (autoescape on for every template)."""
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        default_helpers=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["localtime"] = localtime
    return env


def localtime(value: dt.datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A UTC timestamp as Vietnam local time."""
    if value is None:
        return ""
    return value.astimezone(LOCAL_ZONE).strftime(fmt)


def language_of(request: web.Request) -> Language:
    """The officer's chosen language; before sign-in, the cookie or the default."""
    viewer = viewer_of(request)
    default = as_language(request.app[SETTINGS].default_language)
    if viewer is not None:
        return as_language(viewer.identity.language, default)
    return as_language(request.cookies.get(cookie_name(request, LANGUAGE)), default)


def _(request: web.Request) -> Any:
    language = language_of(request)
    return lambda key, **params: translate(language, key, **params)


def base_context(request: web.Request) -> dict[str, Any]:
    """What every template may use: `_`, `viewer`, `nav`, `csrf_field()`, `flashes`, `lang`."""
    viewer = viewer_of(request)
    complete = viewer is not None and viewer.complete and not viewer.via_token
    roles = viewer.roles if complete and viewer is not None else None
    nav = [item for item in request.app[NAV] if roles is not None and item.visible_to(roles)]
    return {
        "_": _(request),
        "_or": lambda key, fallback: translate_or(language_of(request), key, fallback),
        "lang": language_of(request),
        "viewer": viewer if complete else None,
        "nav": sorted(nav, key=lambda item: (item.order, item.path)),
        "path": request.path,
        "csrf_field": lambda: csrf_field(request),
        "csrf_token": lambda: csrf_token(request),
        "flashes": take_flashes(request),
        "now": dt.datetime.now(dt.UTC),
        "static": lambda name: static_url(request, name),
    }


_STATIC_URLS: dict[str, str] = {}


def static_url(request: web.Request, name: str) -> str:
    """The versioned URL of a file under `admin/static/` (cache-busting by content hash).

    Computed once per file and process: aiohttp hashes the file on every `url_for`.
    """
    if name not in _STATIC_URLS:
        resource = request.app.router["static"]
        _STATIC_URLS[name] = str(resource.url_for(filename=name))
    return _STATIC_URLS[name]


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    """Render `template` (e.g. "triage/queue.html") with the common context plus `context`."""
    full = base_context(request)
    full.update(context or {})
    return aiohttp_jinja2.render_template(template, request, full, status=status)


def local_path(value: str | None, default: str = "/") -> str:
    """`value` when it is a path on this console, else `default` (no open redirects).

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so
    "/<TAB>/evil" would become "//evil": any control character, space or backslash is refused.
    """
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in value):
        return default
    return value


def see_other(location: str) -> web.Response:
    """303 to a page of this console (used after every successful POST)."""
    return web.Response(status=303, headers={"Location": local_path(location)})
