"""Officer accounts: create, list, disable, and API tokens (`tinbao user ...`)."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import select, update

from storage import audit
from storage.db import Database
from storage.models import ROLES, ApiToken, ConsoleSession, Officer, Unit, utcnow

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD_LENGTH = 12
# argon2-cffi's RFC 9106 "low memory" profile: Argon2id, 64 MiB, 3 passes.
password_hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)


class OfficerError(ValueError):
    """A request about an officer that cannot be honoured; the message says why."""


@dataclass(frozen=True)
class OfficerSummary:
    """What `tinbao user list` and the admin page show."""

    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    unit_code: str
    active: bool
    totp_enabled: bool


def normalize_roles(roles: Iterable[str]) -> str:
    """Validate roles and store them in a fixed order."""
    chosen = {r.strip() for r in roles if r.strip()}
    unknown = chosen - set(ROLES)
    if unknown:
        raise OfficerError(f"unknown role {sorted(unknown)[0]!r}; roles are {', '.join(ROLES)}")
    if not chosen:
        raise OfficerError("an officer needs at least one role")
    return ",".join(r for r in ROLES if r in chosen)


def check_password_strength(password: str) -> None:
    """Refuse passwords that are too short to stand an offline guess."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OfficerError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


async def hash_password(password: str) -> str:
    """Argon2id hash, computed off the event loop."""
    return await asyncio.to_thread(password_hasher.hash, password)


async def add_officer(
    db: Database,
    *,
    username: str,
    password: str,
    roles: Iterable[str],
    unit_code: str,
    display_name: str = "",
    actor: str = "cli",
    actor_officer_id: int | None = None,
    change_due: bool = False,
) -> Officer:
    """Create an officer account (`change_due`: they must choose their own password first)."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise OfficerError("a username has 3–64 characters: a–z, 0–9, dot, dash, underscore")
    role_text = normalize_roles(roles)
    check_password_strength(password)
    password_hash = await hash_password(password)
    async with db.write() as session:
        unit = await session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise OfficerError(f"no unit with code {unit_code!r}")
        if await session.scalar(select(Officer.id).where(Officer.username == username)):
            raise OfficerError(f"the username {username!r} is taken")
        officer = Officer(
            username=username,
            display_name=display_name or username,
            password_hash=password_hash,
            roles=role_text,
            unit_id=unit.id,
            password_change_due=change_due,
        )
        session.add(officer)
        await session.flush()
        await audit.record(
            session,
            "officer.create",
            actor=actor,
            officer_id=actor_officer_id,
            subject_type="officer",
            subject_id=str(officer.id),
            details={"username": username, "roles": role_text, "unit": unit.code},
        )
    return officer


async def list_officers(db: Database) -> list[OfficerSummary]:
    """Every officer, active or not, by username."""
    async with db.read() as session:
        rows = await session.execute(
            select(Officer, Unit.code)
            .join(Unit, Unit.id == Officer.unit_id)
            .order_by(Officer.username)
        )
        return [
            OfficerSummary(
                id=o.id,
                username=o.username,
                display_name=o.display_name,
                roles=tuple(sorted(o.role_set, key=ROLES.index)),
                unit_code=code,
                active=o.active,
                totp_enabled=o.totp_enabled,
            )
            for o, code in rows.all()
        ]


async def disable_officer(
    db: Database, username: str, *, actor: str = "cli", actor_officer_id: int | None = None
) -> None:
    """Disable an account: its sessions and tokens stop working at once."""
    async with db.write() as session:
        officer = await session.scalar(select(Officer).where(Officer.username == username))
        if officer is None:
            raise OfficerError(f"no officer named {username!r}")
        officer.active = False
        now = utcnow()
        await session.execute(
            update(ApiToken)
            .where(ApiToken.officer_id == officer.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        await session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.officer_id == officer.id)
            .values(expires_at=now)
        )
        await audit.record(
            session,
            "officer.disable",
            actor=actor,
            officer_id=actor_officer_id,
            subject_type="officer",
            subject_id=str(officer.id),
        )


def token_digest(token: str) -> bytes:
    """What is stored of a bearer token: its SHA-256 (tokens are random, so no KDF is needed)."""
    return hashlib.sha256(token.encode()).digest()


async def issue_token(db: Database, username: str, *, label: str = "", actor: str = "cli") -> str:
    """Create an API bearer token for an officer; shown once, stored only as a digest."""
    token = "tb_" + secrets.token_urlsafe(32)
    async with db.write() as session:
        officer = await session.scalar(select(Officer).where(Officer.username == username))
        if officer is None:
            raise OfficerError(f"no officer named {username!r}")
        if not officer.active:
            raise OfficerError(f"the officer {username!r} is disabled")
        row = ApiToken(officer_id=officer.id, token_hash=token_digest(token), label=label)
        session.add(row)
        await session.flush()
        await audit.record(
            session,
            "token.issue",
            actor=actor,
            subject_type="officer",
            subject_id=str(officer.id),
            details={"token_id": row.id, "label": label},
        )
    return token


async def count_officers(db: Database) -> int:
    """How many officer accounts exist."""
    async with db.read() as session:
        return len((await session.scalars(select(Officer.id))).all())
