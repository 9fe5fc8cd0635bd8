"""Signing in to the console: passwords with lockout, browser sessions and API tokens.

Every login and failed login is an audit event. The second factor (TOTP) is in
`storage.totp`; a browser session only becomes whole once that step is done.
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
from storage.models import ApiToken, ConsoleSession, Officer, Unit, utcnow
from storage.officers import password_hasher, token_digest

# Roles that may not work without a second factor (issue 4).
SECOND_FACTOR_ROLES = frozenset({"admin", "triage"})
LOCK_AFTER = 5
LOCK_BASE = dt.timedelta(minutes=1)
LOCK_MAX = dt.timedelta(hours=24)
# Between the password and the second factor.
HALF_SESSION = dt.timedelta(minutes=10)
# Sessions and tokens record their last use at most this often (one write, not one per hit).
TOUCH_EVERY = dt.timedelta(seconds=60)


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


@dataclass(frozen=True)
class SessionState:
    """A browser session looked up from its cookie."""

    identity: Identity
    csrf_token: str
    complete: bool
    created_at: dt.datetime


def lock_duration(failures: int) -> dt.timedelta:
    """Back-off after `failures` consecutive failures: 1, 2, 4 … minutes, at most a day."""
    if failures < LOCK_AFTER:
        return dt.timedelta(0)
    return min(LOCK_MAX, LOCK_BASE * 2 ** min(failures - LOCK_AFTER, 20))


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


# ---- sessions ---------------------------------------------------------------------------


async def start_session(
    core: Core, officer_id: int, *, complete: bool, lifetime: dt.timedelta
) -> str:
    """A new browser session; returns the cookie token (only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    async with core.db.write() as session:
        session.add(
            ConsoleSession(
                token_hash=token_digest(token),
                officer_id=officer_id,
                csrf_token=secrets.token_urlsafe(32),
                second_factor_done=complete,
                created_at=now,
                last_seen_at=now,
                expires_at=now + (lifetime if complete else min(lifetime, HALF_SESSION)),
            )
        )
    return token


async def upgrade_session(core: Core, token: str, *, lifetime: dt.timedelta) -> str | None:
    """After the second factor: replace the half session with a whole one under a new token."""
    async with core.db.write() as session:
        row = await session.scalar(
            select(ConsoleSession).where(ConsoleSession.token_hash == token_digest(token))
        )
        if row is None:
            return None
        officer_id = row.officer_id
        await session.delete(row)
    return await start_session(core, officer_id, complete=True, lifetime=lifetime)


def _identity(officer: Officer, unit: Unit) -> Identity:
    return Identity(
        officer_id=officer.id,
        username=officer.username,
        display_name=officer.display_name,
        roles=officer.role_set,
        unit_id=unit.id,
        unit_code=unit.code,
        unit_path=unit.path,
        language=officer.language,
        totp_enabled=officer.totp_enabled,
    )


async def session_state(core: Core, token: str, *, idle: dt.timedelta) -> SessionState | None:
    """The session behind a cookie, or None when unknown, expired, idle too long or disabled."""
    now = utcnow()
    digest = token_digest(token)
    async with core.db.read() as session:
        row = (
            await session.execute(
                select(ConsoleSession, Officer, Unit)
                .join(Officer, Officer.id == ConsoleSession.officer_id)
                .join(Unit, Unit.id == Officer.unit_id)
                .where(ConsoleSession.token_hash == digest)
            )
        ).one_or_none()
    if row is None:
        return None
    console_session, officer, unit = row.tuple()
    if (
        not officer.active
        or console_session.expires_at <= now
        or console_session.last_seen_at + idle <= now
    ):
        return None
    if now - console_session.last_seen_at >= TOUCH_EVERY:
        async with core.db.write() as session:
            await session.execute(
                update(ConsoleSession)
                .where(ConsoleSession.id == console_session.id)
                .values(last_seen_at=now)
            )
    return SessionState(
        identity=_identity(officer, unit),
        csrf_token=console_session.csrf_token,
        complete=console_session.second_factor_done,
        created_at=console_session.created_at,
    )


async def end_session(core: Core, token: str) -> None:
    """Sign out: the session row is deleted, the cookie is worthless."""
    async with core.db.write() as session:
        row = await session.scalar(
            select(ConsoleSession).where(ConsoleSession.token_hash == token_digest(token))
        )
        if row is None:
            return
        officer_id = row.officer_id
        await session.delete(row)
        if row.second_factor_done:
            await audit.record(
                session,
                "auth.logout",
                actor=f"officer:{officer_id}",
                officer_id=officer_id,
                subject_type="officer",
                subject_id=str(officer_id),
            )


async def set_language(core: Core, officer_id: int, language: str) -> None:
    """Remember the officer's console language."""
    async with core.db.write() as session:
        await session.execute(
            update(Officer).where(Officer.id == officer_id).values(language=language)
        )


async def delete_expired_sessions(core: Core, *, idle: dt.timedelta) -> int:
    """Drop sessions that can no longer be used; returns how many."""
    now = utcnow()
    async with core.db.write() as session:
        result = await session.execute(
            delete(ConsoleSession).where(
                (ConsoleSession.expires_at <= now) | (ConsoleSession.last_seen_at <= now - idle)
            )
        )
    return int(getattr(result, "rowcount", 0) or 0)


# ---- API tokens -------------------------------------------------------------------------


async def token_identity(core: Core, token: str) -> Identity | None:
    """The officer behind a bearer token, or None when unknown, revoked or disabled."""
    if not token.startswith("tb_") or len(token) > 200:
        return None
    now = utcnow()
    async with core.db.read() as session:
        row = (
            await session.execute(
                select(ApiToken, Officer, Unit)
                .join(Officer, Officer.id == ApiToken.officer_id)
                .join(Unit, Unit.id == Officer.unit_id)
                .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None))
            )
        ).one_or_none()
    if row is None:
        return None
    api_token, officer, unit = row.tuple()
    if not officer.active:
        return None
    if api_token.last_used_at is None or now - api_token.last_used_at >= TOUCH_EVERY:
        async with core.db.write() as session:
            await session.execute(
                update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=now)
            )
    return _identity(officer, unit)
