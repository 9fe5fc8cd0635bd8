"""One tip: content, attachments, place, thread and timeline; and its attachment files."""

from __future__ import annotations

import re
import uuid

from aiohttp import web

from admin import kit
from admin.security import SANDBOX_CSP
from storage import triage
from storage.triage import AttachmentFile

REF = r"TB-[0-9]{4}-[0-9]{6,}"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def ref_of(request: web.Request) -> str:
    """The tip reference in the path (the route pattern already checked its form)."""
    return request.match_info["ref"]


def attachment_response(file: AttachmentFile) -> web.Response:
    """The stripped copy: raster images inline, everything else as a download; never cached."""
    inline = file.mime_type in triage.INLINE_IMAGES
    name = _SAFE_NAME.sub("_", file.filename)[:100] or "file"
    response = web.Response(
        body=file.data,
        content_type=file.mime_type if inline else "application/octet-stream",
    )
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response.headers["Content-Security-Policy"] = SANDBOX_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


@kit.requires("triage")
async def tip_page(request: web.Request) -> web.StreamResponse:
    """GET /tips/{ref}: the decrypted tip (the read is audited)."""
    viewer = kit.current(request)
    core = kit.core(request)
    ref = ref_of(request)
    try:
        detail = await triage.open_tip(core, viewer.identity, ref)
    except triage.NotFound:
        raise web.HTTPNotFound() from None
    officers, units = await triage.action_choices(core, viewer.identity, detail.unit.path)
    base_depth = viewer.unit_path.count("/")
    context = {
        "tip": detail,
        "next_statuses": [s for s in triage.TRANSITIONS[detail.status] if s != "closed"],
        "can_close": "closed" in triage.TRANSITIONS[detail.status],
        "outcomes": [o for o in triage.OUTCOMES if o != "duplicate"],
        "priorities": triage.PRIORITIES,
        "officers": officers,
        "units": [(u, u.path.count("/") - base_depth) for u in units],
        "is_admin": viewer.has("admin"),
    }
    return kit.render(request, "triage/tip.html", context)


@kit.requires("triage")
async def attachment(request: web.Request) -> web.StreamResponse:
    """GET /tips/{ref}/attachments/{id}: an attachment, for officers of the jurisdiction."""
    viewer = kit.current(request)
    try:
        attachment_id = uuid.UUID(request.match_info["attachment"])
        file = await triage.fetch_attachment(
            kit.core(request), viewer.identity, ref_of(request), attachment_id
        )
    except (ValueError, triage.NotFound):
        raise web.HTTPNotFound() from None
    return attachment_response(file)


def register(app: web.Application) -> None:
    """Routes of the tip page."""
    app.router.add_get(f"/tips/{{ref:{REF}}}", tip_page)
    app.router.add_get(f"/tips/{{ref:{REF}}}/attachments/{{attachment}}", attachment)
