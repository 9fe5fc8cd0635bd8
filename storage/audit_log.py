"""Reading the audit log for the console: pages of events and the chain check."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, false, func, or_, select

from storage.audit import ChainReport, verify_chain
from storage.auth import Identity
from storage.core import Core
from storage.models import (
    AuditEvent,
    ChatGroup,
    CrimeWarning,
    ForumQuestion,
    ForumSession,
    Officer,
    Tip,
    Unit,
)

# What each kind of subject is named by in `subject_id`, and the unit it belongs to.
_SUBJECT_UNITS: dict[str, tuple[Any, Any]] = {
    "tip": (Tip.ref, Tip.unit_id),
    "officer": (cast(Officer.id, String), Officer.unit_id),
    "forum_session": (cast(ForumSession.id, String), ForumSession.unit_id),
    "group": (cast(ChatGroup.id, String), ChatGroup.unit_id),
    "warning": (cast(CrimeWarning.id, String), CrimeWarning.unit_id),
    "unit": (cast(Unit.id, String), Unit.id),
}


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


def visible_to(identity: Identity) -> ColumnElement[bool]:
    """Events of the officer's jurisdiction: done by one of its officers, or about one of its
    tips, officers, forum sessions and questions, groups, warnings or units. Events about
    no unit (keys, groups not yet bound) only for administrators of a top-level unit."""
    units = select(Unit.id).where(Unit.path.startswith(identity.unit_path, autoescape=True))
    by_officer = AuditEvent.officer_id.in_(select(Officer.id).where(Officer.unit_id.in_(units)))
    about: list[ColumnElement[bool]] = []
    for kind, (name, unit_id) in _SUBJECT_UNITS.items():
        named = select(name).where(unit_id.in_(units))
        about.append(and_(AuditEvent.subject_type == kind, AuditEvent.subject_id.in_(named)))
    question = (
        select(cast(ForumQuestion.id, String))
        .join(ForumSession, ForumSession.id == ForumQuestion.session_id)
        .where(ForumSession.unit_id.in_(units))
    )
    about.append(
        and_(AuditEvent.subject_type == "forum_question", AuditEvent.subject_id.in_(question))
    )
    top_level = identity.unit_path.strip("/").count("/") == 0
    unowned = (
        and_(
            AuditEvent.officer_id.is_(None),
            AuditEvent.subject_type.not_in([*_SUBJECT_UNITS, "forum_question"]),
        )
        if top_level
        else false()
    )
    return or_(by_officer, *about, unowned)


async def list_events(
    core: Core,
    identity: Identity,
    *,
    offset: int,
    limit: int,
    action: str | None = None,
    subject: str | None = None,
) -> tuple[list[EventRow], int]:
    """Newest events of the officer's jurisdiction first, optionally only actions starting
    with `action` or one subject."""
    conditions: list[ColumnElement[bool]] = [visible_to(identity)]
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
