"""Neighbourhood groups: registration when the bot is added, approval, one-time codes.

A group receives broadcasts only once approved and bound to a unit: by an officer in the
console, or by a one-time code the officer hands to the group admin, who sends it in the
group. Removing the bot (or Telegram refusing a send) makes the group inactive.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, outbox
from storage.auth import Identity
from storage.core import Core
from storage.crypto import RECEIPT_ALPHABET
from storage.models import ChatGroup, GroupCode, Unit, utcnow
from storage.units import place_name

CODE_TTL = dt.timedelta(days=7)
CODE_GROUPS = 3  # 3 × 4 Crockford characters: 60 bits, and each code expires


class GroupError(ValueError):
    """An action on a group that cannot be done; the message says why."""


@dataclass(frozen=True)
class Registration:
    """The group as the bot must treat it after an event in the chat."""

    group_id: int
    status: str
    active: bool
    newly_requested: bool


def _digest(code: str) -> bytes:
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(b"tinbao/group-code/v1/" + normal.encode()).digest()


async def _by_chat(session: AsyncSession, chat_id: int) -> ChatGroup | None:
    return await session.scalar(select(ChatGroup).where(ChatGroup.chat_id == chat_id))


async def bot_added(core: Core, chat_id: int, title: str) -> Registration:
    """The bot joined a group: a pending request, or an earlier group active again."""
    async with core.db.write() as session:
        row = await _by_chat(session, chat_id)
        fresh = row is None
        if row is None:
            row = ChatGroup(chat_id=chat_id, title=title[:255], status="pending")
            session.add(row)
        row.title, row.active, row.updated_at = title[:255], True, utcnow()
        await session.flush()
        if fresh:
            await audit.record(
                session,
                "group.request",
                actor="bot",
                subject_type="group",
                subject_id=str(row.id),
            )
        return Registration(row.id, row.status, row.active, fresh)


async def bot_removed(core: Core, chat_id: int) -> bool:
    """The bot left or was removed: nothing more goes to the group."""
    return await deactivate_chat(core, chat_id)


async def deactivate_chat(core: Core, chat_id: int) -> bool:
    """Mark the group with this chat id inactive; False when unknown or already inactive."""
    async with core.db.write() as session:
        result = await session.execute(
            update(ChatGroup)
            .where(ChatGroup.chat_id == chat_id, ChatGroup.active.is_(True))
            .values(active=False, updated_at=utcnow())
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def migrated(core: Core, old_chat_id: int, new_chat_id: int) -> None:
    """The group became a supergroup with a new chat id."""
    async with core.db.write() as session:
        row = await _by_chat(session, old_chat_id)
        if row is not None and await _by_chat(session, new_chat_id) is None:
            row.chat_id, row.updated_at = new_chat_id, utcnow()


async def retitle(core: Core, chat_id: int, title: str) -> None:
    """Keep the title officers see up to date."""
    async with core.db.write() as session:
        await session.execute(
            update(ChatGroup)
            .where(ChatGroup.chat_id == chat_id)
            .values(title=title[:255], updated_at=utcnow())
        )


async def status_of(core: Core, chat_id: int) -> ChatGroup | None:
    """The group row of a chat, if the bot knows it."""
    async with core.db.read() as session:
        return await _by_chat(session, chat_id)


def _announce(session: AsyncSession, core: Core, row: ChatGroup, message: str, place: str) -> None:
    """Tell the group what the officer decided, through the outbox."""
    payload = outbox.Payload(
        message=message, params={"place": place}, chat_id=row.chat_id, language=row.language
    )
    outbox.enqueue(session, core.vault.relay_public, "group_notice", payload)


async def _unit_within(session: AsyncSession, identity: Identity, unit_id: int) -> Unit:
    unit = await session.get(Unit, unit_id)
    if unit is None or not unit.path.startswith(identity.unit_path):
        raise GroupError("the unit is outside your jurisdiction")
    return unit


async def _decidable(session: AsyncSession, identity: Identity, group_id: int) -> ChatGroup:
    """A group the officer may decide on: not yet bound to a unit, or bound within theirs."""
    row = await session.get(ChatGroup, group_id)
    if row is None:
        raise GroupError("no such group")
    if row.unit_id is not None:
        await _unit_within(session, identity, row.unit_id)
    return row


async def approve(core: Core, identity: Identity, group_id: int, unit_id: int) -> None:
    """Approve a group and bind it to a unit within the officer's subtree."""
    async with core.db.write() as session:
        row = await _decidable(session, identity, group_id)
        unit = await _unit_within(session, identity, unit_id)
        row.status, row.unit_id = "approved", unit.id
        row.decided_at, row.decided_by, row.updated_at = utcnow(), identity.officer_id, utcnow()
        if row.active:
            _announce(session, core, row, "groups.approved", place_name(unit, row.language))
        await audit.record(
            session,
            "group.approve",
            actor=identity.actor,
            officer_id=identity.officer_id,
            subject_type="group",
            subject_id=str(row.id),
            details={"unit": unit.code},
        )


