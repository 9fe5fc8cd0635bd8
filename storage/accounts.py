"""Officer accounts as administrators manage them from the console, within their jurisdiction."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from storage import audit, officers, totp
from storage.auth import Identity
from storage.core import Core
from storage.models import ConsoleSession, Officer, Unit
from storage.triage.rules import NotFound


@dataclass(frozen=True)
class Account:
    """An officer as the users page and the API list them (never a hash or a secret)."""

    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    unit_id: int
    unit_code: str
    unit_name: str
    active: bool
    totp_enabled: bool
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None
    password_change_due: bool = False


def _account(officer: Officer, unit: Unit) -> Account:
    return Account(
        id=officer.id,
        username=officer.username,
        display_name=officer.display_name,
        roles=tuple(sorted(officer.role_set)),
        unit_id=unit.id,
        unit_code=unit.code,
        unit_name=unit.name,
        active=officer.active,
        totp_enabled=officer.totp_enabled,
        locked_until=officer.locked_until,
        last_login_at=officer.last_login_at,
        password_change_due=officer.password_change_due,
    )


async def list_accounts(core: Core, identity: Identity) -> list[Account]:
    """Officers of the administrator's unit and the units below it, by username."""
    async with core.db.read() as session:
        rows = await session.execute(
            select(Officer, Unit)
            .join(Unit, Unit.id == Officer.unit_id)
            .where(Unit.path.startswith(identity.unit_path, autoescape=True))
            .order_by(Officer.username)
        )
        return [_account(o, u) for o, u in rows.all()]


async def get_account(core: Core, identity: Identity, officer_id: int) -> Account:
    """One officer of the jurisdiction, else NotFound."""
    async with core.db.read() as session:
        row = (
            await session.execute(
                select(Officer, Unit)
                .join(Unit, Unit.id == Officer.unit_id)
                .where(
                    Officer.id == officer_id,
                    Unit.path.startswith(identity.unit_path, autoescape=True),
                )
            )
        ).one_or_none()
    if row is None:
        raise NotFound(f"officer {officer_id}")
    return _account(row[0], row[1])


async def create_account(
    core: Core,
    identity: Identity,
    *,
    username: str,
    password: str,
    roles: Iterable[str],
    unit_id: int,
    display_name: str = "",
) -> Account:
    """A new officer in a unit of the administrator's jurisdiction."""
    async with core.db.read() as session:
        unit = await session.get(Unit, unit_id)
    if unit is None or not unit.path.startswith(identity.unit_path):
        raise NotFound(f"unit {unit_id}")
    officer = await officers.add_officer(
        core.db,
        username=username,
        password=password,
        roles=roles,
        unit_code=unit.code,
        display_name=display_name,
        actor=identity.actor,
        actor_officer_id=identity.officer_id,
        change_due=True,
    )
    return await get_account(core, identity, officer.id)


async def disable_account(core: Core, identity: Identity, officer_id: int) -> None:
    """Disable an officer of the jurisdiction (not oneself): sessions and tokens stop."""
    account = await get_account(core, identity, officer_id)
    if account.id == identity.officer_id:
        raise officers.OfficerError("you cannot disable your own account")
    await officers.disable_officer(
        core.db, account.username, actor=identity.actor, actor_officer_id=identity.officer_id
    )


async def reset_second_factor(core: Core, identity: Identity, officer_id: int) -> None:
    """Forget an officer's TOTP secret (lost phone); they enrol again at the next sign-in."""
    account = await get_account(core, identity, officer_id)
    await totp.reset(core, account.id, actor_id=identity.officer_id)


async def reset_password(core: Core, identity: Identity, officer_id: int) -> str:
    """A one-time password for an officer who forgot theirs (shown once, to give in person).

    Their sessions end, a lockout is lifted, and the console asks them for a password of
    their own at the next sign-in.
    """
    account = await get_account(core, identity, officer_id)
    if account.id == identity.officer_id:
        raise officers.OfficerError("change your own password on the account page")
    if not account.active:
        raise officers.OfficerError("the account is disabled")
    temporary = secrets.token_urlsafe(12)
    password_hash = await officers.hash_password(temporary)
    async with core.db.write() as session:
        await session.execute(
            update(Officer)
            .where(Officer.id == account.id)
            .values(
                password_hash=password_hash,
                password_change_due=True,
                failed_logins=0,
                locked_until=None,
            )
        )
        await session.execute(delete(ConsoleSession).where(ConsoleSession.officer_id == account.id))
        await audit.record(
            session,
            "auth.password_reset",
            actor=identity.actor,
            officer_id=identity.officer_id,
            subject_type="officer",
            subject_id=str(account.id),
        )
    return temporary


async def unlock_account(core: Core, identity: Identity, officer_id: int) -> None:
    """End a lockout early (the officer proved who they are another way)."""
    account = await get_account(core, identity, officer_id)
    async with core.db.write() as session:
        await session.execute(
            update(Officer)
            .where(Officer.id == account.id)
            .values(failed_logins=0, locked_until=None)
        )
        await audit.record(
            session,
            "auth.unlock",
            actor=identity.actor,
            officer_id=identity.officer_id,
            subject_type="officer",
            subject_id=str(account.id),
        )


async def issue_token(core: Core, identity: Identity, officer_id: int, label: str) -> str:
    """A new API token for an officer of the jurisdiction; shown once."""
    account = await get_account(core, identity, officer_id)
    return await officers.issue_token(
        core.db, account.username, label=label[:100], actor=identity.actor
    )
