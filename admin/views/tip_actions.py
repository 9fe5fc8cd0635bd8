"""What officers do from the tip page; each POST ends in a 303 back to the tip."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from admin import kit
from admin.views.tip import REF, ref_of
from storage import retention, triage
from storage.auth import Identity
from storage.core import Core

Action = Callable[[Core, Identity, str, dict[str, str]], Awaitable[object]]


def _int(value: str | None) -> int:
    if not value or not value.strip().isdigit():
        raise web.HTTPBadRequest(reason="a number is required")
    return int(value)


async def _status(core: Core, who: Identity, ref: str, form: dict[str, str]) -> None:
    status = form.get("status", "")
    outcome = (form.get("outcome") or None) if status == "closed" else None
    await triage.change_status(core, who, ref, status, outcome=outcome)


async def _priority(core: Core, who: Identity, ref: str, form: dict[str, str]) -> None:
    await triage.set_priority(core, who, ref, form.get("priority", ""))


async def _route(core: Core, who: Identity, ref: str, form: dict[str, str]) -> None:
    await triage.route_to_unit(core, who, ref, _int(form.get("unit_id")))


async def _assign(core: Core, who: Identity, ref: str, form: dict[str, str]) -> None:
    await triage.assign_officer(core, who, ref, _int(form.get("officer_id")))


async def _duplicate(core: Core, who: Identity, ref: str, form: dict[str, str]) -> None:
    await triage.mark_duplicate(core, who, ref, form.get("original", ""))


async def _note(core: Core, who: Identity, ref: str, form: dict[str, str]) -> None:
    await triage.add_note(core, who, ref, form.get("text", ""))


async def _reply(core: Core, who: Identity, ref: str, form: dict[str, str]) -> None:
    await triage.reply(core, who, ref, form.get("text", ""))


async def _hold(core: Core, who: Identity, ref: str, form: dict[str, str]) -> None:
    await triage.set_legal_hold(core, who, ref, form.get("hold") == "1")


async def _purge(core: Core, who: Identity, ref: str, form: dict[str, str]) -> None:
    await retention.purge_now(core, who, ref)


# name → (use case, role needed, message shown after it)
ACTIONS: dict[str, tuple[Action, str, str]] = {
    "status": (_status, "triage", "tip.flash.status"),
    "priority": (_priority, "triage", "tip.flash.priority"),
    "route": (_route, "triage", "tip.flash.routed"),
    "assign": (_assign, "triage", "tip.flash.assigned"),
    "duplicate": (_duplicate, "triage", "tip.flash.duplicate"),
    "note": (_note, "triage", "tip.flash.note"),
    "reply": (_reply, "triage", "tip.flash.reply"),
    "hold": (_hold, "admin", "tip.flash.hold"),
    "purge": (_purge, "admin", "tip.flash.purged"),
}


def _handler(name: str, action: Action, role: str, message: str) -> kit.Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        viewer = kit.current(request)
        ref = ref_of(request)
        form = await kit.form(request)
        try:
            await action(kit.core(request), viewer.identity, ref, form)
        except triage.NotFound:
            raise web.HTTPNotFound() from None
        except triage.TriageError as exc:
            kit.flash(request, f"tip.error.{exc.code}", "error")
            return kit.see_other(f"/tips/{ref}")
        kit.flash(request, message)
        return kit.see_other("/tips" if name == "purge" else f"/tips/{ref}")

    handle.__name__ = handle.__qualname__ = f"tip_{name}"
    handle.__doc__ = f"POST /tips/{{ref}}/{name}."
    # Reading and acting on tips needs triage; holds and purges need admin as well.
    guarded = kit.requires("triage")(handle)
    return guarded if role == "triage" else kit.requires("admin")(guarded)


def register(app: web.Application) -> None:
    """One POST route per action."""
    for name, (action, role, message) in ACTIONS.items():
        app.router.add_post(f"/tips/{{ref:{REF}}}/{name}", _handler(name, action, role, message))
