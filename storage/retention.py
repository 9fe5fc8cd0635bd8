"""Retention: closed tips are deleted once their retention period has passed.

A tip on legal hold is kept. Each purge leaves an audit event (`tip.purge`) that names
the public reference and why, never the content: the log keeps that it happened.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.auth import Identity
from storage.core import Core
from storage.db import Database
from storage.models import Tip, utcnow
from storage.triage.rules import TriageError
from storage.triage.scope import scoped_tip

BATCH = 200


@dataclass(frozen=True)
class PurgeReport:
    """What one run removed, and how many due tips stayed because of a legal hold."""

    purged: int
    held: int


async def _delete(session: AsyncSession, tip_id: uuid.UUID) -> None:
    """Delete one tip; its messages and attachments go with it (ON DELETE CASCADE)."""
    await session.execute(
        update(Tip).where(Tip.duplicate_of_id == tip_id).values(duplicate_of_id=None)
    )
    await session.execute(delete(Tip).where(Tip.id == tip_id))


def _due(now: dt.datetime) -> list[ColumnElement[bool]]:
    return [Tip.status == "closed", Tip.purge_after.is_not(None), Tip.purge_after <= now]


async def due(db: Database, *, now: dt.datetime | None = None) -> PurgeReport:
    """How many tips a purge would delete now, and how many a legal hold keeps."""
    now = now or utcnow()
    async with db.read() as session:
        rows = await session.execute(
            select(Tip.legal_hold, func.count()).where(*_due(now)).group_by(Tip.legal_hold)
        )
        counts = {bool(hold): int(n) for hold, n in rows.all()}
    return PurgeReport(purged=counts.get(False, 0), held=counts.get(True, 0))


async def purge_due(
    db: Database, *, now: dt.datetime | None = None, actor: str = "system"
) -> PurgeReport:
    """Delete every closed tip past its `purge_after`, in short batches; returns the counts."""
    now = now or utcnow()
    purged = 0
    while True:
        async with db.write() as session:
            rows = (
                await session.execute(
                    select(Tip.id, Tip.ref, Tip.category)
                    .where(*_due(now), Tip.legal_hold.is_(False))
                    .order_by(Tip.purge_after)
                    .limit(BATCH)
                )
            ).all()
            for tip_id, ref, category in rows:
                await _delete(session, tip_id)
                await audit.record(
                    session,
                    "tip.purge",
                    actor=actor,
                    subject_type="tip",
                    subject_id=ref,
                    details={"reason": "retention", "category": category},
                )
        purged += len(rows)
        if len(rows) < BATCH:
            break
    return PurgeReport(purged=purged, held=(await due(db, now=now)).held)


async def purge_now(core: Core, identity: Identity, ref: str) -> None:
    """An administrator deletes one closed tip of their jurisdiction before its time."""
    async with core.db.write() as session:
        tip, _unit = await scoped_tip(session, identity, ref, for_update=True)
        if tip.status != "closed":
            raise TriageError("only a closed tip can be purged", "not_closed")
        if tip.legal_hold:
            raise TriageError("the tip is on legal hold", "hold")
        category = tip.category
        await _delete(session, tip.id)
        await audit.record(
            session,
            "tip.purge",
            actor=identity.actor,
            officer_id=identity.officer_id,
            subject_type="tip",
            subject_id=ref,
            details={"reason": "manual", "category": category},
        )
