"""The start page: what waits for this officer, then the sections they may open."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from admin.access import current, requires
from admin.render import language_of, render
from admin.state import CORE
from storage import overview, units


@dataclass(frozen=True)
class Figure:
    """One count on the start page and where to act on it."""

    label: str  # a catalog id
    count: int
    path: str
    urgent: bool = False


# Which count links where, in the order the page shows them.
FIGURES = (
    ("overdue_tips", "/tips?status=overdue", True),
    ("new_tips", "/tips?status=new", False),
    ("open_tips", "/tips", False),
    ("pending_questions", "/forum", False),
    ("reported_questions", "/forum", True),
    ("pending_groups", "/groups?status=pending", False),
    ("sending_warnings", "/warnings?status=sending", False),
    ("scheduled_warnings", "/warnings?status=scheduled", False),
)


def figures(waiting: overview.Waiting) -> list[Figure]:
    """The counts the officer's roles reach; an urgent one stands out only when non-zero."""
    shown = []
    for name, path, urgent in FIGURES:
        count = getattr(waiting, name)
        if count is not None:
            shown.append(Figure(f"home.{name}", count, path, urgent and count > 0))
    return shown


@requires()
async def home(request: web.Request) -> web.StreamResponse:
    """GET /: the waiting work as figures, then a card per section of the navigation."""
    viewer = current(request)
    core = request.app[CORE]
    async with core.db.read() as session:
        unit = await units.get_unit(session, viewer.identity.unit_id)
    name = units.police_name(unit, language_of(request)) if unit else viewer.identity.unit_code
    waiting = await overview.waiting(core, viewer.identity)
    return render(request, "home.html", {"unit_name": name, "figures": figures(waiting)})


def register(app: web.Application) -> None:
    """Route of the start page."""
    app.router.add_get("/", home)
