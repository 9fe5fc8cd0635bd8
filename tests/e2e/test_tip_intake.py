"""A resident sends a tip through the real bot: every step, its mistakes, and its exits."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from sandbox.testing import BotMessage, Resident
from storage import tip_limits
from storage.contexts import attachment_context, tip_context
from storage.core import Core
from storage.models import Attachment, Tip
from storage.tips import TipContent
from tests.support.botenv import BotEnv, running_bot
from tests.support.file_media import AUTHOR_ASCII, LOCATION, mp4_with_location, pdf_with_author
from tests.support.tip_flow import TEXT, Draft, File, button_data, fill, send_tip, sent_from
from tests.support.tip_media import photo_with_gps

PDF = pdf_with_author()


async def _tips(core: Core) -> int:
    async with core.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Tip)) or 0)


async def _content(core: Core) -> TipContent:
    async with core.db.read() as session:
        tip = (await session.scalars(select(Tip))).one()
    ring = core.vault.require_console()
    return TipContent.from_bytes(ring.open(tip.key_id, tip.sealed, tip_context(tip.id)))


async def _describe(resident: Resident, category: str, text: str) -> None:
    """/tip, a category and a description: on to step 3, the place."""
    await resident.send("/tip")
    await resident.expect("Bước 1/6")
    await resident.press(f"tip:cat:{category}")
    await resident.expect("Bước 2/6")
    await resident.send(text)
    await resident.expect("Bước 3/6")


async def fill_to_files(resident: Resident) -> None:
    """/tip up to the files step."""
    await _describe(
        resident, "weapons", "Nhà ông Tư còn cất giữ một khẩu súng kíp, muốn tự giác giao nộp."
    )
    await resident.press("tip:place:skip")
    await resident.expect("Bước 4/6")


async def _to_summary(resident: Resident) -> BotMessage:
    """From the files step, without files to add and without contact: the summary."""
    await resident.press("tip:files:done")
    await resident.expect("Bước 5/6")
    await resident.press("tip:contact:none")
    return await resident.expect("Bước 6/6")


async def _send(resident: Resident, summary: BotMessage) -> None:
    """Press Send on the summary and get the receipt."""
    await resident.press(button_data(summary, "tip:send:"), summary)
    await resident.expect("Mã biên nhận")


async def test_first_message_explains_anonymity_and_113(bot_env: BotEnv) -> None:
    lan = bot_env.resident()
    await lan.send("/start")
    await lan.expect("Xin chào")
    await lan.press("📝 Gửi tin báo")
    intro = await lan.expect("Bước 1/6")
    assert "ẩn danh" in intro.text and "113" in intro.text
    assert "không nhìn thấy tài khoản Telegram" in intro.text
    assert "Telegram vẫn biết số điện thoại" in intro.text
    labels = [b.text for b in intro.buttons]
    assert "💊 Ma tuý, trồng cây có chứa chất ma tuý" in labels
    assert "💍 Tảo hôn, hôn nhân cận huyết thống" in labels
    assert labels[-2:] == ["⬅️ Quay lại", "✖️ Hủy"]


async def test_english_resident_goes_through_in_english(bot_env: BotEnv) -> None:
    tom = bot_env.resident("Tom", "en")
    await tom.send("/tip")
    intro = await tom.expect("Step 1/6")
    assert "anonymous" in intro.text and "113" in intro.text
    await tom.press("💊 Drugs, growing drug plants")
    await tom.expect("Step 2/6")
    await tom.send("Someone sells drugs behind the market every Saturday night.")
    await tom.expect("Step 3/6")


async def test_a_tip_goes_to_the_chosen_commune_and_the_resident_gets_a_receipt(
    bot_env: BotEnv,
) -> None:
    lan = bot_env.resident()
    summary = await fill(
        lan, Draft(place="xã Thanh Long", files=[File(PDF, "a.pdf", "application/pdf")])
    )
    assert "Nơi xảy ra: xã Thanh Long, tỉnh Lạng Sơn" in summary.text
    assert "Gửi đến: Công an xã Thanh Long" in summary.text
    assert "Tệp đính kèm: PDF" in summary.text
    assert TEXT in summary.text
    answer = await lan.press(button_data(summary, "tip:send:"), summary)
    assert answer.text == "⏳ Đang mã hóa và gửi tin báo…"  # the sending state, at once
    sent = sent_from(await lan.expect("Mã biên nhận"))
    assert "chỉ hiện <b>một lần</b>" in sent.message.html
    assert f"<code>{sent.ref}</code>" in sent.message.html
    content = await _content(bot_env.core)
    assert content.text == TEXT and content.place_unit_id is not None
    async with bot_env.core.db.read() as session:
        attachment = (await session.scalars(select(Attachment))).one()
    assert (attachment.kind, attachment.mime_type) == ("document", "application/pdf")
    assert not attachment.sent_as_is
    ring = bot_env.core.vault.require_console()
    stored = ring.open(attachment.key_id, attachment.sealed, attachment_context(attachment.id))
    assert b"%PDF" in stored and AUTHOR_ASCII not in stored  # the author's name is gone


async def test_location_or_address_instead_of_a_commune(bot_env: BotEnv) -> None:
    lan = bot_env.resident()
    summary = await fill(lan, Draft(place="location"))
    assert "vị trí đã gửi" in summary.text and "Gửi đến: Công an tỉnh" in summary.text
    assert lan.reply_keyboard is None  # the location keyboard went away
    await _send(lan, summary)
    content = await _content(bot_env.core)
    assert (content.latitude, content.longitude) == (21.8534, 106.7650)

    mai = bot_env.resident("Mai")
    summary = await fill(mai, Draft(place="address:Thôn <b>Nà Tàn</b>, xã Thiện Hòa"))
    # What the resident typed comes back escaped, never as markup.
    assert "Thôn &lt;b&gt;Nà Tàn&lt;/b&gt;" in summary.html


async def test_description_too_short_and_a_5_mb_text_get_another_try(bot_env: BotEnv) -> None:
    lan = bot_env.resident()
    await lan.send("/tip")
    await lan.expect("Bước 1/6")
    await lan.press("tip:cat:fraud")
    await lan.expect("Bước 2/6")
    await lan.send("lừa")
    await lan.expect("Mô tả quá ngắn (3 ký tự)")
    await lan.send("x" * (5 * 1024 * 1024))
    too_long = await lan.expect("Mô tả quá dài")
    assert "5.242.880 ký tự, tối đa 4.096" in too_long.text
    await lan.send("Tôi nhận cuộc gọi giả danh Công an yêu cầu chuyển tiền vào tài khoản lạ.")
    await lan.expect("Bước 3/6")
    assert await _tips(bot_env.core) == 0


async def test_wrong_file_types_and_sizes_are_refused_clearly(bot_env: BotEnv) -> None:
    lan = bot_env.resident()
    await fill_to_files(lan)
    await lan.send_document(b"MZ\x90\x00" + b"\x00" * 100, "setup.exe", "application/x-msdownload")
    refused = await lan.expect("Không nhận loại tệp này")
    assert "ảnh" in refused.text and "PDF" in refused.text and ".exe" in refused.text
    await lan.send_document(b"PK\x03\x04" + b"\x00" * 100, "anh.zip", "application/zip")
    await lan.expect("Không nhận loại tệp này")
    await lan.send_document(b"a" * (5 * 1024 * 1024), "mo-ta.txt", "text/plain")
    await lan.expect("Không nhận loại tệp này")
    await lan.send_document(b"MZ\x90\x00" + b"\x00" * 100, "hop-dong.pdf", "application/pdf")
    await lan.expect("Không nhận loại tệp này")  # a program dressed as a PDF
    big = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (20 * 1024 * 1024)
    await lan.send_video(big, "video.mp4")
    await lan.expect("Tệp quá lớn")
    await lan.send_document(photo_with_gps(), "IMG_1.jpg", "image/jpeg")
    await lan.expect("Đã nhận 1/10 tệp: ảnh")
    await lan.send_voice(b"OggS\x00\x02" + b"\x00" * 200)
    await lan.expect("Đã nhận 2/10 tệp: ảnh, ghi âm")
    await lan.press("tip:files:done")
    await lan.expect("Giữ bản gốc")
    await lan.press("tip:orig:no")
    await lan.expect("Bước 5/6")
    await lan.press("tip:contact:none")
    await _send(lan, await lan.expect("Bước 6/6"))
    async with bot_env.core.db.read() as session:
        kinds = sorted(a.kind for a in (await session.scalars(select(Attachment))).all())
    assert kinds == ["photo", "voice"]


async def test_a_video_that_cannot_be_cleaned_goes_only_when_the_resident_says_so(
    bot_env: BotEnv,
) -> None:
    lan = bot_env.resident()
    await fill_to_files(lan)
    await lan.send_document(mp4_with_location(), "VID_20260412_nha_Lan.mp4", "video/mp4")
    question = await lan.expect("Không xóa được thông tin ẩn")
    assert "(video)" in question.text and "vị trí (GPS)" in question.text
    assert "loại điện thoại" in question.text and "Cán bộ mở tệp sẽ thấy" in question.text
    labels = [b.text for b in question.buttons]
    assert labels[:2] == ["📤 Vẫn gửi nguyên trạng", "🗑 Bỏ tệp này"]
    assert not any("Tiếp tục" in label for label in labels)  # no way around the question
    answer = await lan.press_forged("tip:files:done", question)
    assert answer.show_alert
    await lan.press("🗑 Bỏ tệp này", question)
    dropped = await lan.expect("Đã bỏ tệp video")
    assert dropped.button("➡️ Tiếp tục (không có tệp)") is not None

    await lan.send_document(mp4_with_location(), "VID_20260412_2.mp4", "video/mp4")
    again = await lan.expect(lambda m: "Không xóa được" in m.text and m is not dropped)
    await lan.press("📤 Vẫn gửi nguyên trạng", again)
    kept = await lan.expect("sẽ được gửi nguyên trạng")
    assert "Đã nhận 1/10 tệp: video" in kept.text
    summary = await _to_summary(lan)
    assert "1 tệp gửi nguyên trạng" in summary.text
    await _send(lan, summary)
    async with bot_env.core.db.read() as session:
        (video,) = (await session.scalars(select(Attachment))).all()
    assert (video.kind, video.mime_type, video.sent_as_is) == ("video", "video/mp4", True)
    ring = bot_env.core.vault.require_console()
    stored = ring.open(video.key_id, video.sealed, attachment_context(video.id))
    assert LOCATION in stored  # exactly what the resident chose to send
    assert b"nha_Lan" not in stored  # never its file name


async def test_a_double_press_on_send_makes_one_tip(bot_env: BotEnv) -> None:
    lan = bot_env.resident()
    summary = await fill(lan, Draft())
    data = button_data(summary, "tip:send:")
    stored = lan.chat.messages[summary.message_id]
    world = bot_env.sandbox.world
    # Two taps before the bot has answered the first.
    first = world.press_button(lan.user, stored, data)
    second = world.press_button(lan.user, stored, data)
    await lan.wait_for(lambda: first.answered and second.answered, what="both answers")
    await lan.expect("Mã biên nhận")
    assert second.answer is not None and second.answer.get("show_alert")
    assert "đã được gửi rồi" in str(second.answer.get("text"))
    assert await _tips(bot_env.core) == 1
    # Later, the same data forged again: still one tip, and a clear answer.
    answer = await lan.press_forged(data, summary)
    assert "đã được gửi rồi" in answer.text
    assert await _tips(bot_env.core) == 1


async def test_forged_buttons_change_nothing(bot_env: BotEnv) -> None:
    lan = bot_env.resident()
    await lan.send("/tip")
    intro = await lan.expect("Bước 1/6")
    answer = await lan.press_forged("tip:cat:poetry", intro)
    assert answer.show_alert and "bước trước" in answer.text
    await lan.press("tip:cat:drugs")
    await lan.expect("Bước 2/6")
    await lan.send(TEXT)
    await lan.expect("Bước 3/6")
    await lan.press("tip:place:units")
    picker = await lan.expect("Chọn tỉnh")
    answer = await lan.press_forged("tip:pick:999999", picker)
    assert answer.show_alert and "bước trước" in answer.text
    answer = await lan.press_forged("tip:unit:999999:0", picker)
    assert answer.show_alert
    await lan.press("tip:back", picker)
    await lan.expect("Bước 3/6")
    await lan.press("tip:place:skip")
    await lan.expect("Bước 4/6")
    summary = await _to_summary(lan)
    answer = await lan.press_forged("tip:send:0123456789ab", summary)
    assert answer.show_alert and "bước trước" in answer.text
    answer = await lan.press_forged("tip:send:' OR 1=1 --", summary)
    assert answer.show_alert
    assert await _tips(bot_env.core) == 0
    await _send(lan, summary)
    assert await _tips(bot_env.core) == 1


async def test_back_keeps_the_draft_and_cancel_keeps_nothing(bot_env: BotEnv) -> None:
    lan = bot_env.resident()
    await _describe(lan, "theft", "Trộm xe máy ở bãi gửi xe chợ Đông Kinh, khoảng 9 giờ sáng.")
    await lan.press("tip:back")
    back = await lan.expect("Mô tả hiện tại")
    assert "Trộm xe máy" in back.text
    await lan.press("tip:keep")
    await lan.expect("Bước 3/6")
    await lan.press("✖️ Hủy")
    cancelled = await lan.expect("Đã hủy")
    assert cancelled.button("📝 Gửi tin báo") is not None
    assert await _tips(bot_env.core) == 0
    await lan.send("Tin nhắn sau khi hủy")
    await lan.expect("Tôi chưa hiểu")  # no draft waits for it any more


async def test_start_and_other_commands_during_a_draft(bot_env: BotEnv) -> None:
    lan = bot_env.resident()
    await lan.send("/tip")
    intro = await lan.expect("Bước 1/6")
    await lan.send("/help")
    await lan.expect("Hướng dẫn sử dụng")  # help still works, the draft stays
    await lan.press("tip:cat:gambling", intro)
    await lan.expect("Bước 2/6")
    await lan.send("/forum")
    await lan.expect("đang làm dở")
    await lan.send("/start")
    await lan.expect("Xin chào")
    await lan.send("Đánh bạc ở quán nước đầu ngõ mỗi tối.")
    await lan.expect("Tôi chưa hiểu")
    answer = await lan.press_forged("tip:back", intro)
    assert "không còn nữa" in answer.text and "/tip" in answer.text


async def test_tip_in_a_group_asks_for_a_private_message(bot_env: BotEnv) -> None:
    lan, mai = bot_env.resident("Lan"), bot_env.resident("Mai")
    street = bot_env.group("Tổ dân phố 5", [lan, mai])
    await street.send("/tip", lan)
    await street.expect("nhắn riêng")
    assert lan.messages == [] and mai.messages == []  # nothing started in private


async def test_after_sending_the_conversation_can_be_wiped(bot_env: BotEnv) -> None:
    lan = bot_env.resident()
    sent = await send_tip(lan, Draft(place="xã Thanh Long"))
    assert "Telegram biết số điện thoại" in sent.message.text
    # /tip, the step message, the description, the later steps and the receipt.
    before = set(lan.chat.messages)
    assert len(before) == 4
    answer = await lan.press("🧹 Đã chép mã — xóa các tin nhắn này", sent.message)
    assert answer.text == "🧹 Đã xóa 4 tin nhắn."
    await lan.expect_deleted(sent.message.message_id)
    await lan.expect("Chọn một mục")
    assert before.isdisjoint(lan.chat.messages)


async def test_tip_limits_per_hour(core: Core) -> None:
    limits = dataclasses.replace(core.settings.limits, tips_per_hour=1)
    strict = dataclasses.replace(core, settings=dataclasses.replace(core.settings, limits=limits))
    async with running_bot(strict) as env:
        lan = env.resident()
        summary = await fill(lan, Draft())
        # Meanwhile the resident's allowance is used up (say, from another device).
        assert tip_limits.claim_submission(strict, lan.user.id) is None
        await lan.press(button_data(summary, "tip:send:"), summary)
        refused = await lan.expect("đã gửi đủ 1 tin báo trong giờ này")
        assert "113" in refused.text and "Bản nháp vẫn được giữ" in refused.text
        assert refused.button("✅ Gửi tin báo") is not None
        assert await _tips(core) == 0
        # A new tip is refused at once, before anything is written.
        await lan.send("/tip")
        early = await lan.expect("đã gửi đủ 1 tin báo trong giờ này")
        assert "phút" in early.text and not early.buttons
        # Someone else is not affected.
        mai = env.resident("Mai")
        await send_tip(mai)
        assert await _tips(core) == 1


@pytest.fixture
async def short_drafts(core: Core) -> AsyncIterator[BotEnv]:
    """The bot with drafts that expire after about a second."""
    limits = dataclasses.replace(core.settings.limits, draft_minutes=0.02)
    quick = dataclasses.replace(core, settings=dataclasses.replace(core.settings, limits=limits))
    async with running_bot(quick) as env:
        yield env


async def test_an_abandoned_draft_is_discarded_and_the_resident_told(
    short_drafts: BotEnv,
) -> None:
    lan = short_drafts.resident()
    await lan.send("/tip")
    intro = await lan.expect("Bước 1/6")
    await lan.press("tip:cat:drugs", intro)
    await lan.expect("Bước 2/6")
    expired = await lan.expect("Bản nháp tin báo đã bị hủy", timeout=10)
    assert "/tip" in expired.text
    await asyncio.sleep(0)
    await lan.send(TEXT)
    await lan.expect("Tôi chưa hiểu")


async def test_commune_picker_pages_and_goes_through_districts(bot_env: BotEnv) -> None:
    lan = bot_env.resident()
    summary = await fill(lan, Draft(place="xã Xuất Lễ"))  # on the second page of Lạng Sơn
    assert "Gửi đến: Công an xã Xuất Lễ" in summary.text

    mai = bot_env.resident("Mai")
    await _describe(
        mai, "child_marriage", "Gia đình ở bản bên định tổ chức tảo hôn cho con gái 15 tuổi."
    )
    await mai.press("tip:place:units")
    await mai.expect("Chọn tỉnh")
    await mai.press("tỉnh Yên Bái ›")
    await mai.expect("Chọn nơi xảy ra trong tỉnh Yên Bái")
    await mai.press("huyện Văn Chấn ›")
    district = await mai.expect("Chọn nơi xảy ra trong huyện Văn Chấn")
    assert district.button("✅ Không rõ — chọn cả huyện Văn Chấn") is not None
    await mai.press("⬅️ Quay lại", district)
    await mai.expect("Chọn nơi xảy ra trong tỉnh Yên Bái")
    await mai.press("huyện Văn Chấn ›")
    await mai.expect("Chọn nơi xảy ra trong huyện Văn Chấn")
    await mai.press("xã Sơn Thịnh")
    await mai.expect("Bước 4/6")
    summary = await _to_summary(mai)
    assert "Nơi xảy ra: xã Sơn Thịnh, huyện Văn Chấn, tỉnh Yên Bái" in summary.text
    assert "Gửi đến: Công an xã Sơn Thịnh" in summary.text
    assert "Loại: 💍 Tảo hôn, hôn nhân cận huyết thống" in summary.text
