"""Browser sessions and API bearer tokens of the console, and who they belong to."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from storage import audit
from storage.auth import Identity
from storage.core import Core
from storage.models import ApiToken, ConsoleSession, Officer, Unit, utcnow
from storage.officers import token_digest

# Between the password and the second factor.
HALF_SESSION = dt.timedelta(minutes=10)
# Sessions and tokens record their last use at most this often (one write, not one per hit).
TOUCH_EVERY = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class SessionState:
    """A browser session looked up from its cookie."""

    identity: Identity
    csrf_token: str
    complete: bool
    created_at: dt.datetime
    # Someone else chose the current password: the console asks for a new one first.
    password_change_due: bool = False


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
    console_session, officer, unit = row
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
        password_change_due=officer.password_change_due,
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
    api_token, officer, unit = row
    if not officer.active:
        return None
    if api_token.last_used_at is None or now - api_token.last_used_at >= TOUCH_EVERY:
        async with core.db.write() as session:
            await session.execute(
                update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=now)
            )
    return _identity(officer, unit)
