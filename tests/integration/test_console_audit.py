"""The audit page lists events and reports a changed or deleted row."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from storage import audit_log, auth
from storage.auth import Identity
from storage.core import Core
from storage.models import AuditEvent
from tests.support.console import add_officer, add_tip, console_client, csrf_of, sign_in
from tests.support.officers import officer_identity, unit_id


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


async def test_a_recent_check_stands_until_an_administrator_checks_again(core: Core) -> None:
    hoa = await add_officer(core, "hoa", "LS", "admin", "triage")
    await add_tip(core, None)
    seq = await _seq_of(core, "tip.submit")
    async with console_client(core) as client:
        await sign_in(client, hoa)
        first = await (await client.get("/audit")).text()
        assert "Chuỗi nhật ký nguyên vẹn" in first and "Kiểm tra lần cuối" in first
        async with core.db.write() as session:
            await session.execute(
                update(AuditEvent).where(AuditEvent.seq == seq).values(actor="officer:999")
            )
        # Within five minutes the page shows the last check, and says when it ran.
        cached = await (await client.get("/audit")).text()
        assert "Chuỗi nhật ký nguyên vẹn" in cached
        checked = await client.post("/audit/check", data={"csrf_token": csrf_of(cached)})
        page = await checked.text()
        assert "có sự kiện bị sửa, xóa hoặc chèn" in page
        assert f"Sự kiện số {seq}: was changed after it was written" in page
        forged = await client.post("/audit/check", data={"csrf_token": "forged"})
        assert forged.status == 403


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


async def _seen(core: Core, identity: Identity) -> set[tuple[str, str]]:
    events, total = await audit_log.list_events(core, identity, offset=0, limit=500)
    assert total == len(events)
    return {(e.action, e.subject_id) for e in events}


async def test_administrators_see_the_events_of_their_own_jurisdiction(core: Core) -> None:
    thanh_long = await add_tip(core, await unit_id(core, "LS-THANH-LONG"))
    bao_lam = await add_tip(core, await unit_id(core, "LS-BAO-LAM"))
    son_thinh = await add_tip(core, await unit_id(core, "YB-SON-THINH"))
    commune = await officer_identity(core, "lan", "LS-THANH-LONG", "admin")
    province = await officer_identity(core, "hoa", "LS", "admin")
    other_province = await officer_identity(core, "minh", "YB", "admin")
    await auth.check_password(core, "nobody", "a guessed password")  # about no unit

    seen = await _seen(core, commune)
    assert ("tip.submit", thanh_long.ref) in seen
    assert ("officer.create", str(commune.officer_id)) in seen
    assert not {("tip.submit", bao_lam.ref), ("tip.submit", son_thinh.ref)} & seen
    assert ("officer.create", str(province.officer_id)) not in seen
    assert ("auth.login_failed", "") not in seen

    seen = await _seen(core, province)
    assert {("tip.submit", thanh_long.ref), ("tip.submit", bao_lam.ref)} <= seen
    assert ("officer.create", str(commune.officer_id)) in seen
    assert ("tip.submit", son_thinh.ref) not in seen
    assert ("officer.create", str(other_province.officer_id)) not in seen
    assert ("auth.login_failed", "") in seen  # a top-level administrator sees those

    seen = await _seen(core, other_province)
    assert ("tip.submit", son_thinh.ref) in seen
    assert not {("tip.submit", thanh_long.ref), ("tip.submit", bao_lam.ref)} & seen


async def test_an_officers_acts_elsewhere_stay_with_their_own_administrators(core: Core) -> None:
    tip = await add_tip(core, await unit_id(core, "LS-THANH-LONG"))
    lan = await add_officer(core, "lan", "LS-THANH-LONG", "triage")
    async with console_client(core) as client:
        await sign_in(client, lan)
        assert (await client.get(f"/tips/{tip.ref}")).status == 200
    bao_lam_admin = await officer_identity(core, "tuan", "LS-BAO-LAM", "admin")
    seen = await _seen(core, bao_lam_admin)
    assert not any(action.startswith(("tip.", "auth.")) for action, _ in seen)
    hoa = await add_officer(core, "hoa", "LS-THANH-LONG", "admin")
    async with console_client(core) as client:
        await sign_in(client, hoa)
        page = await (await client.get("/audit")).text()
    assert "tip.read" in page and tip.ref in page and "Chuỗi nhật ký nguyên vẹn" in page