async def reject(core: Core, identity: Identity, group_id: int) -> None:
    """Refuse a group (or stop an approved one): it receives nothing."""
    async with core.db.write() as session:
        row = await _decidable(session, identity, group_id)
        row.status, row.decided_at = "rejected", utcnow()
        row.decided_by, row.updated_at = identity.officer_id, utcnow()
        await audit.record(
            session,
            "group.reject",
            actor=identity.actor,
            officer_id=identity.officer_id,
            subject_type="group",
            subject_id=str(row.id),
        )


async def new_code(core: Core, identity: Identity, unit_id: int) -> str:
    """A one-time code binding a group to `unit_id`; shown once, only its hash is kept."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(4 * CODE_GROUPS))
    code = "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    async with core.db.write() as session:
        unit = await _unit_within(session, identity, unit_id)
        session.add(
            GroupCode(
                digest=_digest(code),
                unit_id=unit.id,
                officer_id=identity.officer_id,
                expires_at=utcnow() + CODE_TTL,
            )
        )
        await audit.record(
            session,
            "group.code",
            actor=identity.actor,
            officer_id=identity.officer_id,
            subject_type="unit",
            subject_id=unit.code,
        )
    return code


async def redeem_code(core: Core, chat_id: int, title: str, code: str) -> Unit | None:
    """A group admin sent a code in the group: approve it for the code's unit, once."""
    now = utcnow()
    async with core.db.write() as session:
        found = await session.scalar(
            select(GroupCode).where(
                GroupCode.digest == _digest(code),
                GroupCode.used_at.is_(None),
                GroupCode.expires_at > now,
            )
        )
        if found is None:
            return None
        row = await _by_chat(session, chat_id)
        if row is None:
            row = ChatGroup(chat_id=chat_id, title=title[:255])
            session.add(row)
        unit = await session.get(Unit, found.unit_id)
        assert unit is not None
        row.status, row.unit_id, row.active = "approved", unit.id, True
        row.decided_at, row.decided_by, row.updated_at = now, found.officer_id, now
        await session.flush()
        found.used_at, found.group_id = now, row.id
        await audit.record(
            session,
            "group.approve",
            actor="code",
            officer_id=found.officer_id,
            subject_type="group",
            subject_id=str(row.id),
            details={"unit": unit.code, "by_code": True},
        )
        return unit


@dataclass(frozen=True)
class GroupView:
    """A group as the console lists it."""

    id: int
    title: str
    status: str
    active: bool
    unit_id: int | None
    unit_name: str | None
    requested_at: dt.datetime


async def list_groups(
    session: AsyncSession, identity: Identity, *, status: str | None = None
) -> list[GroupView]:
    """Pending groups (not yet bound) and the groups bound within the officer's subtree."""
    query = (
        select(ChatGroup, Unit)
        .outerjoin(Unit, Unit.id == ChatGroup.unit_id)
        .where((ChatGroup.unit_id.is_(None)) | (Unit.path.startswith(identity.unit_path)))
        .order_by(ChatGroup.requested_at.desc(), ChatGroup.id.desc())
    )
    if status is not None:
        query = query.where(ChatGroup.status == status)
    return [
        GroupView(
            g.id, g.title, g.status, g.active, g.unit_id, u.name if u else None, g.requested_at
        )
        for g, u in (await session.execute(query)).all()
    ]


async def count_pending(session: AsyncSession) -> int:
    """Groups waiting for an officer."""
    query = select(func.count()).select_from(ChatGroup).where(ChatGroup.status == "pending")
    return int(await session.scalar(query) or 0)
