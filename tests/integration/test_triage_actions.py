"""Working a tip: opening (audited), the state machine, notes, replies, duplicates, routing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage import outbox, triage
from storage.auth import Identity
from storage.core import Core
from storage.models import AuditEvent, OutboxMessage, Tip, TipMessage
from storage.tips import add_follow_up, unlock_with_receipt
from tests.support.console import (
    add_officer,
    add_tip,
    backdate_tip,
    console_client,
    csrf_of,
    sign_in,
)
from tests.support.officers import unit_id


async def _identity(core: Core, username: str) -> Identity:
    from storage.officers import issue_token
    from storage.sessions import token_identity

    identity = await token_identity(core, await issue_token(core.db, username))
    assert identity is not None
    return identity


async def _tip(core: Core, ref: str) -> Tip:
    async with core.db.read() as session:
        tip = await session.scalar(select(Tip).where(Tip.ref == ref))
        assert tip is not None
        return tip


async def test_opening_a_tip_is_audited_and_stops_the_24_hour_clock(core: Core) -> None:
    submitted = await add_tip(core, await unit_id(core, "LS-THANH-LONG"), "Buôn bán ma túy")
    old = await add_tip(core, await unit_id(core, "LS-THANH-LONG"), "Tin cũ")
    await backdate_tip(core, old.ref, hours=25)
    lan = await add_officer(core, "lan", "LS-THANH-LONG", "triage")
    async with console_client(core) as client:
        await sign_in(client, lan)
        queue = await (await client.get("/tips")).text()
        # Both unopened (highlighted); the old one is flagged by the hand-over rule.
        assert queue.count('class="is-new"') == 2
        assert queue.count("badge-overdue") == 1
        assert "Quá 24 giờ chưa mở <b>1</b>" in queue
        page = await client.get(f"/tips/{submitted.ref}")
        assert "Buôn bán ma túy" in await page.text()
        queue = await (await client.get("/tips")).text()
        assert queue.count('class="is-new"') == 1
    assert (await _tip(core, submitted.ref)).first_opened_at is not None
    async with core.db.read() as session:
        reads = (
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "tip.read", AuditEvent.subject_id == submitted.ref
                )
            )
        ).all()
    assert len(reads) == 1 and reads[0].officer_id is not None
    assert "ma túy" not in reads[0].details


async def test_the_state_machine_from_new_to_closed_and_reopened(core: Core) -> None:
    tip = await add_tip(core, await unit_id(core, "LS-THANH-LONG"))
    await add_officer(core, "lan", "LS-THANH-LONG", "triage")
    lan = await _identity(core, "lan")
    await triage.change_status(core, lan, tip.ref, "triaged")
    await triage.assign_officer(core, lan, tip.ref, lan.officer_id)
    assert (await _tip(core, tip.ref)).status == "assigned"
    await triage.change_status(core, lan, tip.ref, "investigating")
    for bad in (("triaged", None), ("closed", None), ("closed", "nonsense"), ("new", None)):
        try:
            await triage.change_status(core, lan, tip.ref, bad[0], outcome=bad[1])
        except triage.TriageError:
            continue
        raise AssertionError(f"{bad} was accepted")
    await triage.change_status(core, lan, tip.ref, "closed", outcome="actioned")
    closed = await _tip(core, tip.ref)
    assert closed.status == "closed" and closed.outcome == "actioned"
    assert closed.closed_at is not None and closed.purge_after is not None
    assert closed.purge_after - closed.closed_at == dt.timedelta(days=365)
    await triage.change_status(core, lan, tip.ref, "triaged")
    reopened = await _tip(core, tip.ref)
    assert reopened.status == "triaged" and reopened.outcome is None
    assert reopened.purge_after is None
    timeline = [e.action for e in await _timeline(core, tip.ref)]
    assert timeline == [
        "tip.submit",
        "tip.status",
        "tip.assign",
        "tip.status",
        "tip.close",
        "tip.reopen",
    ]


async def _timeline(core: Core, ref: str) -> list[triage.TimelineEvent]:
    async with core.db.read() as session:
        return await triage.timeline(session, ref)


async def test_closing_from_the_page_needs_an_outcome_and_shows_it(core: Core) -> None:
    tip = await add_tip(core, await unit_id(core, "LS-THANH-LONG"))
    lan = await add_officer(core, "lan", "LS-THANH-LONG", "triage")
    async with console_client(core) as client:
        await sign_in(client, lan)
        page = await (await client.get(f"/tips/{tip.ref}")).text()
        refused = await client.post(
            f"/tips/{tip.ref}/status", data={"status": "closed", "csrf_token": csrf_of(page)}
        )
        assert "Hãy chọn kết quả" in await refused.text()
        done = await client.post(
            f"/tips/{tip.ref}/status",
            data={"status": "closed", "outcome": "unfounded", "csrf_token": csrf_of(page)},
        )
        html = await done.text()
        assert "Đã cập nhật trạng thái" in html
        assert "Đã kết thúc · Không có cơ sở" in html
        assert "Mở lại tin" in html


async def test_notes_are_sealed_and_replies_reach_the_tipster(core: Core) -> None:
    tip = await add_tip(core, await unit_id(core, "LS-THANH-LONG"), route_chat_id=777)
    lan = await add_officer(core, "lan", "LS-THANH-LONG", "triage")
    access = await unlock_with_receipt(core, tip.receipt)
    assert access is not None
    await add_follow_up(core, access, "Thêm: xe máy biển 12A")
    async with console_client(core) as client:
        await sign_in(client, lan)
        page = await (await client.get(f"/tips/{tip.ref}")).text()
        assert "Thêm: xe máy biển 12A" in page
        assert "tin nhắn sẽ được gửi vào cuộc trò chuyện Telegram" in page
        await client.post(
            f"/tips/{tip.ref}/note",
            data={"text": "Nghi vấn đối tượng Tuấn", "csrf_token": csrf_of(page)},
        )
        response = await client.post(
            f"/tips/{tip.ref}/reply",
            data={"text": "Cảm ơn, công an xã đã tiếp nhận", "csrf_token": csrf_of(page)},
        )
        html = await response.text()
        assert "Đã gửi trả lời" in html
        assert "Nghi vấn đối tượng Tuấn" in html and "công an xã đã tiếp nhận" in html
    async with core.db.read() as session:
        messages = (await session.scalars(select(TipMessage).order_by(TipMessage.created_at))).all()
        queued = (await session.scalars(select(OutboxMessage))).all()
    assert [m.direction for m in messages] == ["tipster", "note", "officer"]
    assert all(b"Tu\xe1\xba\xa5n" not in m.sealed for m in messages)
    assert [q.kind for q in queued] == ["tip_reply"]
    claimed = await outbox.claim_due(core, core.vault.require_relay())
    assert claimed[0].payload.params["text"] == "Cảm ơn, công an xã đã tiếp nhận"
    assert claimed[0].payload.route_tip_id == str(tip.tip_id)
    # The tipster reads the reply with the receipt; the note stays internal.
    from storage.tips import tipster_view

    view = await tipster_view(core, access)
    assert view is not None
    assert [e.text for e in view.thread if e.direction == "officer"] == [
        "Cảm ơn, công an xã đã tiếp nhận"
    ]
    assert all(e.direction != "note" for e in view.thread)


async def test_marking_a_duplicate_closes_it_and_links_both(core: Core) -> None:
    first = await add_tip(core, await unit_id(core, "LS-THANH-LONG"))
    second = await add_tip(core, await unit_id(core, "LS-THANH-LONG"))
    await add_officer(core, "lan", "LS-THANH-LONG", "triage")
    lan = await _identity(core, "lan")
    try:
        await triage.mark_duplicate(core, lan, second.ref, second.ref)
        raise AssertionError("a tip duplicated itself")
    except triage.TriageError:
        pass
    await triage.mark_duplicate(core, lan, second.ref, first.ref.lower())
    detail = await triage.open_tip(core, lan, second.ref)
    assert detail.status == "closed" and detail.outcome == "duplicate"
    assert detail.duplicate_of == first.ref
    assert (await triage.open_tip(core, lan, first.ref)).duplicates == [second.ref]


async def test_routing_to_a_commune_moves_it_out_of_a_sibling_communes_reach(core: Core) -> None:
    tip = await add_tip(core, None, "Không rõ xã")  # lands at the province
    await add_officer(core, "hoa", "LS", "triage")
    await add_officer(core, "lan", "LS-THANH-LONG", "triage")
    hoa, lan = await _identity(core, "hoa"), await _identity(core, "lan")
    try:
        await triage.open_tip(core, lan, tip.ref)
        raise AssertionError("the commune saw a province tip")
    except triage.NotFound:
        pass
    await triage.route_to_unit(core, hoa, tip.ref, await unit_id(core, "LS-THANH-LONG"))
    detail = await triage.open_tip(core, lan, tip.ref)
    assert [u.code for u in detail.unit_chain] == ["LS", "LS-THANH-LONG"]
    officers = await triage.assignable_officers(core, hoa, detail.unit.path)
    assert {o.username for o in officers} == {"hoa", "lan"}


async def test_queue_filters_sort_and_paging_with_counts(core: Core) -> None:
    thanh_long, bao_lam = await unit_id(core, "LS-THANH-LONG"), await unit_id(core, "LS-BAO-LAM")
    refs = []
    for i in range(7):
        category = "fraud" if i % 2 else "drugs"
        tip = await add_tip(core, thanh_long if i < 5 else bao_lam, f"tin {i}", category=category)
        refs.append(tip.ref)
    await add_officer(core, "hoa", "LS", "triage")
    hoa = await _identity(core, "hoa")
    await triage.set_priority(core, hoa, refs[2], "urgent")
    await triage.change_status(core, hoa, refs[3], "closed", outcome="spam")

    async def page(**kwargs: object) -> triage.QueuePage:
        return await triage.list_queue(core, hoa, triage.QueueFilter(**kwargs))  # type: ignore[arg-type]

    everything = await page(status="all")
    assert everything.total == 7
    assert everything.counts["open"] == 6 and everything.counts["closed"] == 1
    assert [r.ref for r in everything.rows] == list(reversed(refs))
    assert (await page(sort="oldest")).rows[0].ref == refs[0]
    assert (await page(sort="priority")).rows[0].ref == refs[2]
    assert {r.ref for r in (await page(category="fraud")).rows} == {refs[1], refs[5]}
    assert (await page(unit_id=bao_lam)).total == 2
    assert (await page(priority="urgent")).total == 1
    assert (await page(age="1d")).total == 6
    first, second = await page(limit=4), await page(limit=4, offset=4)
    assert len(first.rows) == 4 and len(second.rows) == 2 and first.total == 6
    assert not {r.ref for r in first.rows} & {r.ref for r in second.rows}
    lan_unit = await triage.list_queue(
        core, hoa, triage.QueueFilter(unit_id=await unit_id(core, "YB-SON-THINH"))
    )
    assert lan_unit.total == 0  # another province's unit filters to nothing
