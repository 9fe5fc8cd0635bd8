"""Warnings in the console (role broadcaster): write, preview, schedule, send, follow up,
watch delivery. Use cases are in `storage.warnings`, queries in `storage.warning_queries`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from admin import kit
from admin.telegram_preview import preview
from admin.views import warnings_api
from storage import warning_queries, warnings
from storage.models import (
    CERTAINTIES,
    MSG_TYPES,
    SEVERITIES,
    URGENCIES,
    WARNING_CATEGORIES,
    WARNING_STATUSES,
    CrimeWarning,
    Unit,
)
from storage.quiet import VIETNAM
from storage.warnings import WarningDraft, WarningError

WARNING = r"{warning_id:\d{1,9}}"
LOCAL_INPUT = "%Y-%m-%dT%H:%M"
PER_PAGE = 25


def _id(request: web.Request) -> int:
    return int(request.match_info["warning_id"])


def parse_local(value: str) -> dt.datetime | None:
    """A `datetime-local` field (Vietnam time) as UTC; None when empty or not a time."""
    try:
        naive = dt.datetime.strptime(value.strip(), LOCAL_INPUT)
    except ValueError:
        return None
    return naive.replace(tzinfo=VIETNAM).astimezone(dt.UTC)


def _local(value: dt.datetime | None) -> str:
    return value.astimezone(VIETNAM).strftime(LOCAL_INPUT) if value else ""


def unit_ids_of(data: MultiDictProxy[Any]) -> list[int]:
    """The chosen target units of the form."""
    return [int(u) for u in data.getall("unit_ids", []) if isinstance(u, str) and u.isdigit()]


def _submitted(data: MultiDictProxy[Any]) -> dict[str, Any]:
    """The form as typed, to show it again with an error."""
    values: dict[str, Any] = {k: v for k, v in data.items() if isinstance(v, str)}
    values["unit_ids"] = unit_ids_of(data)
    return values


def draft_from(data: MultiDictProxy[Any], image: bytes | None) -> WarningDraft:
    """The form as a draft; the use case checks the content."""
    text = {k: v for k, v in data.items() if isinstance(v, str)}
    expires = text.get("expires_at", "").strip()
    expires_at = parse_local(expires) if expires else None
    if expires and expires_at is None:
        raise WarningError("expires_at: not a date and time")
    return WarningDraft(
        title_vi=text.get("title_vi", ""),
        body_vi=text.get("body_vi", "").replace("\r\n", "\n"),
        title_en=text.get("title_en", ""),
        body_en=text.get("body_en", "").replace("\r\n", "\n"),
        category=text.get("category", ""),
        severity=text.get("severity", ""),
        urgency=text.get("urgency", ""),
        certainty=text.get("certainty", "Likely"),
        unit_ids=unit_ids_of(data),
        expires_at=expires_at,
        image=image,
        keep_image=not text.get("remove_image"),
    )


async def _image_of(data: MultiDictProxy[Any]) -> bytes | None:
    upload = data.get("image")
    if isinstance(upload, web.FileField):
        content = upload.file.read()
        return content if content else None
    return None


def _values(row: CrimeWarning | None, unit_ids: list[int]) -> dict[str, Any]:
    if row is None:
        return {"certainty": "Likely", "unit_ids": unit_ids, "urgency": "Expected"}
    return {
        "title_vi": row.title_vi,
        "body_vi": row.body_vi,
        "title_en": row.title_en or "",
        "body_en": row.body_en or "",
        "category": row.category,
        "severity": row.severity,
        "urgency": row.urgency,
        "certainty": row.certainty,
        "expires_at": _local(row.expires_at),
        "unit_ids": unit_ids,
        "has_image": row.image is not None,
    }


async def _form(
    request: web.Request,
    values: dict[str, Any],
    *,
    action: str,
    msg_type: str = "Alert",
    references: CrimeWarning | None = None,
    error: str | None = None,
) -> web.Response:
    async with kit.core(request).db.read() as session:
        units = await warning_queries.target_choices(session, kit.current(request).identity)
    field, _, detail = (error or "").partition(": ")
    context = {
        "values": values,
        "action": action,
        "msg_type": msg_type,
        "references": references,
        "units": [(u, warning_queries.depth(u)) for u in units],
        "categories": WARNING_CATEGORIES,
        "severities": SEVERITIES,
        "urgencies": URGENCIES,
        "certainties": CERTAINTIES,
        "error_field": field if error else None,
        "error_detail": detail or field,
    }
    return kit.render(request, "warnings/form.html", context, status=400 if error else 200)


@kit.requires("broadcaster")
async def list_page(request: web.Request) -> web.StreamResponse:
    """GET /warnings: the warnings of the officer's units, newest first."""
    status = request.query.get("status")
    status = status if status in WARNING_STATUSES else None
    page = kit.page_from(request.query)
    identity = kit.current(request).identity
    async with kit.core(request).db.read() as session:
        rows, total = await warning_queries.list_for(
            session, identity, status=status, limit=page.size, offset=page.offset
        )
        progress = {r.id: await warning_queries.warning_progress(session, r.id) for r in rows}
    context = {
        "rows": rows,
        "progress": progress,
        "status": status,
        "statuses": WARNING_STATUSES,
        "pager": kit.Pager(page, total, tuple(request.query.items())),
    }
    return kit.render(request, "warnings/list.html", context)


