"""`/api/v1/tips`: the triage queue and actions for bearer-token clients (same use cases)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from admin import kit, tip_json
from admin.views.tip import REF, attachment_response
from admin.views.triage import queue_filter
from storage import triage
from storage.auth import Identity
from storage.core import Core

P = kit.API_PREFIX
# Reasons that are the client's mistake (400); the others conflict with the tip's state (409).
BAD_REQUEST = frozenset({"empty", "too_long", "priority", "status", "outcome", "self_duplicate"})
REF_PARAM = {
    "name": "ref",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^TB-[0-9]{4}-[0-9]{6,}$"},
}


def _ref(request: web.Request) -> str:
    return request.match_info["ref"]


async def _run(call: Awaitable[Any]) -> Any:
    """Run a use case, turning its refusals into JSON errors."""
    try:
        return await call
    except triage.NotFound:
        raise kit.ApiError(404, "no such tip in your jurisdiction") from None
    except triage.TriageError as exc:
        raise kit.ApiError(400 if exc.code in BAD_REQUEST else 409, str(exc)) from None


async def _summary(core: Core, who: Identity, ref: str) -> web.Response:
    return kit.json_ok(tip_json.summary(await _run(triage.tip_row(core, who, ref))))


@kit.api_requires("triage")
async def list_tips(request: web.Request) -> web.Response:
    """GET /api/v1/tips."""
    viewer = kit.current(request)
    flt, page = queue_filter(request.query)
    result = await triage.list_queue(kit.core(request), viewer.identity, flt)
    return kit.json_ok(
        {
            "items": [tip_json.summary(row) for row in result.rows],
            "total": result.total,
            "page": page.number,
            "per_page": page.size,
            "counts": result.counts,
        }
    )


@kit.api_requires("triage")
async def read_tip(request: web.Request) -> web.Response:
    """GET /api/v1/tips/{ref}: the decrypted tip (the read is audited)."""
    viewer = kit.current(request)
    tip = await _run(triage.open_tip(kit.core(request), viewer.identity, _ref(request)))
    return kit.json_ok(tip_json.detail(tip))


@kit.api_requires("triage")
async def read_attachment(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/tips/{ref}/attachments/{id}."""
    viewer = kit.current(request)
    try:
        attachment_id = uuid.UUID(request.match_info["attachment"])
    except ValueError:
        raise kit.ApiError(404, "no such attachment") from None
    file = await _run(
        triage.fetch_attachment(kit.core(request), viewer.identity, _ref(request), attachment_id)
    )
    return attachment_response(file)


Change = Callable[[Core, Identity, str, dict[str, Any]], Awaitable[Any]]


async def _assign(core: Core, who: Identity, ref: str, body: dict[str, Any]) -> None:
    unit_id = kit.field(body, "unit_id", int, required=False)
    officer_id = kit.field(body, "officer_id", int, required=False)
    if unit_id is None and officer_id is None:
        raise kit.ApiError(400, "give 'unit_id', 'officer_id' or both")
    if unit_id is not None:
        await _run(triage.route_to_unit(core, who, ref, unit_id))
    if officer_id is not None:
        await _run(triage.assign_officer(core, who, ref, officer_id))


async def _status(core: Core, who: Identity, ref: str, body: dict[str, Any]) -> None:
    status = kit.field(body, "status", str)
    outcome = kit.field(body, "outcome", str, required=False)
    await _run(triage.change_status(core, who, ref, status, outcome=outcome))


async def _priority(core: Core, who: Identity, ref: str, body: dict[str, Any]) -> None:
    await _run(triage.set_priority(core, who, ref, kit.field(body, "priority", str)))


async def _duplicate(core: Core, who: Identity, ref: str, body: dict[str, Any]) -> None:
    await _run(triage.mark_duplicate(core, who, ref, kit.field(body, "of", str)))


def _change(change: Change) -> kit.Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        viewer = kit.current(request)
        body = await kit.json_body(request)
        core = kit.core(request)
        await change(core, viewer.identity, _ref(request), body)
        return await _summary(core, viewer.identity, _ref(request))

    handle.__name__ = handle.__qualname__ = f"api{change.__name__}"
    return kit.api_requires("triage")(handle)


@kit.api_requires("triage")
async def add_note(request: web.Request) -> web.Response:
    """POST /api/v1/tips/{ref}/notes."""
    viewer = kit.current(request)
    text = kit.field(await kit.json_body(request), "text", str)
    note_id = await _run(triage.add_note(kit.core(request), viewer.identity, _ref(request), text))
    return kit.json_ok({"id": str(note_id)}, status=201)


@kit.api_requires("triage")
async def add_reply(request: web.Request) -> web.Response:
    """POST /api/v1/tips/{ref}/replies."""
    viewer = kit.current(request)
    core = kit.core(request)
    text = kit.field(await kit.json_body(request), "text", str)
    reply_id = await _run(triage.reply(core, viewer.identity, _ref(request), text))
    return kit.json_ok({"id": str(reply_id)}, status=201)


@kit.api_requires()
async def me(request: web.Request) -> web.Response:
    """GET /api/v1/me: who the token belongs to."""
    who = kit.current(request).identity
    return kit.json_ok(
        {
            "id": who.officer_id,
            "username": who.username,
            "display_name": who.display_name,
            "roles": sorted(who.roles),
            "unit": {"id": who.unit_id, "code": who.unit_code},
        }
    )


