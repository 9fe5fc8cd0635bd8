"""The triage queue: the tips of an officer's jurisdiction, filtered, sorted, paged and counted.

The queue never loads sealed content: it reads only the clear columns, through the
`(unit_id, status, created_at)` index, so a page costs the same with 100 or 100,000 tips.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.auth import Identity
from storage.core import Core
from storage.models import Officer, Tip, Unit, utcnow
from storage.triage.rules import (
    OPEN_STATUSES,
    PRIORITIES,
    STATUSES,
    UNOPENED_LIMIT,
    NotFound,
    is_overdue,
)
from storage.triage.scope import scope_unit_ids

SORTS = ("newest", "oldest", "priority", "updated")
# How far back the age filter reaches.
AGES: dict[str, dt.timedelta] = {
    "1d": dt.timedelta(days=1),
    "7d": dt.timedelta(days=7),
    "30d": dt.timedelta(days=30),
    "90d": dt.timedelta(days=90),
}
# Status filters beyond the plain statuses.
STATUS_FILTERS = ("open", "all", "overdue", *STATUSES)


@dataclass(frozen=True)
class QueueFilter:
    """What the officer asked to see. Unknown values are dropped by `clean`."""

    status: str = "open"
    category: str | None = None
    unit_id: int | None = None
    age: str | None = None
    priority: str | None = None
    sort: str = "newest"
    offset: int = 0
    limit: int = 25

    def clean(self, categories: tuple[str, ...]) -> QueueFilter:
        """A copy with every unknown value replaced by its default."""
        return QueueFilter(
            status=self.status if self.status in STATUS_FILTERS else "open",
            category=self.category if self.category in categories else None,
            unit_id=self.unit_id,
            age=self.age if self.age in AGES else None,
            priority=self.priority if self.priority in PRIORITIES else None,
            sort=self.sort if self.sort in SORTS else "newest",
            offset=max(0, self.offset),
            limit=max(1, min(self.limit, 100)),
        )


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue."""

    id: uuid.UUID
    ref: str
    category: str
    status: str
    outcome: str | None
    priority: str
    unit_id: int
    unit_code: str
    unit_name: str
    unit_kind: str
    created_at: dt.datetime
    updated_at: dt.datetime
    first_opened_at: dt.datetime | None
    attachment_count: int
    assigned_to: str | None
    overdue: bool

    @property
    def unopened(self) -> bool:
        """Nobody opened this tip yet: the queue highlights it."""
        return self.first_opened_at is None


@dataclass(frozen=True)
class QueuePage:
    """A page of the queue with the counts the officer sees above it."""

    rows: list[QueueRow]
    total: int
    # Per status (and "open", "overdue", "all"), under every filter except the status;
    # "closed" and "all" only when one of them is the chosen view.
    counts: dict[str, int] = field(default_factory=dict)


def _status_condition(status: str, now: dt.datetime) -> ColumnElement[bool] | None:
    if status == "all":
        return None
    if status == "open":
        return Tip.status.in_(OPEN_STATUSES)
    if status == "overdue":
        return (
            Tip.status.in_(OPEN_STATUSES)
            & Tip.first_opened_at.is_(None)
            & (Tip.created_at <= now - UNOPENED_LIMIT)
        )
    return Tip.status == status


def _conditions(units: list[int], flt: QueueFilter, now: dt.datetime) -> list[ColumnElement[bool]]:
    """Every filter but the status, as SQL conditions."""
    conditions: list[ColumnElement[bool]] = [Tip.unit_id.in_(units)]
    if flt.category:
        conditions.append(Tip.category == flt.category)
    if flt.priority:
        conditions.append(Tip.priority == flt.priority)
    if flt.age:
        conditions.append(Tip.created_at >= now - AGES[flt.age])
    return conditions


def _order(sort: str) -> list[ColumnElement[Any]]:
    if sort == "oldest":
        return [Tip.created_at.asc(), Tip.ref.asc()]
    if sort == "updated":
        return [Tip.updated_at.desc(), Tip.ref.desc()]
    if sort == "priority":
        rank = case({p: i for i, p in enumerate(reversed(PRIORITIES))}, value=Tip.priority)
        return [rank.asc(), Tip.created_at.desc()]
    return [Tip.created_at.desc(), Tip.ref.desc()]


async def _units_in_filter(
    session: AsyncSession, identity: Identity, unit_id: int | None
) -> list[int]:
    """The officer's units, narrowed to one unit's subtree when the filter names one."""
    units = await scope_unit_ids(session, identity)
    if unit_id is None:
        return units
    chosen = await session.get(Unit, unit_id)
    if chosen is None or not chosen.path.startswith(identity.unit_path):
        return []
    below = await session.scalars(
        select(Unit.id).where(Unit.path.startswith(chosen.path, autoescape=True))
    )
    return list(below.all())


