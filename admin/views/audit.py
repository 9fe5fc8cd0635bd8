"""The audit log: the events of the administrator's jurisdiction, newest first, and whether
the hash chain (all of it) still holds."""

from __future__ import annotations

from aiohttp import web

from admin import kit
from storage import audit_log


@kit.requires("admin")
async def audit_page(request: web.Request) -> web.StreamResponse:
    """GET /audit?page=&action=&subject=: events, and the result of checking the chain."""
    page = kit.page_from(request.query, default_size=50)
    action = request.query.get("action", "").strip()[:64] or None
    subject = request.query.get("subject", "").strip()[:64] or None
    core = kit.core(request)
    identity = kit.current(request).identity
    events, total = await audit_log.list_events(
        core, identity, offset=page.offset, limit=page.size, action=action, subject=subject
    )
    report = await audit_log.verify(core)
    params = tuple((k, v) for k, v in (("action", action), ("subject", subject)) if v)
    context = {
        "events": events,
        "pager": kit.Pager(page, total, params),
        "report": report,
        "action": action or "",
        "subject": subject or "",
    }
    return kit.render(request, "audit/log.html", context)


def register(app: web.Application) -> None:
    """The audit page, for administrators."""
    kit.add_nav(app, "/audit", "nav.audit", "admin", order=90)
    app.router.add_get("/audit", audit_page)
