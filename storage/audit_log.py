"""Reading the audit log for the console: pages of events and the chain check."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select

from storage.audit import ChainReport, verify_chain
from storage.core import Core
from storage.models import AuditEvent, Officer


@dataclass(frozen=True)
class EventRow:
    """One audit event as the audit page lists it."""

    seq: int
    at: dt.datetime
    action: str
    actor: str
    officer_name: str | None
    subject_type: str
    subject_id: str
    details: dict[str, Any]
    hash: str


async def list_events(
    core: Core,
    *,
    offset: int,
    limit: int,
    action: str | None = None,
    subject: str | None = None,
) -> tuple[list[EventRow], int]:
    """Newest events first, optionally only actions starting with `action` or one subject."""
    conditions: list[ColumnElement[bool]] = []
    if action:
        conditions.append(AuditEvent.action.startswith(action, autoescape=True))
    if subject:
        conditions.append(AuditEvent.subject_id == subject)
    async with core.db.read() as session:
        total = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(*conditions)
        )
        rows = await session.execute(
            select(AuditEvent, Officer.display_name)
            .outerjoin(Officer, Officer.id == AuditEvent.officer_id)
            .where(*conditions)
            .order_by(AuditEvent.seq.desc())
            .offset(offset)
            .limit(limit)
        )
        events = [
            EventRow(
                seq=e.seq,
                at=e.at,
                action=e.action,
                actor=e.actor,
                officer_name=name,
                subject_type=e.subject_type,
                subject_id=e.subject_id,
                details=_details(e.details),
                hash=e.hash,
            )
            for e, name in rows.all()
        ]
    return events, int(total or 0)


def _details(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {"unreadable": raw[:200]}
    return value if isinstance(value, dict) else {"value": value}


async def verify(core: Core) -> ChainReport:
    """Walk the whole chain: edited, deleted or inserted events are reported."""
    async with core.db.read() as session:
        return await verify_chain(session)