async def _counts(
    session: AsyncSession,
    conditions: list[ColumnElement[bool]],
    now: dt.datetime,
    *,
    with_closed: bool,
) -> dict[str, int]:
    """Open tips per status and the overdue ones; closed tips only when the view needs them.

    Closed tips pile up until retention removes them (most of the table), so they are
    counted only when the officer looks at them ("closed" or "all").
    """
    # Grouped by unit too: the rows then come straight off the index, in its order.
    by_status = await session.execute(
        select(Tip.status, func.count())
        .where(*conditions, Tip.status.in_(OPEN_STATUSES))
        .group_by(Tip.unit_id, Tip.status)
    )
    counts = dict.fromkeys(OPEN_STATUSES, 0)
    for status, n in by_status.all():
        counts[status] += int(n)
    overdue = _status_condition("overdue", now)
    assert overdue is not None
    counts["overdue"] = int(
        await session.scalar(select(func.count()).select_from(Tip).where(*conditions, overdue)) or 0
    )
    counts["open"] = sum(counts[s] for s in OPEN_STATUSES)
    if with_closed:
        closed = await session.scalar(
            select(func.count()).select_from(Tip).where(*conditions, Tip.status == "closed")
        )
        counts["closed"] = int(closed or 0)
        counts["all"] = counts["open"] + counts["closed"]
    return counts


def _row_query() -> Select[*tuple[Any, ...]]:
    """The clear columns of a queue line; sealed content is never loaded here."""
    return (
        select(
            Tip.id,
            Tip.ref,
            Tip.category,
            Tip.status,
            Tip.outcome,
            Tip.priority,
            Tip.unit_id,
            Unit.code,
            Unit.name,
            Unit.kind,
            Tip.created_at,
            Tip.updated_at,
            Tip.first_opened_at,
            Tip.attachment_count,
            Officer.display_name,
        )
        .join(Unit, Unit.id == Tip.unit_id)
        .outerjoin(Officer, Officer.id == Tip.assigned_officer_id)
    )


def _row(r: Sequence[Any], now: dt.datetime) -> QueueRow:
    return QueueRow(
        id=r[0],
        ref=r[1],
        category=r[2],
        status=r[3],
        outcome=r[4],
        priority=r[5],
        unit_id=r[6],
        unit_code=r[7],
        unit_name=r[8],
        unit_kind=r[9],
        created_at=r[10],
        updated_at=r[11],
        first_opened_at=r[12],
        attachment_count=r[13],
        assigned_to=r[14],
        overdue=is_overdue(r[3], r[12], r[10], now),
    )


async def list_queue(core: Core, identity: Identity, flt: QueueFilter) -> QueuePage:
    """One page of the officer's queue, with the total and the per-status counts."""
    now = utcnow()
    async with core.db.read() as session:
        units = await _units_in_filter(session, identity, flt.unit_id)
        if not units:
            return QueuePage(rows=[], total=0, counts=dict.fromkeys(STATUS_FILTERS, 0))
        conditions = _conditions(units, flt, now)
        with_closed = flt.status in ("closed", "all")
        counts = await _counts(session, conditions, now, with_closed=with_closed)
        status = _status_condition(flt.status, now)
        where = [*conditions, status] if status is not None else conditions
        total = counts.get(flt.status, 0)
        query = (
            _row_query()
            .where(*where)
            .order_by(*_order(flt.sort))
            .offset(flt.offset)
            .limit(flt.limit)
        )
        rows = [_row(r, now) for r in (await session.execute(query)).all()]
    return QueuePage(rows=rows, total=total, counts=counts)


async def open_counts(session: AsyncSession, identity: Identity) -> dict[str, int]:
    """Open tips of the officer's jurisdiction per status, with "open" and "overdue"."""
    units = await scope_unit_ids(session, identity)
    if not units:
        return {key: 0 for key in (*OPEN_STATUSES, "open", "overdue")}
    now = utcnow()
    return await _counts(session, _conditions(units, QueueFilter(), now), now, with_closed=False)


async def tip_row(core: Core, identity: Identity, ref: str) -> QueueRow:
    """One tip's queue line (no content, no audit), if it is in the jurisdiction."""
    async with core.db.read() as session:
        row = (
            await session.execute(
                _row_query().where(
                    Tip.ref == ref, Unit.path.startswith(identity.unit_path, autoescape=True)
                )
            )
        ).one_or_none()
    if row is None:
        raise NotFound(ref)
    return _row(row, utcnow())


async def status_totals(core: Core) -> dict[str, int]:
    """Tips per status across the installation (for /metrics)."""
    async with core.db.read() as session:
        rows = await session.execute(select(Tip.status, func.count()).group_by(Tip.status))
        return {status: int(n) for status, n in rows.all()}
