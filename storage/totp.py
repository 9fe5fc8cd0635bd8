"""Two-factor sign-in with TOTP (RFC 6238); the secret is sealed to the console key.

A code is accepted once: the time step it belongs to is remembered, and a code from
that step or an earlier one is refused (a replayed or shoulder-surfed code).
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

import pyotp
from sqlalchemy import select, update

from storage import audit
from storage.auth import login_succeeded, record_failure
from storage.contexts import totp_context
from storage.core import Core
from storage.crypto import seal
from storage.models import Officer, utcnow

ISSUER = "tinbao"
STEP_SECONDS = 30
# One step either side tolerates a phone clock that is a little off.
WINDOW = 1


@dataclass(frozen=True)
class Enrolment:
    """What the officer needs to add the account to an authenticator app."""

    secret: str
    uri: str


def _uri(secret: str, username: str) -> str:
    return str(pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER))


def matching_step(secret: str, code: str, now: float, after: int | None) -> int | None:
    """The time step whose code equals `code`, within the window and newer than `after`."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now) // STEP_SECONDS
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code) and (
            after is None or step > after
        ):
            found = step
    return found


def _open_secret(core: Core, officer: Officer) -> str | None:
    if officer.totp_sealed is None or officer.totp_key_id is None:
        return None
    ring = core.vault.require_console()
    return ring.open(officer.totp_key_id, officer.totp_sealed, totp_context(officer.id)).decode()


async def enrolment(core: Core, officer_id: int) -> Enrolment | None:
    """The pending secret of an officer who has not finished enrolling; made on first ask.

    None when the officer already uses TOTP (a new secret needs an admin's reset).
    """
    async with core.db.write() as session:
        officer = await session.get(Officer, officer_id)
        if officer is None or officer.totp_enabled:
            return None
        secret = _open_secret(core, officer)
        if secret is None:
            secret = pyotp.random_base32(32)
            public = core.vault.console_public
            officer.totp_key_id = public.key_id
            officer.totp_sealed = seal(public, secret.encode(), totp_context(officer.id))
            officer.totp_last_step = None
        return Enrolment(secret=secret, uri=_uri(secret, officer.username))


async def confirm_enrolment(core: Core, officer_id: int, code: str) -> bool:
    """Turn TOTP on once the officer typed a code from the new secret; counts as a login."""
    now = utcnow()
    async with core.db.write() as session:
        officer = await session.get(Officer, officer_id)
        if officer is None or officer.totp_enabled:
            return False
        secret = _open_secret(core, officer)
        step = matching_step(secret, code, time.time(), None) if secret else None
        if step is None:
            await record_failure(session, officer, "totp_enrol", now)
            return False
        officer.totp_enabled, officer.totp_last_step = True, step
        await audit.record(
            session,
            "auth.totp_enrolled",
            actor=f"officer:{officer.id}",
            officer_id=officer.id,
            subject_type="officer",
            subject_id=str(officer.id),
        )
        await login_succeeded(session, officer.id, "password+totp")
    return True


async def verify_code(core: Core, officer_id: int, code: str) -> bool:
    """Second step of signing in; a wrong or reused code counts towards the lockout."""
    now = utcnow()
    async with core.db.write() as session:
        officer = await session.get(Officer, officer_id)
        if officer is None or not officer.active or not officer.totp_enabled:
            return False
        if officer.locked_until is not None and officer.locked_until > now:
            return False
        secret = _open_secret(core, officer)
        step = matching_step(secret, code, time.time(), officer.totp_last_step) if secret else None
        if step is None:
            await record_failure(session, officer, "totp", now)
            return False
        # Conditional update: two requests racing with the same code cannot both win.
        claimed = await session.execute(
            update(Officer)
            .where(
                Officer.id == officer.id,
                (Officer.totp_last_step.is_(None)) | (Officer.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
        if not getattr(claimed, "rowcount", 0):
            return False
        await login_succeeded(session, officer.id, "password+totp")
    return True


async def reset(core: Core, officer_id: int, *, actor_id: int) -> None:
    """Forget an officer's TOTP secret; they enrol again at their next login (audited)."""
    async with core.db.write() as session:
        await session.execute(
            update(Officer)
            .where(Officer.id == officer_id)
            .values(totp_enabled=False, totp_sealed=None, totp_key_id=None, totp_last_step=None)
        )
        await audit.record(
            session,
            "auth.totp_reset",
            actor=f"officer:{actor_id}",
            officer_id=actor_id,
            subject_type="officer",
            subject_id=str(officer_id),
        )


async def is_locked(core: Core, officer_id: int) -> bool:
    """True while the officer's account is in a lockout pause."""
    async with core.db.read() as session:
        until = await session.scalar(select(Officer.locked_until).where(Officer.id == officer_id))
    return until is not None and until > utcnow()