async def _earlier(request: web.Request) -> tuple[CrimeWarning | None, str]:
    """The warning a follow-up refers to (?references=&type=Update|Cancel)."""
    ref = request.query.get("references", "")
    msg_type = request.query.get("type", "Alert")
    if not ref.isdigit() or msg_type not in MSG_TYPES or msg_type == "Alert":
        return None, "Alert"
    async with kit.core(request).db.read() as session:
        found = await warning_queries.get_for(session, kit.current(request).identity, int(ref))
    if found is None:
        raise web.HTTPNotFound()
    return found, msg_type


@kit.requires("broadcaster")
async def new_page(request: web.Request) -> web.StreamResponse:
    """GET /warnings/new: an empty form, or a follow-up of an earlier warning."""
    earlier, msg_type = await _earlier(request)
    units: list[int] = []
    values = _values(None, units)
    if earlier is not None:
        async with kit.core(request).db.read() as session:
            targets = await warning_queries.target_units(session, earlier.id)
        values = _values(earlier, [u.id for u in targets])
        values.pop("has_image", None)
    return await _form(request, values, action="/warnings", msg_type=msg_type, references=earlier)


@kit.requires("broadcaster")
async def create(request: web.Request) -> web.StreamResponse:
    """POST /warnings: save a draft (a follow-up when `references` is set)."""
    data = await request.post()
    references = str(data.get("references", ""))
    msg_type = str(data.get("msg_type", "Alert"))
    try:
        draft = draft_from(data, await _image_of(data))
        warning_id = await warnings.create(
            kit.core(request),
            kit.current(request).identity,
            draft,
            msg_type=msg_type,
            references_id=int(references) if references.isdigit() else None,
        )
    except WarningError as exc:
        return await _form(
            request, _submitted(data), action="/warnings", msg_type=msg_type, error=str(exc)
        )
    kit.flash(request, "warnings.flash.created")
    return kit.see_other(f"/warnings/{warning_id}")


async def _load(request: web.Request) -> tuple[CrimeWarning, Unit, list[Unit]]:
    async with kit.core(request).db.read() as session:
        row = await warning_queries.get_for(session, kit.current(request).identity, _id(request))
        if row is None:
            raise web.HTTPNotFound()
        issuer = await session.get(Unit, row.unit_id)
        targets = await warning_queries.target_units(session, row.id)
    assert issuer is not None
    return row, issuer, targets


@kit.requires("broadcaster")
async def detail_page(request: web.Request) -> web.StreamResponse:
    """GET /warnings/{id}: preview as residents will see it, actions, live progress."""
    row, issuer, targets = await _load(request)
    previews = {"vi": preview(warnings.message_text(row, issuer, "vi"))}
    if row.title_en and row.body_en:
        previews["en"] = preview(warnings.message_text(row, issuer, "en"))
    async with kit.core(request).db.read() as session:
        progress = await warning_queries.warning_progress(session, row.id)
        earlier = await session.get(CrimeWarning, row.references_id) if row.references_id else None
    context = {
        "w": row,
        "issuer": issuer,
        "targets": targets,
        "previews": previews,
        "progress": progress,
        "earlier": earlier,
        "editable": row.status in warnings.EDITABLE,
        "soon": _local(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)),
    }
    return kit.render(request, "warnings/detail.html", context)


@kit.requires("broadcaster")
async def edit_page(request: web.Request) -> web.StreamResponse:
    """GET /warnings/{id}/edit: the form with the saved values."""
    row, _issuer, targets = await _load(request)
    if row.status not in warnings.EDITABLE:
        raise web.HTTPNotFound()
    values = _values(row, [u.id for u in targets])
    return await _form(request, values, action=f"/warnings/{row.id}", msg_type=row.msg_type)


