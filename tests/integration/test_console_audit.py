"""The audit page lists events and reports a changed or deleted row."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from storage.core import Core
from storage.models import AuditEvent
from tests.support.console import add_officer, add_tip, console_client, sign_in


async def _seq_of(core: Core, action: str) -> int:
    async with core.db.read() as session:
        seq = await session.scalar(
            select(AuditEvent.seq).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        )
        assert seq is not None
        return seq


async def test_the_audit_page_shows_events_and_an_intact_chain(core: Core) -> None:
    hoa = await add_officer(core, "hoa", "LS", "admin", "triage")
    tip = await add_tip(core, None)
    async with console_client(core) as client:
        await sign_in(client, hoa)
        await client.get(f"/tips/{tip.ref}")
        page = await (await client.get("/audit")).text()
        assert "Chuỗi nhật ký nguyên vẹn" in page
        for action in ("officer.create", "tip.submit", "auth.login", "tip.read"):
            assert action in page
        only_tip = await (await client.get(f"/audit?subject={tip.ref}")).text()
        assert "tip.read" in only_tip and "officer.create" not in only_tip


async def test_an_edited_audit_row_is_reported(core: Core) -> None:
    hoa = await add_officer(core, "hoa", "LS", "admin", "triage")
    tip = await add_tip(core, None)
    seq = await _seq_of(core, "tip.submit")
    # Someone with database access tries to hide which unit got the tip.
    async with core.db.write() as session:
        await session.execute(
            update(AuditEvent).where(AuditEvent.seq == seq).values(details='{"unit": "YB"}')
        )
    async with console_client(core) as client:
        await sign_in(client, hoa)
        page = await (await client.get("/audit")).text()
        assert "Chuỗi nhật ký bị phá vỡ" in page
        assert f"Sự kiện số {seq}: was changed after it was written" in page
    assert tip.ref


async def test_a_deleted_audit_row_is_reported(core: Core) -> None:
    hoa = await add_officer(core, "hoa", "LS", "admin", "triage")
    await add_tip(core, None)
    seq = await _seq_of(core, "tip.submit")
    async with core.db.write() as session:
        await session.execute(delete(AuditEvent).where(AuditEvent.seq == seq))
    async with console_client(core) as client:
        await sign_in(client, hoa)
        page = await (await client.get("/audit")).text()
        assert "Chuỗi nhật ký bị phá vỡ" in page
        assert "missing" in page


async def test_the_audit_page_is_for_administrators_only(core: Core) -> None:
    lan = await add_officer(core, "lan", "LS", "triage")
    async with console_client(core) as client:
        await sign_in(client, lan)
        assert (await client.get("/audit")).status == 403
