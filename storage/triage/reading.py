"""Opening a tip: its decrypted content, thread, attachments, place and timeline.

Every read of content is audited before anything is decrypted, in the same transaction
that records the first opening (the 24-hour hand-over rule).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.auth import Identity
from storage.contexts import attachment_context, tip_context, tip_message_context
from storage.core import Core
from storage.crypto import KeyRing
from storage.models import Attachment, AuditEvent, Officer, Tip, TipMessage, Unit, utcnow
from storage.tips import TipContent
from storage.triage.rules import NotFound, is_overdue
from storage.triage.scope import scoped_tip
from storage.triage.views import (
    AttachmentFile,
    AttachmentInfo,
    ThreadItem,
    TimelineEvent,
    TipDetail,
    UnitInfo,
)

TIMELINE_LIMIT = 300


def _info(unit: Unit) -> UnitInfo:
    return UnitInfo(unit.id, unit.code, unit.name, unit.kind, unit.path)


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


async def _record_read(session: AsyncSession, identity: Identity, ref: str) -> tuple[Tip, Unit]:
    """Audit the read and note the first opening; NotFound outside the jurisdiction."""
    tip, unit = await scoped_tip(session, identity, ref)
    if tip.first_opened_at is None:
        tip.first_opened_at = utcnow()
    await audit.record(
        session,
        "tip.read",
        actor=identity.actor,
        officer_id=identity.officer_id,
        subject_type="tip",
        subject_id=tip.ref,
    )
    await session.flush()
    return tip, unit


async def _names(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = await session.execute(
        select(Officer.id, Officer.display_name).where(Officer.id.in_(wanted))
    )
    return {int(i): str(n) for i, n in rows.all()}


async def _events(session: AsyncSession, ref: str) -> list[AuditEvent]:
    rows = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "tip", AuditEvent.subject_id == ref)
        .order_by(AuditEvent.seq.desc())
        .limit(TIMELINE_LIMIT)
    )
    return list(reversed(rows.all()))


def _timeline(events: list[AuditEvent], names: dict[int, str]) -> list[TimelineEvent]:
    return [
        TimelineEvent(
            seq=e.seq,
            at=e.at,
            action=e.action,
            actor=e.actor,
            officer_name=names.get(e.officer_id) if e.officer_id else None,
            details=json.loads(e.details or "{}"),
        )
        for e in events
    ]


async def timeline(session: AsyncSession, ref: str) -> list[TimelineEvent]:
    """The audit events about a tip, oldest first (the newest `TIMELINE_LIMIT`)."""
    events = await _events(session, ref)
    return _timeline(events, await _names(session, (e.officer_id for e in events)))


async def _chains(
    session: AsyncSession, unit: Unit, place_id: int | None
) -> tuple[list[UnitInfo], list[UnitInfo]]:
    """From the province down to the tip's unit, and to the place the tipster named."""
    wanted = set(_path_ids(unit.path)) | ({place_id} if place_id else set())
    known = {u.id: u for u in (await session.scalars(select(Unit).where(Unit.id.in_(wanted))))}
    place = known.get(place_id) if place_id else None
    if place is not None and not set(_path_ids(place.path)) <= set(known):
        more = set(_path_ids(place.path)) - set(known)
        known |= {u.id: u for u in (await session.scalars(select(Unit).where(Unit.id.in_(more))))}

    def chain(target: Unit | None) -> list[UnitInfo]:
        if target is None:
            return []
        return [_info(known[i]) for i in _path_ids(target.path) if i in known]

    return chain(unit), chain(place)


def _thread(
    ring: KeyRing,
    messages: list[TipMessage],
    attachments: list[AttachmentInfo],
    names: dict[int, str],
) -> list[ThreadItem]:
    return [
        ThreadItem(
            id=m.id,
            direction=m.direction,
            text=ring.open(m.key_id, m.sealed, tip_message_context(m.id)).decode(),
            created_at=m.created_at,
            officer_name=names.get(m.officer_id) if m.officer_id else None,
            read_by_tipster_at=m.read_by_tipster_at,
            attachments=[a for a in attachments if a.message_id == m.id],
        )
        for m in messages
    ]