def _document(app: web.Application) -> None:
    for name, definition in tip_json.SCHEMAS.items():
        kit.schema(app, name, definition)
    ref = {"$ref": "#/components/schemas/TipSummary"}
    errors = kit.error_responses(400, 401, 403, 404, 409)
    query = [
        {"name": n, "in": "query", "required": False, "schema": s}
        for n, s in (
            ("status", {"type": "string", "enum": list(triage.STATUS_FILTERS)}),
            ("category", {"type": "string"}),
            ("unit", {"type": "integer"}),
            ("age", {"type": "string", "enum": list(triage.AGES)}),
            ("priority", {"type": "string", "enum": list(triage.PRIORITIES)}),
            ("sort", {"type": "string", "enum": list(triage.SORTS)}),
            ("page", {"type": "integer", "minimum": 1}),
            ("per_page", {"type": "integer", "minimum": 1, "maximum": 100}),
        )
    ]
    kit.document(app, f"{P}/tips", "get", {
        "summary": "The triage queue of the officer's jurisdiction",
        "parameters": query,
        "responses": {
            "200": kit.json_response("a page", {"$ref": "#/components/schemas/TipList"}),
            **kit.error_responses(401, 403),
        },
    })  # fmt: skip
    kit.document(app, f"{P}/tips/{{ref}}", "get", {
        "summary": "Open a tip: decrypted content, thread, attachments, timeline (audited)",
        "parameters": [REF_PARAM],
        "responses": {
            "200": kit.json_response("the tip", {"$ref": "#/components/schemas/TipDetail"}),
            **kit.error_responses(401, 403, 404),
        },
    })  # fmt: skip
    kit.document(app, f"{P}/tips/{{ref}}/attachments/{{attachment}}", "get", {
        "summary": "An attachment's metadata-stripped copy",
        "parameters": [REF_PARAM, {"name": "attachment", "in": "path", "required": True,
                                   "schema": {"type": "string", "format": "uuid"}}],
        "responses": {
            "200": {"description": "the file", "content": {"application/octet-stream": {}}},
            **kit.error_responses(401, 403, 404),
        },
    })  # fmt: skip
    bodies: dict[str, tuple[str, dict[str, Any]]] = {
        "assign": ("Route to a unit and/or assign to an officer", {
            "type": "object", "properties": {"unit_id": {"type": "integer"},
                                             "officer_id": {"type": "integer"}}}),
        "status": ("Move through the state machine (an outcome when closing)", {
            "type": "object", "required": ["status"],
            "properties": {"status": {"type": "string", "enum": list(triage.STATUSES)},
                           "outcome": {"type": "string", "enum": list(triage.OUTCOMES)}}}),
        "priority": ("Set the priority", {
            "type": "object", "required": ["priority"],
            "properties": {"priority": {"type": "string", "enum": list(triage.PRIORITIES)}}}),
        "duplicate": ("Close as a duplicate of another tip", {
            "type": "object", "required": ["of"], "properties": {"of": {"type": "string"}}}),
    }  # fmt: skip
    for name, (summary, body) in bodies.items():
        kit.document(app, f"{P}/tips/{{ref}}/{name}", "post", {
            "summary": summary,
            "parameters": [REF_PARAM],
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {"200": kit.json_response("the tip after the change", ref), **errors},
        })  # fmt: skip
    text_body = {
        "required": True,
        "content": {"application/json": {"schema": {
            "type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}}},
    }  # fmt: skip
    created = kit.json_response(
        "created", {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
    )
    for name, summary in (
        ("notes", "Add an internal note (sealed; never shown to the tipster)"),
        ("replies", "Reply to the tipster (sealed to their key; pushed to their chat if asked)"),
    ):
        kit.document(app, f"{P}/tips/{{ref}}/{name}", "post", {
            "summary": summary,
            "parameters": [REF_PARAM],
            "requestBody": text_body,
            "responses": {"201": created, **errors},
        })  # fmt: skip
    kit.document(app, f"{P}/me", "get", {
        "summary": "The officer the token belongs to",
        "responses": {
            "200": kit.json_response("the officer", {
                "type": "object", "required": ["id", "username", "roles", "unit"],
                "properties": {"id": {"type": "integer"}, "username": {"type": "string"},
                               "display_name": {"type": "string"},
                               "roles": {"type": "array", "items": {"type": "string"}},
                               "unit": {"type": "object"}}}),
            **kit.error_responses(401),
        },
    })  # fmt: skip


def register(app: web.Application) -> None:
    """Routes and OpenAPI description of the tips API."""
    tip = f"{P}/tips/{{ref:{REF}}}"
    app.router.add_get(f"{P}/tips", list_tips)
    app.router.add_get(tip, read_tip)
    app.router.add_get(f"{tip}/attachments/{{attachment}}", read_attachment)
    app.router.add_post(f"{tip}/assign", _change(_assign))
    app.router.add_post(f"{tip}/status", _change(_status))
    app.router.add_post(f"{tip}/priority", _change(_priority))
    app.router.add_post(f"{tip}/duplicate", _change(_duplicate))
    app.router.add_post(f"{tip}/notes", add_note)
    app.router.add_post(f"{tip}/replies", add_reply)
    app.router.add_get(f"{P}/me", me)
    _document(app)
