"""What the bot remembers of a resident: a language choice and rate counters, by pseudonym."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.core import Core
from storage.crypto import pseudonym, rotating_pseudonym
from storage.models import RateCounter, ResidentPreference, utcnow


def resident_key(core: Core, purpose: str, telegram_user_id: int) -> bytes:
    """A stable pseudonym of a Telegram user for one purpose; the id itself is never stored."""
    return pseudonym(core.vault.secrets.pseudonym_key, purpose, telegram_user_id)


async def get_language(core: Core, telegram_user_id: int) -> str | None:
    """The language the resident chose with /lang, if any."""
    key = resident_key(core, "language", telegram_user_id)
    async with core.db.read() as session:
        pref = await session.get(ResidentPreference, key)
        return pref.language if pref else None


async def set_language(core: Core, telegram_user_id: int, language: str) -> None:
    """Remember the resident's language choice."""
    key = resident_key(core, "language", telegram_user_id)
    async with core.db.write() as session:
        pref = await session.get(ResidentPreference, key)
        if pref is None:
            session.add(ResidentPreference(pseudonym=key, language=language))
        else:
            pref.language, pref.updated_at = language, utcnow()


async def _increment(session: AsyncSession, key: bytes, action: str, window: int, ttl: int) -> int:
    """Add one to a counter row and return the new count, atomically on both databases."""
    values = {
        "pseudonym": key,
        "action": action,
        "window_start": window,
        "count": 1,
        "expires_at": utcnow() + dt.timedelta(seconds=ttl),
    }
    keys = ["pseudonym", "action", "window_start"]
    bump = {"count": RateCounter.count + 1}
    statement: Any
    if session.get_bind().dialect.name == "postgresql":
        statement = pg_insert(RateCounter).values(values)
    else:
        statement = sqlite_insert(RateCounter).values(values)
    statement = statement.on_conflict_do_update(index_elements=keys, set_=bump)
    return int((await session.execute(statement.returning(RateCounter.count))).scalar_one())


async def take(
    core: Core,
    telegram_user_id: int,
    action: str,
    *,
    limit: int,
    window_seconds: int,
    now: float | None = None,
) -> bool:
    """Count one `action` for the user in the current window; False once over `limit`.

    The counter's key is an HMAC that changes with every window, so counters of different
    windows cannot be linked to each other or to the user.
    """
    window = int((time.time() if now is None else now) // window_seconds)
    key = rotating_pseudonym(core.vault.secrets.pseudonym_key, action, telegram_user_id, window)
    async with core.db.write() as session:
        count = await _increment(session, key, action, window, window_seconds)
    return count <= limit


async def take_within(
    core: Core,
    telegram_user_id: int,
    limits: Sequence[tuple[str, int, int]],
    *,
    now: float | None = None,
) -> tuple[str, int, int] | None:
    """Count one use against several (action, limit, window_seconds) limits at once.

    All or nothing, in one transaction: returns the first limit already reached (and
    counts nothing), or None after counting the use in every window.
    """
    async with core.db.write() as session:
        return await take_within_session(session, core, telegram_user_id, limits, now=now)


async def take_within_session(
    session: AsyncSession,
    core: Core,
    telegram_user_id: int,
    limits: Sequence[tuple[str, int, int]],
    *,
    now: float | None = None,
) -> tuple[str, int, int] | None:
    """`take_within` inside the caller's transaction (which commits or rolls it back)."""
    moment = time.time() if now is None else now
    secret = core.vault.secrets.pseudonym_key
    keyed = [
        (rule, rotating_pseudonym(secret, rule[0], telegram_user_id, int(moment // rule[2])))
        for rule in limits
    ]
    for (action, limit, window_seconds), key in keyed:
        row = await session.get(RateCounter, (key, action, int(moment // window_seconds)))
        if row is not None and row.count >= limit:
            return action, limit, window_seconds
    for (action, _limit, window_seconds), key in keyed:
        window = int(moment // window_seconds)
        await _increment(session, key, action, window, window_seconds)
    return None


async def peek(
    core: Core, telegram_user_id: int, action: str, *, window_seconds: int, now: float | None = None
) -> int:
    """How many times `action` was counted for the user in the current window."""
    window = int((time.time() if now is None else now) // window_seconds)
    key = rotating_pseudonym(core.vault.secrets.pseudonym_key, action, telegram_user_id, window)
    async with core.db.read() as session:
        row = await session.get(RateCounter, (key, action, window))
        return row.count if row else 0


async def forget_expired_counters(core: Core) -> int:
    """Delete rate counters whose window is over; returns how many went."""
    async with core.db.write() as session:
        result = await session.execute(delete(RateCounter).where(RateCounter.expires_at < utcnow()))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