async def _related(session: AsyncSession, tip: Tip) -> tuple[str | None, list[str]]:
    """The tip this one duplicates, and the tips that duplicate this one."""
    duplicate_of = None
    if tip.duplicate_of_id is not None:
        duplicate_of = await session.scalar(select(Tip.ref).where(Tip.id == tip.duplicate_of_id))
    # Sorted here: an ORDER BY ref could tempt the planner away from the partial index.
    duplicates = await session.scalars(select(Tip.ref).where(Tip.duplicate_of_id == tip.id))
    return duplicate_of, sorted(duplicates.all())


async def open_tip(core: Core, identity: Identity, ref: str) -> TipDetail:
    """Decrypt a tip for an officer of its jurisdiction, after auditing the read."""
    ring = core.vault.require_console()
    # One transaction: the read is recorded before anything is decrypted, and if the
    # record cannot be written nothing is shown.
    async with core.db.write() as session:
        tip, unit = await _record_read(session, identity, ref)
        content = TipContent.from_bytes(ring.open(tip.key_id, tip.sealed, tip_context(tip.id)))
        attachments = [
            AttachmentInfo(
                a.id, a.kind, a.mime_type, a.size, a.message_id, a.created_at, a.sent_as_is
            )
            for a in await session.scalars(
                select(Attachment)
                .where(Attachment.tip_id == tip.id)
                .order_by(Attachment.created_at, Attachment.id)
            )
        ]
        messages = list(
            await session.scalars(
                select(TipMessage)
                .where(TipMessage.tip_id == tip.id)
                .order_by(TipMessage.created_at, TipMessage.id)
            )
        )
        events = await _events(session, tip.ref)
        names = await _names(
            session,
            [tip.assigned_officer_id, *(m.officer_id for m in messages)]
            + [e.officer_id for e in events],
        )
        unit_chain, place_chain = await _chains(session, unit, content.place_unit_id)
        duplicate_of, duplicates = await _related(session, tip)
    assigned = tip.assigned_officer_id
    return TipDetail(
        id=tip.id,
        ref=tip.ref,
        category=tip.category,
        status=tip.status,
        outcome=tip.outcome,
        priority=tip.priority,
        created_at=tip.created_at,
        updated_at=tip.updated_at,
        first_opened_at=tip.first_opened_at,
        closed_at=tip.closed_at,
        purge_after=tip.purge_after,
        legal_hold=tip.legal_hold,
        overdue=is_overdue(tip.status, tip.first_opened_at, tip.created_at, utcnow()),
        unit=_info(unit),
        unit_chain=unit_chain,
        place_chain=place_chain,
        content=content,
        assigned_officer_id=assigned,
        assigned_to=names.get(assigned) if assigned else None,
        duplicate_of=duplicate_of,
        duplicates=duplicates,
        has_reply_route=tip.reply_route_sealed is not None,
        attachments=[a for a in attachments if a.message_id is None],
        thread=_thread(ring, messages, attachments, names),
        timeline=_timeline(events, names),
    )


async def fetch_attachment(
    core: Core, identity: Identity, ref: str, attachment_id: uuid.UUID
) -> AttachmentFile:
    """The stripped copy of an attachment of a tip in the jurisdiction; the read is audited."""
    ring = core.vault.require_console()
    async with core.db.write() as session:
        tip, _unit = await scoped_tip(session, identity, ref)
        row = await session.scalar(
            select(Attachment).where(Attachment.id == attachment_id, Attachment.tip_id == tip.id)
        )
        if row is None:
            raise NotFound(str(attachment_id))
        await audit.record(
            session,
            "tip.attachment_read",
            actor=identity.actor,
            officer_id=identity.officer_id,
            subject_type="tip",
            subject_id=tip.ref,
            details={"attachment": str(row.id)},
        )
        key_id, sealed, mime_type = row.key_id, row.sealed, row.mime_type
    body = ring.open(key_id, sealed, attachment_context(attachment_id))
    header, _, data = body.partition(b"\n")
    try:
        filename = str(json.loads(header).get("filename") or "file")
    except (ValueError, AttributeError):
        filename = "file"
    return AttachmentFile(filename=filename, mime_type=mime_type, data=data)
