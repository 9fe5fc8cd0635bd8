"""Everything a console feature needs, in one import: `from admin import kit`.

See `admin/EXTENDING.md` for how a feature module uses these.
"""

from __future__ import annotations

from aiohttp import web

from admin.access import Handler, api_requires, current, public, requires
from admin.api import (
    API_PREFIX,
    ApiError,
    document,
    error_responses,
    field,
    items_of,
    json_body,
    json_ok,
    json_response,
    schema,
)
from admin.flash import flash
from admin.i18n import plain, translate
from admin.nav import NavItem
from admin.pagination import Page, Pager, page_from
from admin.render import language_of, local_path, localtime, render, see_other
from admin.security import csrf_field, csrf_token
from admin.state import CORE, NAV, SETTINGS
from admin.viewer import Viewer
from storage import units
from storage.core import Core

__all__ = [
    "API_PREFIX",
    "CORE",
    "SETTINGS",
    "ApiError",
    "Handler",
    "NavItem",
    "Page",
    "Pager",
    "Viewer",
    "add_nav",
    "api_requires",
    "core",
    "csrf_field",
    "csrf_token",
    "current",
    "document",
    "error_responses",
    "field",
    "flash",
    "form",
    "items_of",
    "json_body",
    "json_ok",
    "json_response",
    "jurisdiction",
    "language_of",
    "local_path",
    "localtime",
    "page_from",
    "plain",
    "public",
    "render",
    "requires",
    "schema",
    "see_other",
    "text",
    "translate",
]


def add_nav(app: web.Application, path: str, label: str, *roles: str, order: int = 50) -> None:
    """Show a section in the top bar to officers holding any of `roles` (everyone if none)."""
    app[NAV].append(NavItem(path, label, frozenset(roles), order))


def core(request: web.Request) -> Core:
    """The storage core (database, keys, settings)."""
    return request.app[CORE]


async def jurisdiction(request: web.Request) -> list[int]:
    """Ids of the signed-in officer's unit and every unit below it."""
    viewer = current(request)
    async with core(request).db.read() as session:
        return await units.subtree_ids(session, viewer.identity.unit_id)


async def form(request: web.Request) -> dict[str, str]:
    """The POSTed form's text fields (the CSRF token was already checked)."""
    data = await request.post()
    return {k: v for k, v in data.items() if isinstance(v, str)}


def text(request: web.Request, key: str, /, **params: object) -> str:
    """A console message in the viewer's language, as plain text (e.g. for JSON)."""
    return plain(language_of(request), key, **params)
