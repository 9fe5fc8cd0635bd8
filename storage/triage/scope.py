"""Jurisdiction: an officer reaches the tips of their unit and of every unit below it."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.auth import Identity
from storage.models import Officer, Tip, Unit
from storage.triage.rules import NotFound


def within(identity: Identity, unit: Unit) -> bool:
    """True when `unit` is the officer's unit or below it."""
    return unit.path.startswith(identity.unit_path)


async def scope_unit_ids(session: AsyncSession, identity: Identity) -> list[int]:
    """Ids of every unit in the officer's jurisdiction (one indexed prefix match)."""
    query = select(Unit.id).where(Unit.path.startswith(identity.unit_path, autoescape=True))
    return list((await session.scalars(query)).all())


async def scoped_tip(
    session: AsyncSession, identity: Identity, ref: str, *, for_update: bool = False
) -> tuple[Tip, Unit]:
    """The tip with this public reference, if it is in the officer's jurisdiction; else NotFound.

    Another unit's tip and a tip that does not exist look the same (issue 4: 404).
    """
    query = (
        select(Tip, Unit)
        .join(Unit, Unit.id == Tip.unit_id)
        .where(Tip.ref == ref, Unit.path.startswith(identity.unit_path, autoescape=True))
    )
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Tip)
    row = (await session.execute(query)).one_or_none()
    if row is None:
        raise NotFound(ref)
    tip, unit = row
    return tip, unit


async def scoped_tip_by_id(session: AsyncSession, identity: Identity, tip_id: uuid.UUID) -> Tip:
    """The tip with this id in the officer's jurisdiction, else NotFound."""
    query = (
        select(Tip)
        .join(Unit, Unit.id == Tip.unit_id)
        .where(Tip.id == tip_id, Unit.path.startswith(identity.unit_path, autoescape=True))
    )
    tip = await session.scalar(query)
    if tip is None:
        raise NotFound(str(tip_id))
    return tip


async def scoped_unit(session: AsyncSession, identity: Identity, unit_id: int) -> Unit:
    """An active unit in the officer's jurisdiction, else NotFound."""
    unit = await session.get(Unit, unit_id)
    if unit is None or not unit.active or not within(identity, unit):
        raise NotFound(f"unit {unit_id}")
    return unit


async def scoped_officer(session: AsyncSession, identity: Identity, officer_id: int) -> Officer:
    """An active officer whose unit is in the officer's jurisdiction, else NotFound."""
    row = (
        await session.execute(
            select(Officer, Unit)
            .join(Unit, Unit.id == Officer.unit_id)
            .where(Officer.id == officer_id, Officer.active.is_(True))
        )
    ).one_or_none()
    if row is None or not within(identity, row[1]):
        raise NotFound(f"officer {officer_id}")
    return row[0]
