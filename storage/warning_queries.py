"""Reading warnings: for residents (/warnings), for the console, for the public feed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.auth import Identity
from storage.broadcast import Progress, progress
from storage.models import (
    Broadcast,
    ChatGroup,
    CrimeWarning,
    Delivery,
    Unit,
    WarningUnit,
    utcnow,
)
from storage.units import ancestors, subtree_ids

PUBLISHED = ("sending", "sent")
CANCEL_LISTED = dt.timedelta(days=7)


@dataclass(frozen=True)
class WarningSummary:
    """One line of a list of warnings."""

    id: int
    title: str
    status: str
    msg_type: str
    category: str
    severity: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    scheduled_at: dt.datetime | None
    expires_at: dt.datetime | None


def _summary(row: CrimeWarning) -> WarningSummary:
    return WarningSummary(
        row.id,
        row.title_vi,
        row.status,
        row.msg_type,
        row.category,
        row.severity,
        row.created_at,
        row.sent_at,
        row.scheduled_at,
        row.expires_at,
    )


def _superseded() -> Select[int | None]:
    """Warnings a later published Update or Cancel replaced."""
    return select(CrimeWarning.references_id).where(
        CrimeWarning.status.in_(PUBLISHED), CrimeWarning.references_id.is_not(None)
    )


def _live(now: dt.datetime) -> ColumnElement[bool]:
    """Published, not expired, not replaced by a later message, and not a cancellation."""
    return (
        CrimeWarning.status.in_(PUBLISHED)
        & or_(CrimeWarning.expires_at.is_(None), CrimeWarning.expires_at > now)
        & CrimeWarning.id.not_in(_superseded())
        & (CrimeWarning.msg_type != "Cancel")
    )


async def active_for_units(
    session: AsyncSession, unit_ids: list[int], *, limit: int = 20
) -> list[CrimeWarning]:
    """Active warnings for any of the units: aimed at it, above it, or below it."""
    covering: set[int] = set()
    for unit_id in unit_ids:
        unit = await session.get(Unit, unit_id)
        if unit is not None:
            covering.update(u.id for u in await ancestors(session, unit))
            covering.update(await subtree_ids(session, unit.id))
    if not covering:
        return []
    targeted = select(WarningUnit.warning_id).where(WarningUnit.unit_id.in_(covering))
    query = (
        select(CrimeWarning)
        .where(_live(utcnow()), CrimeWarning.id.in_(targeted))
        .order_by(CrimeWarning.sent_at.desc(), CrimeWarning.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def public_warning(session: AsyncSession, warning_id: int) -> CrimeWarning | None:
    """A published warning (any message type), as the public feed may show it."""
    row = await session.get(CrimeWarning, warning_id)
    return row if row is not None and row.status in PUBLISHED else None


async def active_public(session: AsyncSession, *, limit: int = 100) -> list[CrimeWarning]:
    """The Atom index: messages in force (not expired, not replaced), newest first.

    A cancellation stays listed for CANCEL_LISTED after it was sent, so that feed readers
    learn that the warning it names is withdrawn.
    """
    now = utcnow()
    recent_cancel = (CrimeWarning.msg_type == "Cancel") & (
        CrimeWarning.sent_at > now - CANCEL_LISTED
    )
    query = (
        select(CrimeWarning)
        .where(
            CrimeWarning.status.in_(PUBLISHED),
            or_(CrimeWarning.expires_at.is_(None), CrimeWarning.expires_at > now),
            CrimeWarning.id.not_in(_superseded()),
            or_(CrimeWarning.msg_type != "Cancel", recent_cancel),
        )
        .order_by(CrimeWarning.sent_at.desc(), CrimeWarning.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def target_units(session: AsyncSession, warning_id: int) -> list[Unit]:
    """The areas a warning was sent to, by name."""
    query = (
        select(Unit)
        .join(WarningUnit, WarningUnit.unit_id == Unit.id)
        .where(WarningUnit.warning_id == warning_id)
        .order_by(Unit.path)
    )
    return list((await session.scalars(query)).all())


def issued_within(identity: Identity) -> ColumnElement[bool]:
    """Warnings issued by the officer's unit or one below it."""
    issued_here = select(Unit.id).where(Unit.path.startswith(identity.unit_path, autoescape=True))
    return CrimeWarning.unit_id.in_(issued_here)


async def list_for(
    session: AsyncSession,
    identity: Identity,
    *,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[WarningSummary], int]:
    """Warnings issued by the officer's unit or below it, newest first, and the total."""
    where = [issued_within(identity)]
    if status is not None:
        where.append(CrimeWarning.status == status)
    total = await session.scalar(select(func.count()).select_from(CrimeWarning).where(*where))
    query = (
        select(CrimeWarning)
        .where(*where)
        .order_by(CrimeWarning.created_at.desc(), CrimeWarning.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = (await session.scalars(query)).all()
    return [_summary(r) for r in rows], int(total or 0)


async def get_for(
    session: AsyncSession, identity: Identity, warning_id: int
) -> CrimeWarning | None:
    """A warning the officer may see, or None."""
    row = await session.get(CrimeWarning, warning_id)
    if row is None:
        return None
    issuer = await session.get(Unit, row.unit_id)
    return row if issuer is not None and issuer.path.startswith(identity.unit_path) else None


async def warning_progress(session: AsyncSession, warning_id: int) -> Progress:
    """Sent / failed / pending deliveries of a warning."""
    return await progress(session, "warning", str(warning_id))


@dataclass(frozen=True)
class ReportLine:
    """One kind of chat and outcome in a delivery report."""

    chat_kind: str
    state: str
    error: str | None
    count: int


@dataclass(frozen=True)
class GroupLine:
    """What happened in one group (titles are not personal; residents stay counts)."""

    title: str
    state: str
    error: str | None
    sent_at: dt.datetime | None


async def report(
    session: AsyncSession, warning_id: int
) -> tuple[Progress, list[ReportLine], list[GroupLine]]:
    """The delivery report: totals, outcomes by chat kind and error, and each group."""
    mine = (Broadcast.kind == "warning") & (Broadcast.source_id == str(warning_id))
    lines_query = (
        select(
            Delivery.group_id.is_not(None).label("is_group"),
            Delivery.state,
            Delivery.last_error,
            func.count(),
        )
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .where(mine)
        .group_by("is_group", Delivery.state, Delivery.last_error)
        .order_by("is_group", Delivery.state)
    )
    lines = [
        ReportLine("group" if is_group else "private", str(state), error, int(n))
        for is_group, state, error, n in (await session.execute(lines_query)).all()
    ]
    groups_query = (
        select(ChatGroup.title, Delivery.state, Delivery.last_error, Delivery.sent_at)
        .join(Delivery, Delivery.group_id == ChatGroup.id)
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .where(mine)
        .order_by(ChatGroup.title)
    )
    group_lines = [
        GroupLine(str(title), str(state), error, sent_at)
        for title, state, error, sent_at in (await session.execute(groups_query)).all()
    ]
    return await warning_progress(session, warning_id), lines, group_lines


async def target_choices(session: AsyncSession, identity: Identity) -> list[Unit]:
    """Units a broadcaster may target: their own and those below it, in tree order."""
    query = (
        select(Unit)
        .where(Unit.path.startswith(identity.unit_path, autoescape=True), Unit.active.is_(True))
        .order_by(Unit.path)
    )
    return list((await session.scalars(query)).all())


def depth(unit: Unit) -> int:
    """How deep a unit sits in the tree (0 for a province)."""
    return unit.path.strip("/").count("/")
