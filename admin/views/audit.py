"""The audit log: the events of the administrator's jurisdiction, newest first, and whether
the hash chain (all of it) still holds.

Checking the chain reads and hashes every event: seconds for a large log. The page shows
the last check if it is recent and runs one otherwise; "check now" runs one at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field

from aiohttp import web

from admin import kit
from storage import audit_log
from storage.audit import ChainReport
from storage.models import utcnow

# How long a check's result stands before a page view checks again.
CHECK_EVERY = dt.timedelta(minutes=5)


@dataclass
class ChainChecks:
    """The last check of the chain and a lock, so that concurrent views check once."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    report: ChainReport | None = None
    at: dt.datetime | None = None


CHECKS = web.AppKey("audit_checks", ChainChecks)


async def _checked(request: web.Request, *, now: bool) -> ChainChecks:
    """The last check, after running a new one when asked or when it is stale."""
    checks = request.app[CHECKS]
    async with checks.lock:
        if now or checks.at is None or utcnow() - checks.at > CHECK_EVERY:
            checks.report = await audit_log.verify(kit.core(request))
            checks.at = utcnow()
    return checks


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
    checks = await _checked(request, now=False)
    params = tuple((k, v) for k, v in (("action", action), ("subject", subject)) if v)
    context = {
        "events": events,
        "pager": kit.Pager(page, total, params),
        "report": checks.report,
        "checked_at": checks.at,
        "action": action or "",
        "subject": subject or "",
    }
    return kit.render(request, "audit/log.html", context)


@kit.requires("admin")
async def check_now(request: web.Request) -> web.StreamResponse:
    """POST /audit/check: check the whole chain now, then show the page again."""
    checks = await _checked(request, now=True)
    if checks.report is not None and checks.report.intact:
        kit.flash(request, "audit.checked")
    else:
        kit.flash(request, "audit.checked_broken", "error")
    return kit.see_other("/audit#chain")


def register(app: web.Application) -> None:
    """The audit page, for administrators."""
    kit.add_nav(app, "/audit", "nav.audit", "admin", order=90)
    app[CHECKS] = ChainChecks()
    app.router.add_get("/audit", audit_page)
    app.router.add_post("/audit/check", check_now)
