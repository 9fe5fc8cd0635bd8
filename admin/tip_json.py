"""Tips as the JSON API shows them, and the JSON Schemas that describe them."""

from __future__ import annotations

from typing import Any

from storage import triage

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required if required is not None else list(properties),
        "properties": properties,
    }


UNIT_SCHEMA = _object({"id": INTEGER, "code": STRING, "name": STRING, "kind": STRING})
TIP_SUMMARY_SCHEMA = _object(
    {
        "ref": {"type": "string", "pattern": "^TB-[0-9]{4}-[0-9]{6,}$"},
        "category": STRING,
        "status": {"type": "string", "enum": list(triage.STATUSES)},
        "outcome": {"type": ["string", "null"], "enum": [*triage.OUTCOMES, None]},
        "priority": {"type": "string", "enum": list(triage.PRIORITIES)},
        "unit": _object({"id": INTEGER, "code": STRING, "name": STRING}),
        "created_at": DATETIME,
        "updated_at": DATETIME,
        "first_opened_at": NULLABLE_DATETIME,
        "attachment_count": INTEGER,
        "assigned_to": NULLABLE_STRING,
        "overdue": BOOLEAN,
    }
)
TIP_LIST_SCHEMA = _object(
    {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/TipSummary"}},
        "total": INTEGER,
        "page": INTEGER,
        "per_page": INTEGER,
        "counts": {"type": "object", "additionalProperties": INTEGER},
    }
)
ATTACHMENT_SCHEMA = _object(
    {
        "id": STRING,
        "kind": STRING,
        "mime_type": STRING,
        "size": INTEGER,
        "url": STRING,
        # Not cleanable (a video…): the tipster, warned, chose to send it with its metadata.
        "sent_as_is": BOOLEAN,
    }
)
MESSAGE_SCHEMA = _object(
    {
        "id": STRING,
        "direction": {"type": "string", "enum": ["tipster", "officer", "note"]},
        "text": STRING,
        "created_at": DATETIME,
        "officer": NULLABLE_STRING,
        "read_by_tipster_at": NULLABLE_DATETIME,
        "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/Attachment"}},
    }
)
EVENT_SCHEMA = _object(
    {
        "seq": INTEGER,
        "at": DATETIME,
        "action": STRING,
        "actor": STRING,
        "details": {"type": "object"},
    }
)
TIP_DETAIL_SCHEMA = _object(
    {
        **TIP_SUMMARY_SCHEMA["properties"],
        "closed_at": NULLABLE_DATETIME,
        "purge_after": NULLABLE_DATETIME,
        "legal_hold": BOOLEAN,
        "unit_chain": {"type": "array", "items": {"$ref": "#/components/schemas/Unit"}},
        "place_chain": {"type": "array", "items": {"$ref": "#/components/schemas/Unit"}},
        "content": _object(
            {
                "text": STRING,
                "address": NULLABLE_STRING,
                "latitude": {"type": ["number", "null"]},
                "longitude": {"type": ["number", "null"]},
                "language": STRING,
            }
        ),
        "duplicate_of": NULLABLE_STRING,
        "duplicates": {"type": "array", "items": STRING},
        "has_reply_route": BOOLEAN,
        "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/Attachment"}},
        "thread": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
        "timeline": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
    }
)
SCHEMAS = {
    "Unit": UNIT_SCHEMA,
    "TipSummary": TIP_SUMMARY_SCHEMA,
    "TipList": TIP_LIST_SCHEMA,
    "TipDetail": TIP_DETAIL_SCHEMA,
    "Attachment": ATTACHMENT_SCHEMA,
    "Message": MESSAGE_SCHEMA,
    "Event": EVENT_SCHEMA,
}


def summary(row: triage.QueueRow) -> dict[str, Any]:
    """A queue line."""
    return {
        "ref": row.ref,
        "category": row.category,
        "status": row.status,
        "outcome": row.outcome,
        "priority": row.priority,
        "unit": {"id": row.unit_id, "code": row.unit_code, "name": row.unit_name},
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "first_opened_at": row.first_opened_at,
        "attachment_count": row.attachment_count,
        "assigned_to": row.assigned_to,
        "overdue": row.overdue,
    }


def _unit(unit: triage.UnitInfo) -> dict[str, Any]:
    return {"id": unit.id, "code": unit.code, "name": unit.name, "kind": unit.kind}


def _attachment(ref: str, a: triage.AttachmentInfo) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "kind": a.kind,
        "mime_type": a.mime_type,
        "size": a.size,
        "url": f"/api/v1/tips/{ref}/attachments/{a.id}",
        "sent_as_is": a.sent_as_is,
    }


def detail(tip: triage.TipDetail) -> dict[str, Any]:
    """The opened tip."""
    return {
        "ref": tip.ref,
        "category": tip.category,
        "status": tip.status,
        "outcome": tip.outcome,
        "priority": tip.priority,
        "unit": {"id": tip.unit.id, "code": tip.unit.code, "name": tip.unit.name},
        "created_at": tip.created_at,
        "updated_at": tip.updated_at,
        "first_opened_at": tip.first_opened_at,
        "attachment_count": len(tip.attachments) + sum(len(m.attachments) for m in tip.thread),
        "assigned_to": tip.assigned_to,
        "overdue": tip.overdue,
        "closed_at": tip.closed_at,
        "purge_after": tip.purge_after,
        "legal_hold": tip.legal_hold,
        "unit_chain": [_unit(u) for u in tip.unit_chain],
        "place_chain": [_unit(u) for u in tip.place_chain],
        "content": {
            "text": tip.content.text,
            "address": tip.content.address,
            "latitude": tip.content.latitude,
            "longitude": tip.content.longitude,
            "language": tip.content.language,
        },
        "duplicate_of": tip.duplicate_of,
        "duplicates": tip.duplicates,
        "has_reply_route": tip.has_reply_route,
        "attachments": [_attachment(tip.ref, a) for a in tip.attachments],
        "thread": [
            {
                "id": str(m.id),
                "direction": m.direction,
                "text": m.text,
                "created_at": m.created_at,
                "officer": m.officer_name,
                "read_by_tipster_at": m.read_by_tipster_at,
                "attachments": [_attachment(tip.ref, a) for a in m.attachments],
            }
            for m in tip.thread
        ],
        "timeline": [
            {"seq": e.seq, "at": e.at, "action": e.action, "actor": e.actor, "details": e.details}
            for e in tip.timeline
        ],
    }
