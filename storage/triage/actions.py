"""What officers do to a tip: route, assign, prioritise, move through the states, annotate.

Each action checks the jurisdiction, changes the tip and records an audit event in one
transaction. Audit details carry codes and states, never the text of a note or reply.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, tip_replies, tips
from storage.auth import Identity
from storage.contexts import tip_message_context
from storage.core import Core
from storage.crypto import seal
from storage.models import Officer, Tip, TipMessage, Unit, utcnow
from storage.triage.rules import (
    MAX_NOTE,
    MAX_REPLY,
    PRIORITIES,
    TRANSITIONS,
    TriageError,
    check_transition,
)
from storage.triage.scope import scoped_officer, scoped_tip, scoped_unit


async def _audit(
    session: AsyncSession,
    identity: Identity,
    action: str,
    tip: Tip,
    details: Mapping[str, Any] | None = None,
) -> None:
    await audit.record(
        session,
        action,
        actor=identity.actor,
        officer_id=identity.officer_id,
        subject_type="tip",
        subject_id=tip.ref,
        details=details,
    )


def _touch(tip: Tip) -> None:
    tip.updated_at = utcnow()


async def route_to_unit(core: Core, identity: Identity, ref: str, unit_id: int) -> None:
    """Hand the tip to another unit of the officer's jurisdiction (e.g. the commune police)."""
    async with core.db.write() as session:
        tip, current = await scoped_tip(session, identity, ref, for_update=True)
        target = await scoped_unit(session, identity, unit_id)
        if target.id == current.id:
            return
        tip.unit_id = target.id
        if tip.assigned_officer_id is not None:
            # The new unit decides who works on it.
            tip.assigned_officer_id = None
        _touch(tip)
        await _audit(session, identity, "tip.route", tip, {"from": current.code, "to": target.code})


async def assign_officer(core: Core, identity: Identity, ref: str, officer_id: int) -> None:
    """Give the tip to an officer of the jurisdiction who can triage; it becomes `assigned`."""
    async with core.db.write() as session:
        tip, unit = await scoped_tip(session, identity, ref, for_update=True)
        officer = await scoped_officer(session, identity, officer_id)
        officer_unit = await session.get(Unit, officer.unit_id)
        if "triage" not in officer.role_set:
            raise TriageError("that officer does not triage tips", "not_triage")
        if officer_unit is None or not unit.path.startswith(officer_unit.path):
            raise TriageError("that officer's unit does not cover this tip", "unit_cover")
        if tip.status == "closed":
            raise TriageError("a closed tip cannot be assigned; reopen it first", "closed")
        tip.assigned_officer_id = officer.id
        previous = tip.status
        if "assigned" in TRANSITIONS.get(tip.status, ()):
            tip.status = "assigned"
        _touch(tip)
        await _audit(
            session,
            identity,
            "tip.assign",
            tip,
            {"officer_id": officer.id, "from": previous, "to": tip.status},
        )


async def set_priority(core: Core, identity: Identity, ref: str, priority: str) -> None:
    """Low, normal, high or urgent."""
    if priority not in PRIORITIES:
        raise TriageError(f"unknown priority {priority!r}", "priority")
    async with core.db.write() as session:
        tip, _unit = await scoped_tip(session, identity, ref, for_update=True)
        if tip.priority == priority:
            return
        previous, tip.priority = tip.priority, priority
        _touch(tip)
        await _audit(session, identity, "tip.priority", tip, {"from": previous, "to": priority})


def _close(tip: Tip, outcome: str, retention_days: int, now: dt.datetime) -> None:
    tip.status, tip.outcome, tip.closed_at = "closed", outcome, now
    tip.purge_after = now + dt.timedelta(days=retention_days)


async def change_status(
    core: Core, identity: Identity, ref: str, status: str, *, outcome: str | None = None
) -> None:
    """Move the tip along the state machine; closing needs an outcome, reopening is audited."""
    async with core.db.write() as session:
        tip, _unit = await scoped_tip(session, identity, ref, for_update=True)
        check_transition(tip.status, status, outcome)
        previous, now = tip.status, utcnow()
        details: dict[str, Any]
        if status == "closed":
            assert outcome is not None
            _close(tip, outcome, core.settings.retention_days, now)
            action, details = "tip.close", {"from": previous, "outcome": outcome}
        elif previous == "closed":
            action, details = "tip.reopen", {"outcome_was": tip.outcome, "to": status}
            tip.status, tip.outcome, tip.closed_at, tip.purge_after = status, None, None, None
            tip.duplicate_of_id = None
        else:
            tip.status = status
            action, details = "tip.status", {"from": previous, "to": status}
        _touch(tip)
        await _audit(session, identity, action, tip, details)


