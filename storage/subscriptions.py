"""Residents' subscriptions to warnings: communes, categories, quiet hours, language.

This is the only place a resident's chat id is kept: sealed to the bot's relay key (only
the bot opens it), on a row found by `resident_key(core, "subscription", user_id)`. It is
never joined with tips, and no Telegram id is stored in clear.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.contexts import subscriber_chat_context
from storage.core import Core
from storage.crypto import KeyRing, seal
from storage.models import WARNING_CATEGORIES, Subscriber, SubscriptionUnit, Unit, utcnow
from storage.quiet import valid_hours
from storage.residents import resident_key

PURPOSE = "subscription"
MAX_UNITS = 20


class SubscriptionError(ValueError):
    """A choice that cannot be stored; the message says which."""


@dataclass(frozen=True)
class Subscription:
    """What a resident chose (no chat id: that stays sealed)."""

    unit_ids: tuple[int, ...]
    categories: tuple[str, ...]
    quiet_start: int | None
    quiet_end: int | None
    language: str
    active: bool


def _key(core: Core, user_id: int) -> bytes:
    return resident_key(core, PURPOSE, user_id)


async def _row(session: AsyncSession, key: bytes) -> Subscriber | None:
    return await session.scalar(select(Subscriber).where(Subscriber.resident_key == key))


async def get(core: Core, user_id: int) -> Subscription | None:
    """The resident's subscription, active or not, or None when there never was one."""
    async with core.db.read() as session:
        row = await _row(session, _key(core, user_id))
        if row is None:
            return None
        units = await session.scalars(
            select(SubscriptionUnit.unit_id).where(SubscriptionUnit.subscriber_id == row.id)
        )
        return Subscription(
            unit_ids=tuple(sorted(units.all())),
            categories=tuple(c for c in row.categories.split(",") if c),
            quiet_start=row.quiet_start,
            quiet_end=row.quiet_end,
            language=row.language,
            active=row.active,
        )


async def subscribe(
    core: Core,
    user_id: int,
    chat_id: int,
    *,
    unit_ids: Sequence[int],
    categories: Sequence[str] = (),
    quiet_start: int | None = None,
    quiet_end: int | None = None,
    language: str = "vi",
) -> None:
    """Create or replace the resident's subscription (and reactivate it)."""
    if not unit_ids or len(set(unit_ids)) > MAX_UNITS:
        raise SubscriptionError(f"choose from 1 to {MAX_UNITS} areas")
    unknown = set(categories) - set(WARNING_CATEGORIES)
    if unknown:
        raise SubscriptionError(f"unknown category {sorted(unknown)[0]!r}")
    if not valid_hours(quiet_start, quiet_end):
        raise SubscriptionError("quiet hours are two different hours from 0 to 23")
    key = _key(core, user_id)
    relay = core.vault.relay_public
    async with core.db.write() as session:
        found = await session.scalars(select(Unit.id).where(Unit.id.in_(set(unit_ids))))
        if set(found.all()) != set(unit_ids):
            raise SubscriptionError("an area no longer exists")
        row = await _row(session, key)
        if row is None:
            row = Subscriber(id=uuid.uuid4(), resident_key=key)
            session.add(row)
        row.key_id = relay.key_id
        row.chat_sealed = seal(relay, str(chat_id).encode(), subscriber_chat_context(row.id))
        row.categories = ",".join(sorted(set(categories)))
        row.quiet_start, row.quiet_end = quiet_start, quiet_end
        row.language, row.active, row.updated_at = language, True, utcnow()
        await session.flush()
        await session.execute(
            delete(SubscriptionUnit).where(SubscriptionUnit.subscriber_id == row.id)
        )
        session.add_all(SubscriptionUnit(subscriber_id=row.id, unit_id=u) for u in set(unit_ids))


async def unsubscribe(core: Core, user_id: int) -> bool:
    """Forget the subscription and its sealed chat id; False when there was none."""
    async with core.db.write() as session:
        row = await _row(session, _key(core, user_id))
        if row is None:
            return False
        await session.delete(row)
        return True


async def deactivate_user(core: Core, user_id: int) -> bool:
    """The resident blocked the bot: stop sending until they subscribe again."""
    async with core.db.write() as session:
        result = await session.execute(
            update(Subscriber)
            .where(Subscriber.resident_key == _key(core, user_id), Subscriber.active.is_(True))
            .values(active=False, updated_at=utcnow())
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def open_chat_id(ring: KeyRing, row: Subscriber) -> int:
    """The subscriber's chat id; only the bot holds the ring that opens it."""
    return int(ring.open(row.key_id, row.chat_sealed, subscriber_chat_context(row.id)).decode())


async def active_units(core: Core, user_id: int) -> list[int]:
    """The units an active subscription follows (for /warnings); empty when none."""
    found = await get(core, user_id)
    return list(found.unit_ids) if found is not None and found.active else []
