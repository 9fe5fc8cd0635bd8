"""Tips as stored: sealed, findable only with the receipt, replies readable only by it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from storage import audit, officers, outbox, tip_replies, tips
from storage.contexts import tip_context
from storage.core import Core
from storage.crypto import SealError, format_receipt, normalize_receipt
from storage.models import AuditEvent, OutboxMessage, Tip, TipMessage
from tests.support.officers import unit_id

SECRET_TEXT = "Ông Nguyễn Văn X bán ma tuý ở thôn Nà Tàn, tối thứ Bảy"
CHAT_ID = 5550001234


@pytest.fixture
async def officer(core: Core) -> int:
    """A triage officer of the province."""
    created = await officers.add_officer(
        core.db, username="hoa", password="mật khẩu đủ dài 42", roles=["triage"], unit_code="LS"
    )
    return created.id


async def _submit(
    core: Core, *, route: bool = False, unit: str | None = "LS-THANH-LONG"
) -> tips.Submitted:
    place = await unit_id(core, unit) if unit else None
    return await tips.submit_tip(
        core,
        category="drugs",
        content=tips.TipContent(text=SECRET_TEXT, place_unit_id=place, language="vi"),
        attachments=[tips.NewAttachment("photo", "image/jpeg", "a.jpg", b"\xff\xd8stripped")],
        reply_route=tips.ReplyRoute(chat_id=CHAT_ID, language="vi") if route else None,
    )


async def test_submit_seals_routes_and_numbers(core: Core) -> None:
    first = await _submit(core)
    second = await _submit(core, unit=None)
    year = first.ref.split("-")[1]
    assert first.ref == f"TB-{year}-000001" and second.ref == f"TB-{year}-000002"
    assert normalize_receipt(first.receipt) is not None and len(first.receipt) == 24
    assert first.unit_id == await unit_id(core, "LS-THANH-LONG")
    assert second.unit_id == await unit_id(core, "LS")  # no commune: the province
    async with core.db.read() as session:
        tip = await session.get(Tip, first.tip_id)
    assert tip is not None and tip.status == "new" and tip.attachment_count == 1
    assert SECRET_TEXT.encode() not in tip.sealed
    content = tips.TipContent.from_bytes(
        core.vault.require_console().open(tip.key_id, tip.sealed, tip_context(tip.id))
    )
    assert content.text == SECRET_TEXT
    assert tip.reply_route_sealed is None


async def test_sealed_content_bound_to_its_row(core: Core) -> None:
    a, b = await _submit(core), await _submit(core)
    async with core.db.read() as session:
        tip_a = await session.get(Tip, a.tip_id)
    assert tip_a is not None
    with pytest.raises(SealError):
        core.vault.require_console().open(tip_a.key_id, tip_a.sealed, tip_context(b.tip_id))


async def test_receipt_opens_status_and_officer_replies(core: Core, officer: int) -> None:
    submitted = await _submit(core)
    await tip_replies.reply_to_tipster(
        core, submitted.tip_id, officer_id=officer, text="Cảm ơn, đã xác minh."
    )
    typed = submitted.receipt.lower().replace("-", " ")
    access = await tips.unlock_with_receipt(core, typed)
    assert access is not None and access.tip_id == submitted.tip_id
    view = await tips.tipster_view(core, access)
    assert view is not None and view.ref == submitted.ref and view.status == "new"
    assert [(e.direction, e.text) for e in view.thread] == [("officer", "Cảm ơn, đã xác minh.")]


async def test_wrong_and_malformed_receipts_find_nothing(core: Core) -> None:
    submitted = await _submit(core)
    canonical = normalize_receipt(submitted.receipt)
    assert canonical is not None
    one_off = canonical[:-1] + ("0" if canonical[-1] != "0" else "1")
    assert await tips.unlock_with_receipt(core, format_receipt(one_off)) is None
    assert await tips.unlock_with_receipt(core, "TB-2026-000001") is None
    assert await tips.unlock_with_receipt(core, "") is None


async def test_follow_up_is_sealed_to_the_console_not_shown_back(core: Core) -> None:
    submitted = await _submit(core)
    access = await tips.unlock_with_receipt(core, submitted.receipt)
    assert access is not None
    await tips.add_follow_up(core, access, "Thêm: xe máy biển số 12A-345.67")
    view = await tips.tipster_view(core, access)
    assert view is not None
    assert [(e.direction, e.text) for e in view.thread] == [("tipster", None)]
    async with core.db.read() as session:
        message = (await session.scalars(select(TipMessage))).one()
    assert b"12A" not in message.sealed and message.tipster_sealed is None


async def test_reply_with_route_queues_for_the_chat_without_a_chat_id(
    core: Core, officer: int
) -> None:
    submitted = await _submit(core, route=True)
    await tip_replies.reply_to_tipster(core, submitted.tip_id, officer_id=officer, text="Đã nhận.")
    async with core.db.read() as session:
        queued = (await session.scalars(select(OutboxMessage))).one()
        tip = await session.get(Tip, submitted.tip_id)
    assert tip is not None and tip.reply_route_sealed is not None
    assert str(CHAT_ID).encode() not in tip.reply_route_sealed
    (claimed,) = await outbox.claim_due(core, core.vault.require_relay())
    assert claimed.payload.chat_id is None
    assert claimed.payload.route_tip_id == str(submitted.tip_id)
    assert claimed.payload.message == "tip.reply_pushed"
    assert queued.kind == "tip_reply"
    route = await tip_replies.resolve_route(core, submitted.tip_id)
    assert route == tips.ReplyRoute(chat_id=CHAT_ID, language="vi")


async def test_reply_without_route_queues_nothing(core: Core, officer: int) -> None:
    submitted = await _submit(core)
    await tip_replies.reply_to_tipster(core, submitted.tip_id, officer_id=officer, text="Đã nhận.")
    async with core.db.read() as session:
        assert (await session.scalars(select(OutboxMessage))).all() == []
    assert await tip_replies.resolve_route(core, submitted.tip_id) is None


async def test_audit_records_the_submission_without_content(core: Core) -> None:
    submitted = await _submit(core)
    async with core.db.read() as session:
        events = (await session.scalars(select(AuditEvent))).all()
        report = await audit.verify_chain(session)
    assert report.intact
    (event,) = [e for e in events if e.action == "tip.submit"]
    assert event.subject_id == submitted.ref
    assert "ma tuý" not in event.details and "Nguyễn" not in event.details


@pytest.mark.parametrize(
    ("category", "text", "message"),
    [
        ("poetry", "x", "unknown category"),
        ("drugs", "", "needs a description or a file"),
        ("drugs", "x" * 4097, "longer than 4096"),
    ],
)
async def test_invalid_submissions_are_refused(
    core: Core, category: str, text: str, message: str
) -> None:
    with pytest.raises(tips.TipError, match=message):
        await tips.submit_tip(core, category=category, content=tips.TipContent(text=text))
    async with core.db.read() as session:
        assert (await session.scalars(select(Tip))).all() == []


async def test_reply_to_an_unknown_tip(core: Core) -> None:
    with pytest.raises(tips.TipError, match="no such tip"):
        await tip_replies.reply_to_tipster(core, uuid.uuid4(), officer_id=1, text="x")
