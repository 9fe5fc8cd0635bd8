"""Coming back with the receipt: status and replies for the right one, nothing for a wrong
one, guessing throttled; replies pushed into the chat only when the resident asked."""

from __future__ import annotations

import asyncio
import dataclasses

from sqlalchemy import func, select

from storage import officers, tip_replies, tips
from storage.core import Core
from storage.models import Attachment, OutboxMessage, Tip, TipMessage
from tests.support.botenv import BotEnv, running_bot
from tests.support.file_media import mp4_with_location
from tests.support.tip_flow import Draft, File, send_tip
from tests.support.tip_media import photo_with_gps

REPLY = "Cảm ơn bạn. Công an xã đã xác minh, đề nghị giữ bí mật <thông tin> này."


async def _officer(core: Core) -> int:
    created = await officers.add_officer(
        core.db, username="hoa", password="mật khẩu đủ dài 42", roles=["triage"], unit_code="LS"
    )
    return created.id


async def _tip_id(core: Core, ref: str) -> object:
    async with core.db.read() as session:
        tip = await session.scalar(select(Tip).where(Tip.ref == ref))
    assert tip is not None
    return tip.id


async def test_the_receipt_shows_status_and_officer_replies(bot_env: BotEnv) -> None:
    core = bot_env.core
    lan = bot_env.resident()
    sent = await send_tip(lan)
    tip_id = await _tip_id(core, sent.ref)
    await tip_replies.reply_to_tipster(core, tip_id, officer_id=await _officer(core), text=REPLY)  # type: ignore[arg-type]

    await lan.send("/status")
    await lan.expect("Nhập mã biên nhận")
    typed = await lan.send(sent.receipt.lower().replace("-", " "))
    await lan.expect_deleted(typed)  # the receipt leaves the chat at once
    view = await lan.expect(f"Tin báo {sent.ref}")
    assert "Trạng thái: Mới tiếp nhận" in view.text
    assert "Tin báo đã đến Công an" in view.text
    assert REPLY in view.text
    assert "&lt;thông tin&gt;" in view.html  # an officer's words are escaped too
    assert [b.text for b in view.buttons] == [
        "➕ Bổ sung thông tin",
        "📎 Gửi thêm tệp",
        "🔄 Làm mới",
        "✖️ Đóng",
    ]

    # More information and a file go into the same tip, sealed.
    await lan.press("➕ Bổ sung thông tin", view)
    await lan.expect("Nhập thông tin bổ sung")
    await lan.send("Bổ sung: đối tượng đi xe máy biển số 12A-345.67")
    await lan.expect("Đã bổ sung thông tin vào tin báo")
    view = await lan.expect("Bạn đã bổ sung thông tin")
    await lan.press("📎 Gửi thêm tệp", view)
    await lan.expect("Gửi ảnh, video")
    await lan.send_document(photo_with_gps(), "IMG_2.jpg", "image/jpeg")
    added = await lan.expect("Đã thêm 1 tệp")
    await lan.press("✅ Xong", added)
    view = await lan.expect(f"Tin báo {sent.ref}")
    async with core.db.read() as session:
        follow_ups = (
            await session.scalars(select(TipMessage).where(TipMessage.direction == "tipster"))
        ).all()
        attachment = await session.scalar(
            select(Attachment).where(Attachment.message_id.is_not(None))
        )
    assert len(follow_ups) == 2 and attachment is not None and attachment.original_sealed is None
    assert all(b"12A-345.67" not in m.sealed for m in follow_ups)

    # Close: the unlocked tip is forgotten and this visit's messages leave the chat.
    shown = set(lan.chat.messages)
    answer = await lan.press("✖️ Đóng", view)
    assert "xóa" in answer.text
    await lan.expect_deleted(view.message_id)
    await lan.expect("Chọn một mục")
    assert len(shown - set(lan.chat.messages)) >= 4


async def test_a_wrong_receipt_finds_nothing_and_says_nothing_more(bot_env: BotEnv) -> None:
    lan = bot_env.resident()
    sent = await send_tip(lan)
    await lan.send("/start")
    await lan.expect("Xin chào")
    await lan.press("🔎 Tin báo của tôi")
    await lan.expect("mã biên nhận")
    wrong = sent.receipt[:-1] + ("0" if sent.receipt[-1] != "0" else "1")
    answers = []
    for attempt in (wrong, sent.ref, "xin cho xem tin báo"):
        await lan.send(attempt)
        answers.append((await lan.expect("Không tìm thấy")).text)
    # The same words whether the reference exists, the receipt is near, or it is nonsense.
    assert len(set(answers)) == 1
    assert sent.ref not in answers[0]


async def test_guessing_receipts_is_throttled(bot_env: BotEnv) -> None:
    lan = bot_env.resident()
    sent = await send_tip(lan)
    await lan.send("/status")
    await lan.expect("mã biên nhận")
    allowed = bot_env.core.settings.limits.receipt_attempts_per_hour
    for number in range(allowed):
        await lan.send(f"AAAA-AAAA-AAAA-AAAA-{number:04d}")
        await lan.expect("Không tìm thấy")
    await lan.send(sent.receipt)  # even the right one, once over the limit
    throttled = await lan.expect("thử quá nhiều lần")
    assert "phút" in throttled.text
    # Another resident is not affected.
    mai = bot_env.resident("Mai")
    await mai.send("/status")
    await mai.expect("mã biên nhận")
    await mai.send(sent.receipt)
    await mai.expect(f"Tin báo {sent.ref}")


