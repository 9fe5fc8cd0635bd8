"""Neighbourhood groups in the console (role broadcaster): approve or refuse the groups
the bot was added to, bind them to a unit, or hand out a one-time code instead."""

from __future__ import annotations

from aiohttp import web

from admin import kit
from storage import groups, warning_queries
from storage.groups import GroupError
from storage.models import GROUP_STATUSES

GROUP = r"{group_id:\d{1,9}}"


async def _units(request: web.Request) -> list[tuple[object, int]]:
    async with kit.core(request).db.read() as session:
        found = await warning_queries.target_choices(session, kit.current(request).identity)
    return [(u, warning_queries.depth(u)) for u in found]


@kit.requires("broadcaster")
async def list_page(request: web.Request) -> web.StreamResponse:
    """GET /groups: waiting requests first; approved and refused ones on their tabs."""
    status = request.query.get("status", "pending")
    status = status if status in GROUP_STATUSES else "pending"
    identity = kit.current(request).identity
    async with kit.core(request).db.read() as session:
        rows = await groups.list_groups(session, identity, status=status)
    context = {
        "rows": rows,
        "status": status,
        "statuses": GROUP_STATUSES,
        "units": await _units(request),
    }
    return kit.render(request, "warnings/groups.html", context)


async def _decide(request: web.Request, approve: bool) -> web.StreamResponse:
    group_id = int(request.match_info["group_id"])
    form = await kit.form(request)
    core, identity = kit.core(request), kit.current(request).identity
    try:
        if approve:
            unit = form.get("unit_id", "")
            if not unit.isdigit():
                raise GroupError("choose a unit")
            await groups.approve(core, identity, group_id, int(unit))
        else:
            await groups.reject(core, identity, group_id)
    except GroupError as exc:
        if str(exc) == "no such group":
            raise web.HTTPNotFound() from None
        kit.flash(request, "groups.error.unit", "error")
        return kit.see_other("/groups")
    kit.flash(request, "groups.flash.approved" if approve else "groups.flash.rejected")
    return kit.see_other("/groups")


@kit.requires("broadcaster")
async def approve(request: web.Request) -> web.StreamResponse:
    """POST /groups/{id}/approve: the group receives what is sent to its unit."""
    return await _decide(request, True)


@kit.requires("broadcaster")
async def reject(request: web.Request) -> web.StreamResponse:
    """POST /groups/{id}/reject: the group receives nothing."""
    return await _decide(request, False)


@kit.requires("broadcaster")
async def new_code(request: web.Request) -> web.StreamResponse:
    """POST /groups/codes: a one-time code for a unit, shown on this page once."""
    form = await kit.form(request)
    unit = form.get("unit_id", "")
    try:
        if not unit.isdigit():
            raise GroupError("choose a unit")
        code = await groups.new_code(kit.core(request), kit.current(request).identity, int(unit))
    except GroupError:
        kit.flash(request, "groups.error.unit", "error")
        return kit.see_other("/groups")
    return kit.render(request, "warnings/group_code.html", {"code": code, "days": 7})


def register(app: web.Application) -> None:
    """The group approvals page and its actions."""
    kit.add_nav(app, "/groups", "nav.groups", "broadcaster", order=31)
    app.router.add_get("/groups", list_page)
    app.router.add_post(f"/groups/{GROUP}/approve", approve)
    app.router.add_post(f"/groups/{GROUP}/reject", reject)
    app.router.add_post("/groups/codes", new_code)
