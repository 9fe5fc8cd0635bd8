"""The start page: the sections this officer may open."""

from __future__ import annotations

from aiohttp import web

from admin.access import current, requires
from admin.render import language_of, render
from admin.state import CORE
from storage import units


@requires()
async def home(request: web.Request) -> web.StreamResponse:
    """GET /: a card per section of the navigation."""
    viewer = current(request)
    async with request.app[CORE].db.read() as session:
        unit = await units.get_unit(session, viewer.identity.unit_id)
    name = units.police_name(unit, language_of(request)) if unit else viewer.identity.unit_code
    return render(request, "home.html", {"unit_name": name})


def register(app: web.Application) -> None:
    """Route of the start page."""
    app.router.add_get("/", home)