async def test_officer_reply_reaches_the_chat_only_with_a_reply_route(bot_env: BotEnv) -> None:
    core = bot_env.core
    officer = await _officer(core)
    lan = bot_env.resident()
    with_route = await send_tip(lan, Draft(reply_in_chat=True))
    assert "Trả lời của Công an sẽ được gửi vào cuộc trò chuyện này" in with_route.message.text
    tip_id = await _tip_id(core, with_route.ref)
    # The sealed route the bot stored leads to this chat, in the resident's language.
    assert await tip_replies.resolve_route(core, tip_id) == tips.ReplyRoute(lan.chat.id, "vi")  # type: ignore[arg-type]

    # A reply written through the use case is pushed into the chat. (A resident who has
    # just finished a tip has used up the chat's flood budget for a few seconds; a fresh
    # chat shows the delivery without that wait.)
    hoa = bot_env.resident("Hòa")
    await hoa.send("/start")
    await hoa.expect("Xin chào")
    fresh = await tips.submit_tip(
        core,
        category="fraud",
        content=tips.TipContent(text="Cuộc gọi giả danh Công an yêu cầu chuyển tiền."),
        reply_route=tips.ReplyRoute(hoa.chat.id, "vi"),
    )
    await tip_replies.reply_to_tipster(core, fresh.tip_id, officer_id=officer, text=REPLY)
    pushed = await hoa.expect("Công an đã trả lời tin báo", timeout=15)
    assert fresh.ref in pushed.text and REPLY in pushed.text
    assert "&lt;thông tin&gt;" in pushed.html

    mai = bot_env.resident("Mai")
    no_route = await send_tip(mai)
    assert "Không có liên kết nào" in no_route.message.text
    async with core.db.read() as session:
        tip = await session.scalar(select(Tip).where(Tip.ref == no_route.ref))
        queued_before = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert tip is not None and tip.reply_route_sealed is None and tip.reply_route_key_id is None
    await tip_replies.reply_to_tipster(core, tip.id, officer_id=officer, text=REPLY)
    async with core.db.read() as session:
        queued_after = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert queued_after == queued_before  # nothing that could reach a chat
    assert await tip_replies.resolve_route(core, tip.id) is None
    await asyncio.sleep(1.5)
    assert not [m for m in mai.messages if "Công an đã trả lời" in m.text]


async def test_a_receipt_pasted_anywhere_is_deleted_at_once(bot_env: BotEnv) -> None:
    lan = bot_env.resident()
    sent = await send_tip(lan)
    pasted = await lan.send(sent.receipt)
    await lan.expect_deleted(pasted)
    hint = await lan.expect("có vẻ là một mã biên nhận")
    assert "/status" in hint.text and sent.receipt not in hint.text
    # In the middle of a new tip, as its description, too.
    await lan.send("/tip")
    await lan.expect("Bước 1/6")
    await lan.press("tip:cat:other")
    await lan.expect("Bước 2/6")
    typed = await lan.send(sent.receipt.replace("-", " "))
    await lan.expect_deleted(typed)
    await lan.expect("có vẻ là một mã biên nhận")


async def test_additions_through_status_keep_to_the_file_cap_and_an_hourly_limit(
    core: Core,
) -> None:
    limits = dataclasses.replace(core.settings.limits, attachments_per_tip=2, follow_ups_per_hour=3)
    strict = dataclasses.replace(core, settings=dataclasses.replace(core.settings, limits=limits))
    async with running_bot(strict) as env:
        lan = env.resident()
        sent = await send_tip(lan, Draft(files=[File(photo_with_gps(), as_photo=True)]))
        await lan.send("/status")
        await lan.expect("Nhập mã biên nhận")
        await lan.send(sent.receipt)
        view = await lan.expect(f"Tin báo {sent.ref}")

        # A video cannot be cleaned: asked first, then added as it is.
        await lan.press("📎 Gửi thêm tệp", view)
        await lan.expect("Gửi ảnh, video")
        await lan.send_document(mp4_with_location(), "VID_1.mp4", "video/mp4")
        question = await lan.expect("Không xóa được thông tin ẩn")
        await lan.press("📤 Vẫn gửi nguyên trạng", question)
        added = await lan.expect("sẽ được gửi nguyên trạng")
        assert "Đã thêm 1 tệp" in added.text
        # The tip now carries two files: a third is refused, counting files sent before.
        await lan.send_document(photo_with_gps(), "IMG_3.jpg", "image/jpeg")
        full = await lan.expect("tin báo này đã đủ")
        assert "tối đa 2 tệp" in full.text
        await lan.press("✅ Xong", added)
        view = await lan.expect(f"Tin báo {sent.ref}")
        answer = await lan.press("📎 Gửi thêm tệp", view)
        assert answer.show_alert and "đã đủ" in answer.text

        # Two texts use up the hour's three additions (the video was one).
        for number in (1, 2):
            await lan.press("➕ Bổ sung thông tin", view)
            await lan.expect("Nhập thông tin bổ sung")
            await lan.send(f"Bổ sung lần {number}: đối tượng thường đến lúc 22 giờ.")
            await lan.expect("Đã bổ sung thông tin vào tin báo")
            view = await lan.expect("Bạn đã bổ sung thông tin")
        answer = await lan.press("➕ Bổ sung thông tin", view)
        assert answer.show_alert and "thử lại sau khoảng" in answer.text

    async with core.db.read() as session:
        files = (await session.scalars(select(Attachment))).all()
        follow_ups = await session.scalar(
            select(func.count()).select_from(TipMessage).where(TipMessage.direction == "tipster")
        )
    assert sorted((a.kind, a.sent_as_is) for a in files) == [("photo", False), ("video", True)]
    assert follow_ups == 3