@kit.requires("broadcaster")
async def update(request: web.Request) -> web.StreamResponse:
    """POST /warnings/{id}: save changes to a draft or scheduled warning."""
    data = await request.post()
    warning_id = _id(request)
    try:
        draft = draft_from(data, await _image_of(data))
        await warnings.edit(kit.core(request), kit.current(request).identity, warning_id, draft)
    except WarningError as exc:
        if str(exc) == "no such warning":
            raise web.HTTPNotFound() from None
        action = f"/warnings/{warning_id}"
        return await _form(request, _submitted(data), action=action, error=str(exc))
    kit.flash(request, "warnings.flash.saved")
    return kit.see_other(f"/warnings/{warning_id}")


async def _act(request: web.Request, action: str) -> web.StreamResponse:
    core, identity, warning_id = kit.core(request), kit.current(request).identity, _id(request)
    try:
        if action == "send":
            await warnings.send_now(core, identity, warning_id)
        elif action == "cancel":
            await warnings.cancel(core, identity, warning_id)
        else:
            form = await kit.form(request)
            at = parse_local(form.get("scheduled_at", ""))
            if at is None:
                raise WarningError("scheduled_at: not a date and time")
            await warnings.schedule(core, identity, warning_id, at)
    except WarningError as exc:
        if str(exc) == "no such warning":
            raise web.HTTPNotFound() from None
        kit.flash(request, f"warnings.error.{action}", "error")
        return kit.see_other(f"/warnings/{warning_id}")
    kit.flash(request, f"warnings.flash.{action}")
    return kit.see_other(f"/warnings/{warning_id}")


@kit.requires("broadcaster")
async def send(request: web.Request) -> web.StreamResponse:
    """POST /warnings/{id}/send: queue it for every chat of its areas now."""
    return await _act(request, "send")


@kit.requires("broadcaster")
async def schedule(request: web.Request) -> web.StreamResponse:
    """POST /warnings/{id}/schedule: send it at the chosen time."""
    return await _act(request, "schedule")


@kit.requires("broadcaster")
async def cancel(request: web.Request) -> web.StreamResponse:
    """POST /warnings/{id}/cancel: withdraw it before it starts."""
    return await _act(request, "cancel")


@kit.requires("broadcaster")
async def image(request: web.Request) -> web.StreamResponse:
    """GET /warnings/{id}/image: the picture (already stripped of metadata)."""
    row, _issuer, _targets = await _load(request)
    if row.image is None:
        raise web.HTTPNotFound()
    return web.Response(body=row.image, content_type=row.image_mime or "image/jpeg")


@kit.requires("broadcaster")
async def progress_json(request: web.Request) -> web.StreamResponse:
    """GET /warnings/{id}/progress: sent / failed / pending, polled by warnings.js."""
    row, _issuer, _targets = await _load(request)
    async with kit.core(request).db.read() as session:
        found = await warning_queries.warning_progress(session, row.id)
    return kit.json_ok(warnings_api.progress_dict(row.status, found))


@kit.requires("broadcaster")
async def report_page(request: web.Request) -> web.StreamResponse:
    """GET /warnings/{id}/report: outcomes by kind of chat and error, and each group."""
    row, _issuer, targets = await _load(request)
    async with kit.core(request).db.read() as session:
        progress, lines, group_lines = await warning_queries.report(session, row.id)
    context = {"w": row, "targets": targets, "progress": progress, "lines": lines}
    context["groups"] = group_lines
    return kit.render(request, "warnings/report.html", context)


def register(app: web.Application) -> None:
    """The pages, the progress endpoint and the JSON API."""
    kit.add_nav(app, "/warnings", "nav.warnings", "broadcaster", order=30)
    app.router.add_get("/warnings", list_page)
    app.router.add_get("/warnings/new", new_page)
    app.router.add_post("/warnings", create)
    app.router.add_get(f"/warnings/{WARNING}", detail_page)
    app.router.add_post(f"/warnings/{WARNING}", update)
    app.router.add_get(f"/warnings/{WARNING}/edit", edit_page)
    app.router.add_post(f"/warnings/{WARNING}/send", send)
    app.router.add_post(f"/warnings/{WARNING}/schedule", schedule)
    app.router.add_post(f"/warnings/{WARNING}/cancel", cancel)
    app.router.add_get(f"/warnings/{WARNING}/image", image)
    app.router.add_get(f"/warnings/{WARNING}/progress", progress_json)
    app.router.add_get(f"/warnings/{WARNING}/report", report_page)
    warnings_api.register(app)
