"""Signing in to the console: who an officer is, passwords, lockout with back-off.

Every login and failed login is an audit event. The second factor (TOTP) is in
`storage.totp`, browser sessions and API tokens in `storage.sessions`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Literal

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.core import Core
from storage.models import ConsoleSession, Officer, utcnow
from storage.officers import password_hasher, token_digest

# Roles that may not work without a second factor (issue 4).
SECOND_FACTOR_ROLES = frozenset({"admin", "triage"})
LOCK_AFTER = 5
LOCK_BASE = dt.timedelta(minutes=1)
LOCK_MAX = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Identity:
    """A signed-in officer as every use case sees them."""

    officer_id: int
    username: str
    display_name: str
    roles: frozenset[str]
    unit_id: int
    unit_code: str
    unit_path: str
    language: str
    totp_enabled: bool

    @property
    def actor(self) -> str:
        """How audit events name this officer."""
        return f"officer:{self.officer_id}"


Outcome = Literal["ok", "bad", "locked"]


@dataclass(frozen=True)
class LoginResult:
    """What a password attempt gave: `ok` with the officer, `bad`, or `locked` until a time."""

    outcome: Outcome
    officer_id: int | None = None
    locked_until: dt.datetime | None = None
    next_step: Literal["totp", "enrol", "none"] = "none"


def lock_duration(failures: int) -> dt.timedelta:
    """Back-off after `failures` consecutive failures: 1, 2, 4 … minutes, at most a day."""
    if failures < LOCK_AFTER:
        return dt.timedelta(0)
    return min(LOCK_MAX, LOCK_BASE * int(2 ** min(failures - LOCK_AFTER, 20)))


def needs_second_factor(officer: Officer) -> bool:
    """Admins and triage officers must use TOTP; others once they enrolled."""
    return officer.totp_enabled or bool(SECOND_FACTOR_ROLES & officer.role_set)


@cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown usernames, so timing does not tell them apart."""
    return password_hasher.hash(secrets.token_hex(16))


def _verify(stored: str, password: str) -> bool:
    try:
        return bool(password_hasher.verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


async def record_failure(
    session: AsyncSession, officer: Officer, reason: str, now: dt.datetime
) -> dt.datetime | None:
    """Count a failed password or code inside the caller's transaction; lock when due."""
    failures = (
        await session.execute(
            update(Officer)
            .where(Officer.id == officer.id)
            .values(failed_logins=Officer.failed_logins + 1)
            .returning(Officer.failed_logins)
        )
    ).scalar_one()
    await audit.record(
        session,
        "auth.login_failed",
        actor="anonymous",
        subject_type="officer",
        subject_id=str(officer.id),
        details={"reason": reason, "failures": failures},
    )
    pause = lock_duration(failures)
    if not pause:
        return None
    until = now + pause
    await session.execute(
        update(Officer).where(Officer.id == officer.id).values(locked_until=until)
    )
    await audit.record(
        session,
        "auth.lockout",
        actor="system",
        subject_type="officer",
        subject_id=str(officer.id),
        details={"failures": failures, "seconds": int(pause.total_seconds())},
    )
    return until


async def check_password(core: Core, username: str, password: str) -> LoginResult:
    """First step of signing in; a locked account is refused without looking at the password."""
    now = utcnow()
    async with core.db.read() as session:
        officer = await session.scalar(
            select(Officer).where(Officer.username == username.strip().lower()[:64])
        )
    if officer is None or not officer.active:
        await asyncio.to_thread(_verify, _dummy_hash(), password)
        async with core.db.write() as session:
            await audit.record(
                session,
                "auth.login_failed",
                actor="anonymous",
                details={"reason": "unknown" if officer is None else "disabled"},
            )
        return LoginResult("bad")
    if officer.locked_until is not None and officer.locked_until > now:
        async with core.db.write() as session:
            await audit.record(
                session,
                "auth.login_failed",
                actor="anonymous",
                subject_type="officer",
                subject_id=str(officer.id),
                details={"reason": "locked"},
            )
        return LoginResult("locked", locked_until=officer.locked_until)
    if not await asyncio.to_thread(_verify, officer.password_hash, password):
        async with core.db.write() as session:
            until = await record_failure(session, officer, "password", now)
        return LoginResult("locked", locked_until=until) if until else LoginResult("bad")
    if password_hasher.check_needs_rehash(officer.password_hash):
        fresh = await asyncio.to_thread(password_hasher.hash, password)
        async with core.db.write() as session:
            await session.execute(
                update(Officer).where(Officer.id == officer.id).values(password_hash=fresh)
            )
    step: Literal["totp", "enrol", "none"] = "none"
    if needs_second_factor(officer):
        step = "totp" if officer.totp_enabled else "enrol"
    if step == "none":
        async with core.db.write() as session:
            await login_succeeded(session, officer.id, "password")
    return LoginResult("ok", officer_id=officer.id, next_step=step)


async def login_succeeded(session: AsyncSession, officer_id: int, method: str) -> None:
    """Reset the failure count and record the login, inside the caller's transaction."""
    await session.execute(
        update(Officer)
        .where(Officer.id == officer_id)
        .values(failed_logins=0, locked_until=None, last_login_at=utcnow())
    )
    await audit.record(
        session,
        "auth.login",
        actor=f"officer:{officer_id}",
        officer_id=officer_id,
        subject_type="officer",
        subject_id=str(officer_id),
        details={"method": method},
    )


async def change_password(
    core: Core, officer_id: int, current: str, new: str, *, keep_token: str
) -> bool:
    """Replace one's own password after proving the current one; other sessions end.

    Returns False when the current password is wrong (counted like a failed login).
    Raises `storage.officers.OfficerError` when the new password is too weak.
    """
    from storage.officers import check_password_strength

    check_password_strength(new)
    async with core.db.read() as session:
        officer = await session.get(Officer, officer_id)
    if officer is None or not officer.active:
        return False
    if not await asyncio.to_thread(_verify, officer.password_hash, current):
        async with core.db.write() as session:
            await record_failure(session, officer, "password_change", utcnow())
        return False
    fresh = await asyncio.to_thread(password_hasher.hash, new)
    async with core.db.write() as session:
        await session.execute(
            update(Officer)
            .where(Officer.id == officer_id)
            .values(password_hash=fresh, password_change_due=False)
        )
        await session.execute(
            delete(ConsoleSession).where(
                ConsoleSession.officer_id == officer_id,
                ConsoleSession.token_hash != token_digest(keep_token),
            )
        )
        await audit.record(
            session,
            "auth.password_changed",
            actor=f"officer:{officer_id}",
            officer_id=officer_id,
            subject_type="officer",
            subject_id=str(officer_id),
        )
    return True