async def mark_duplicate(core: Core, identity: Identity, ref: str, original_ref: str) -> None:
    """Close the tip as a duplicate of another tip of the jurisdiction."""
    original_ref = original_ref.strip().upper()
    if original_ref == ref:
        raise TriageError("a tip cannot duplicate itself", "self_duplicate")
    async with core.db.write() as session:
        tip, _unit = await scoped_tip(session, identity, ref, for_update=True)
        original, _ou = await scoped_tip(session, identity, original_ref)
        if original.duplicate_of_id == tip.id:
            raise TriageError("that tip is already a duplicate of this one", "circular")
        check_transition(tip.status, "closed", "duplicate")
        previous = tip.status
        tip.duplicate_of_id = original.id
        _close(tip, "duplicate", core.settings.retention_days, utcnow())
        _touch(tip)
        await _audit(
            session, identity, "tip.duplicate", tip, {"of": original.ref, "from": previous}
        )


async def set_legal_hold(core: Core, identity: Identity, ref: str, hold: bool) -> None:
    """Keep (or release) a tip past its retention period, e.g. for a court case."""
    async with core.db.write() as session:
        tip, _unit = await scoped_tip(session, identity, ref, for_update=True)
        if tip.legal_hold == hold:
            return
        tip.legal_hold = hold
        _touch(tip)
        await _audit(session, identity, "tip.legal_hold", tip, {"hold": hold})


async def add_note(core: Core, identity: Identity, ref: str, text: str) -> uuid.UUID:
    """An internal note, sealed to the console key; the tipster never sees it."""
    text = text.strip()
    if not text:
        raise TriageError("a note needs text", "empty")
    if len(text) > MAX_NOTE:
        raise TriageError(f"a note has at most {MAX_NOTE} characters", "too_long")
    message_id = uuid.uuid4()
    console = core.vault.console_public
    async with core.db.write() as session:
        tip, _unit = await scoped_tip(session, identity, ref)
        session.add(
            TipMessage(
                id=message_id,
                tip_id=tip.id,
                direction="note",
                officer_id=identity.officer_id,
                key_id=console.key_id,
                sealed=seal(console, text.encode(), tip_message_context(message_id)),
            )
        )
        _touch(tip)
        await _audit(session, identity, "tip.note", tip)
    return message_id


async def reply(core: Core, identity: Identity, ref: str, text: str) -> uuid.UUID:
    """A reply to the tipster (sealed to their key; pushed to the chat when they asked)."""
    text = text.strip()
    if not text:
        raise TriageError("a reply needs text", "empty")
    if len(text) > MAX_REPLY:
        raise TriageError(f"a reply has at most {MAX_REPLY} characters", "too_long")
    async with core.db.read() as session:
        tip, _unit = await scoped_tip(session, identity, ref)
        tip_id = tip.id
    try:
        return await tip_replies.reply_to_tipster(
            core, tip_id, officer_id=identity.officer_id, text=text
        )
    except tips.TipError as exc:
        raise TriageError(str(exc)) from None


def _covering(officers: list[tuple[Officer, Unit]], tip_unit_path: str) -> list[Officer]:
    return [
        officer
        for officer, officer_unit in officers
        if "triage" in officer.role_set and tip_unit_path.startswith(officer_unit.path)
    ]


async def _officers_and_units(
    session: AsyncSession, identity: Identity
) -> tuple[list[tuple[Officer, Unit]], list[Unit]]:
    within = Unit.path.startswith(identity.unit_path, autoescape=True)
    officers = await session.execute(
        select(Officer, Unit)
        .join(Unit, Unit.id == Officer.unit_id)
        .where(Officer.active.is_(True), within)
        .order_by(Officer.display_name)
    )
    units = await session.scalars(
        select(Unit).where(Unit.active.is_(True), within).order_by(Unit.path)
    )
    return [(o, u) for o, u in officers.all()], list(units.all())


async def assignable_officers(core: Core, identity: Identity, tip_unit_path: str) -> list[Officer]:
    """Active triage officers of the jurisdiction whose unit covers a tip's unit (by path)."""
    async with core.db.read() as session:
        officers, _units = await _officers_and_units(session, identity)
    return _covering(officers, tip_unit_path)


async def routable_units(core: Core, identity: Identity) -> list[Unit]:
    """Active units of the officer's jurisdiction, in tree order."""
    async with core.db.read() as session:
        rows = await session.scalars(
            select(Unit)
            .where(Unit.active.is_(True), Unit.path.startswith(identity.unit_path, autoescape=True))
            .order_by(Unit.path)
        )
        return list(rows.all())


async def action_choices(
    core: Core, identity: Identity, tip_unit_path: str
) -> tuple[list[Officer], list[Unit]]:
    """For the tip page: who the tip may be assigned to, and where it may be routed."""
    async with core.db.read() as session:
        officers, units = await _officers_and_units(session, identity)
    return _covering(officers, tip_unit_path), units
