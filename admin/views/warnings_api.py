"""`/api/v1/warnings`: the broadcasters' use cases for bearer-token clients."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Any

from aiohttp import web

from admin import kit
from storage import warning_queries, warnings
from storage.broadcast import Progress
from storage.models import CrimeWarning
from storage.warnings import WarningDraft, WarningError

P = kit.API_PREFIX
WARNING = r"{warning_id:\d{1,9}}"


def progress_dict(status: str, progress: Progress) -> dict[str, Any]:
    """Delivery counts as JSON (also what the console's progress bar polls)."""
    return {
        "status": status,
        "sent": progress.sent,
        "failed": progress.failed,
        "skipped": progress.skipped,
        "pending": progress.pending,
        "total": progress.total,
        "done": progress.done and status not in ("draft", "scheduled"),
    }


def warning_json(row: CrimeWarning, progress: Progress, unit_codes: list[str]) -> dict[str, Any]:
    """A warning as the API shows it."""
    return {
        "id": row.id,
        "status": row.status,
        "msg_type": row.msg_type,
        "references": row.references_id,
        "category": row.category,
        "severity": row.severity,
        "urgency": row.urgency,
        "certainty": row.certainty,
        "title_vi": row.title_vi,
        "body_vi": row.body_vi,
        "title_en": row.title_en,
        "body_en": row.body_en,
        "units": unit_codes,
        "created_at": row.created_at,
        "scheduled_at": row.scheduled_at,
        "sent_at": row.sent_at,
        "expires_at": row.expires_at,
        "progress": progress_dict(row.status, progress),
    }


async def _run(call: Awaitable[Any]) -> Any:
    try:
        return await call
    except WarningError as exc:
        if str(exc) == "no such warning":
            raise kit.ApiError(404, "no such warning in your jurisdiction") from None
        raise kit.ApiError(400, str(exc)) from None


async def _one(request: web.Request, warning_id: int) -> dict[str, Any]:
    async with kit.core(request).db.read() as session:
        row = await warning_queries.get_for(session, kit.current(request).identity, warning_id)
        if row is None:
            raise kit.ApiError(404, "no such warning in your jurisdiction")
        progress = await warning_queries.warning_progress(session, row.id)
        units = await warning_queries.target_units(session, row.id)
    return warning_json(row, progress, [u.code for u in units])


@kit.api_requires("broadcaster")
async def list_warnings(request: web.Request) -> web.Response:
    """GET /api/v1/warnings: the newest warnings of the officer's units."""
    page = kit.page_from(request.query)
    async with kit.core(request).db.read() as session:
        rows, total = await warning_queries.list_for(
            session, kit.current(request).identity, limit=page.size, offset=page.offset
        )
    items = [
        {
            "id": r.id,
            "title_vi": r.title,
            "status": r.status,
            "msg_type": r.msg_type,
            "category": r.category,
            "severity": r.severity,
            "created_at": r.created_at,
            "sent_at": r.sent_at,
        }
        for r in rows
    ]
    return kit.json_ok({"items": items, "total": total})


@kit.api_requires("broadcaster")
async def get_warning(request: web.Request) -> web.Response:
    """GET /api/v1/warnings/{id}: one warning with its delivery progress."""
    return kit.json_ok(await _one(request, int(request.match_info["warning_id"])))


def _draft(body: dict[str, Any]) -> WarningDraft:
    expires = kit.field(body, "expires_at", str, required=False)
    try:
        expires_at = dt.datetime.fromisoformat(expires) if expires else None
    except ValueError:
        raise kit.ApiError(400, "'expires_at' must be an ISO 8601 time") from None
    if expires_at is not None and expires_at.tzinfo is None:
        raise kit.ApiError(400, "'expires_at' needs a time zone")
    units = kit.field(body, "unit_ids", list)
    if not all(isinstance(u, int) for u in units):
        raise kit.ApiError(400, "'unit_ids' must be a list of unit ids")
    return WarningDraft(
        title_vi=kit.field(body, "title_vi", str),
        body_vi=kit.field(body, "body_vi", str),
        title_en=kit.field(body, "title_en", str, required=False) or "",
        body_en=kit.field(body, "body_en", str, required=False) or "",
        category=kit.field(body, "category", str),
        severity=kit.field(body, "severity", str),
        urgency=kit.field(body, "urgency", str),
        certainty=kit.field(body, "certainty", str, required=False) or "Likely",
        unit_ids=units,
        expires_at=expires_at,
    )


@kit.api_requires("broadcaster")
async def create_warning(request: web.Request) -> web.Response:
    """POST /api/v1/warnings: a draft, sent at once when `send` is true."""
    body = await kit.json_body(request)
    core, identity = kit.core(request), kit.current(request).identity
    msg_type = kit.field(body, "msg_type", str, required=False) or "Alert"
    references = kit.field(body, "references", int, required=False)
    warning_id = await _run(
        warnings.create(core, identity, _draft(body), msg_type=msg_type, references_id=references)
    )
    if kit.field(body, "send", bool, required=False):
        await _run(warnings.send_now(core, identity, warning_id))
    return kit.json_ok(await _one(request, warning_id), status=201)


@kit.api_requires("broadcaster")
async def send_warning(request: web.Request) -> web.Response:
    """POST /api/v1/warnings/{id}/send: queue a draft or scheduled warning now."""
    warning_id = int(request.match_info["warning_id"])
    core, identity = kit.core(request), kit.current(request).identity
    await _run(warnings.send_now(core, identity, warning_id))
    return kit.json_ok(await _one(request, warning_id))


@kit.api_requires("broadcaster")
async def cancel_warning(request: web.Request) -> web.Response:
    """POST /api/v1/warnings/{id}/cancel: withdraw it before it starts."""
    warning_id = int(request.match_info["warning_id"])
    await _run(warnings.cancel(kit.core(request), kit.current(request).identity, warning_id))
    return kit.json_ok(await _one(request, warning_id))


STATUSES = ["draft", "scheduled", "sending", "sent", "cancelled"]
REQUIRED = ["title_vi", "body_vi", "category", "severity", "urgency", "unit_ids"]


def _document(app: web.Application) -> None:
    item = kit.schema(
        app,
        "Warning",
        {
            "type": "object",
            "required": ["id", "status", "msg_type", "title_vi", "progress"],
            "properties": {
                "id": {"type": "integer"},
                "status": {"type": "string", "enum": STATUSES},
                "msg_type": {"type": "string", "enum": ["Alert", "Update", "Cancel"]},
                "title_vi": {"type": "string"},
                "progress": {"type": "object"},
            },
        },
    )
    errors = kit.error_responses(400, 401, 403, 404)
    one = {"200": kit.json_response("the warning", item), **errors}
    page = {"200": kit.json_response("a page", {"type": "object"}), **errors}
    body = {"type": "object", "required": REQUIRED}
    operations = {
        ("/warnings", "get"): {
            "summary": "Warnings of the officer's units, newest first",
            "responses": page,
        },
        ("/warnings", "post"): {
            "summary": "Write a warning (a draft; `send: true` queues it at once)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {"201": kit.json_response("the warning", item), **errors},
        },
        ("/warnings/{warning_id}", "get"): {
            "summary": "One warning and its delivery progress",
            "responses": one,
        },
        ("/warnings/{warning_id}/send", "post"): {
            "summary": "Queue the warning for every chat of its areas",
            "responses": one,
        },
        ("/warnings/{warning_id}/cancel", "post"): {
            "summary": "Withdraw a draft or scheduled warning",
            "responses": one,
        },
    }
    for (path, method), operation in operations.items():
        kit.document(app, f"{P}{path}", method, operation)


def register(app: web.Application) -> None:
    """The API routes and their OpenAPI description."""
    app.router.add_get(f"{P}/warnings", list_warnings)
    app.router.add_post(f"{P}/warnings", create_warning)
    app.router.add_get(f"{P}/warnings/{WARNING}", get_warning)
    app.router.add_post(f"{P}/warnings/{WARNING}/send", send_warning)
    app.router.add_post(f"{P}/warnings/{WARNING}/cancel", cancel_warning)
    _document(app)
