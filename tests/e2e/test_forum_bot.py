"""Must show, through the sandbox: two residents ask, one votes for the other's question,
the moderator approves and answers, and the answer appears in the group, in /forum and in
the asker's chat; a declined question and abusive reports behave as described.

The moderator's steps call the same use cases as the console (its pages are tested in
tests/integration/test_forum_console.py and tests/e2e/test_forum_console.py).
"""

from __future__ import annotations

import uuid

import pytest

from sandbox.testing import BotMessage, CallbackAnswer, Group, Resident
from storage import forum_answers, forum_moderation, forum_residents, groups
from storage.auth import Identity
from tests.support.botenv import BotEnv
from tests.support.forum import moderator, open_session, render
from tests.support.officers import unit_id

LAN_ASKS = "Xin hỏi thủ tục đăng ký tạm trú cho người thuê trọ làm ở đâu ạ?"
MINH_ASKS = "Đề nghị Công an xã tăng cường tuần tra đoạn đường qua chợ vào buổi tối."
ANSWER = (
    "Người thuê trọ đăng ký tạm trú tại trụ sở Công an xã Thanh Long hoặc qua Cổng dịch vụ công."
)
REASON = "Kiến nghị đã được chuyển UBND xã giải quyết."
COMPLAINT = "Cán bộ tiếp dân ở trụ sở xã đòi tiền mới nhận hồ sơ tạm trú, sáng thứ Hai."

# The use cases run on both databases in tests/integration; the chat story once is enough.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def _neighbourhood_group(env: BotEnv, hoa: Identity, members: list[Resident]) -> Group:
    """A Zalo-an-ninh-style group the bot joined and an officer approved for Thanh Long."""
    group = env.group("Zalo an ninh thôn Nà Tàn", members)
    await group.wait_for(lambda: group.messages != [], what="the bot greeting the group")
    row = await groups.status_of(env.core, group.chat.id)
    assert row is not None
    await groups.approve(env.core, hoa, row.id, await unit_id(env.core, "LS-THANH-LONG"))
    return group


async def _open_forum(resident: Resident, *, from_menu: bool = False) -> None:
    """/forum (or the menu's button), then pick the commune in the unit tree."""
    if from_menu:
        await resident.send("/start")
        await resident.expect("Xin chào")
        await resident.press("💬 Diễn đàn")
    else:
        await resident.send("/forum")
    await resident.expect("Bạn sống ở")
    await resident.press("▸ tỉnh Lạng Sơn")
    await resident.expect(lambda m: m.button("xã Thanh Long") is not None)
    await resident.press("xã Thanh Long")
    await resident.expect("đang mở")


async def _enter_session(resident: Resident) -> None:
    """From the list of open sessions, into Thanh Long's."""
    await resident.press("🟢 Diễn đàn “Công an lắng nghe ý kiến Nhân dân” xã Thanh Long")
    await resident.expect("Đang nhận câu hỏi")


async def _start_writing(resident: Resident, kind: str) -> BotMessage:
    """Into the session, then "ask" and the kind of message; the prompt for the text."""
    await _enter_session(resident)
    await resident.press("✍️ Đặt câu hỏi, nêu ý kiến")
    await resident.expect("Bạn muốn gửi")
    await resident.press(kind)
    return await resident.expect("Hãy nhập")


async def _ask(resident: Resident, text: str, name: str | None = None) -> None:
    await _start_writing(resident, "❓ Câu hỏi")
    await resident.send(text)
    await resident.expect("ký tên")
    if name is None:
        await resident.press("🙈 Ẩn danh")
    else:
        await resident.send(name)
    confirm = await resident.expect("Xem lại trước khi gửi")
    assert text in confirm.text and "BẬT" in confirm.text
    await resident.press("📨 Gửi")
    sent = await resident.expect("Đã gửi")
    assert "Công an xã Thanh Long" in sent.text and "bot sẽ báo bạn" in sent.text


async def _report(resident: Resident) -> CallbackAnswer:
    """Report the answer shown, through the confirmation step; the bot's answer."""
    await resident.press("🚩 Báo cáo vi phạm")
    await resident.expect(lambda m: m.button("⬅️ Không, quay lại") is not None)
    return await resident.press(
        "🚩 Xác nhận: nội dung xúc phạm, sai sự thật hoặc lộ thông tin cá nhân"
    )


async def _question_id(env: BotEnv, hoa: Identity, session_id: int, text: str) -> uuid.UUID:
    queue = await forum_moderation.questions(env.core, hoa, session_id)
    return next(item.id for item in queue if item.text == text)


async def test_two_residents_ask_one_votes_the_answer_reaches_group_forum_and_asker(
    bot_env: BotEnv,
) -> None:
    lan, minh = bot_env.resident("Lan"), bot_env.resident("Minh")
    hoa = await moderator(bot_env.core, "hoa", "LS")
    group = await _neighbourhood_group(bot_env, hoa, [lan, minh])
    row = await groups.status_of(bot_env.core, group.chat.id)
    assert row is not None
    session_id = await open_session(bot_env.core, hoa, group_ids=[row.id])
    await group.expect("Diễn đàn")  # the opening is announced in the group

    await _open_forum(lan)
    await _ask(lan, LAN_ASKS)
    await _open_forum(minh)
    await _ask(minh, MINH_ASKS, name="Anh Minh")

    lan_question = await _question_id(bot_env, hoa, session_id, LAN_ASKS)
    minh_question = await _question_id(bot_env, hoa, session_id, MINH_ASKS)
    await forum_moderation.approve(bot_env.core, hoa, lan_question, topic="residence")

    # Minh has Lan's question too: once, and a second press says so.
    await minh.send("/forum")
    await minh.expect("đang mở")
    await _enter_session(minh)
    await minh.press("⏳ Câu hỏi đang chờ giải đáp (1)")
    await minh.expect("Câu hỏi được nhiều người quan tâm")
    await minh.press("👥 1 · Xin hỏi thủ tục đăng ký tạm trú cho người thuê…")
    shown = await minh.expect(LAN_ASKS)
    assert "Người dân (ẩn danh)" in shown.text
    first = await minh.press("🙋 Tôi cũng có câu hỏi này (1)")
    assert first.show_alert and "Đã ghi nhận" in first.text
    await minh.expect("👥 2 người cùng quan tâm")
    again = await minh.press("🙋 Tôi cũng có câu hỏi này (2)")
    assert "đã ghi nhận câu hỏi này rồi" in again.text
    (lan_item,) = [
        q
        for q in await forum_moderation.questions(bot_env.core, hoa, session_id)
        if q.id == lan_question
    ]
    assert lan_item.votes == 2

    # The moderator answers Lan and declines Minh's request with a reason.
    await forum_answers.save_answer(bot_env.core, hoa, lan_question, text=ANSWER)
    await forum_answers.publish_answer(bot_env.core, hoa, lan_question, render=render)
    await forum_moderation.decline(bot_env.core, hoa, minh_question, reason=REASON)
    # The answer appears in the group, in Lan's chat and in /forum; Minh is told why.
    in_group = await group.expect(ANSWER, timeout=20)
    assert LAN_ASKS in in_group.text
    told = await lan.expect("Câu hỏi của bạn đã được giải đáp")
    assert ANSWER in told.text and LAN_ASKS in told.text and "Công an xã Thanh Long" in told.text
    declined = await minh.expect("không được đăng", timeout=20)
    assert REASON in declined.text and MINH_ASKS in declined.text
    await minh.send("/forum")
    await minh.expect("đang mở")
    await _enter_session(minh)
    await minh.press("✅ Câu hỏi đã được giải đáp (1)")
    await minh.expect("Chọn một câu hỏi")
    await minh.press("👥 2 · Xin hỏi thủ tục đăng ký tạm trú cho người thuê…")
    page = await minh.expect(ANSWER)
    assert "Công an xã Thanh Long giải đáp" in page.text
    await minh.press("⬅️ Quay lại")
    await minh.expect("Chọn một câu hỏi")
    await minh.press("⬅️ Quay lại")
    await minh.expect("Đang nhận câu hỏi")
    await minh.press("📋 Câu hỏi của tôi (1)")
    mine = await minh.expect("Câu hỏi của bạn")
    assert f"Lý do: {REASON}" in mine.text
    # The group never saw the pending or declined questions.
    assert all(MINH_ASKS not in m.text for m in group.messages)


async def test_abusive_reports_hide_an_answer_until_a_moderator_looks(bot_env: BotEnv) -> None:
    core = bot_env.core
    hoa = await moderator(core, "hoa", "LS")
    session_id = await open_session(core, hoa)
    asked = await forum_residents.ask(
        core, session_id=session_id, user_id=99, kind="question", text=LAN_ASKS
    )
    await forum_answers.save_answer(core, hoa, asked.question_id, text=ANSWER)
    await forum_answers.publish_answer(core, hoa, asked.question_id, render=render)

    reporters = [bot_env.resident(name) for name in ("An", "Bình", "Chi")]
    for number, resident in enumerate(reporters, start=1):
        await _open_forum(resident)
        await _enter_session(resident)
        await resident.press("✅ Câu hỏi đã được giải đáp (1)")
        await resident.expect("Chọn một câu hỏi")
        await resident.press("👥 1 · Xin hỏi thủ tục đăng ký tạm trú cho người thuê…")
        await resident.expect(ANSWER)
        said = await _report(resident)
        if number < len(reporters):
            assert "Cán bộ kiểm duyệt sẽ xem xét" in said.text
            await resident.expect(ANSWER)
            again = await _report(resident)
            assert "đã báo cáo nội dung này rồi" in again.text
        else:
            assert "tạm ẩn" in said.text
            await resident.expect("tạm ẩn để cán bộ kiểm duyệt xem xét")

    # Hidden from everyone until a moderator looks.
    dung = bot_env.resident("Dũng")
    await _open_forum(dung)
    await _enter_session(dung)
    await dung.press("✅ Câu hỏi đã được giải đáp (0)")
    await dung.expect("Chưa có câu hỏi nào được giải đáp")
    (item,) = await forum_moderation.questions(core, hoa, session_id)
    assert item.flagged and item.reports == 3

    await forum_moderation.restore(core, hoa, asked.question_id)
    await dung.press("⬅️ Quay lại")
    await dung.expect("Đang nhận câu hỏi")
    await dung.press("✅ Câu hỏi đã được giải đáp (1)")
    await dung.expect("Chọn một câu hỏi để đọc câu trả lời")


async def test_asking_has_limits_back_cancel_and_an_opt_out_of_notices(bot_env: BotEnv) -> None:
    core = bot_env.core
    hoa = await moderator(core, "hoa", "LS")
    await open_session(core, hoa)
    an = bot_env.resident("An")
    await _open_forum(an, from_menu=True)
    prompt = await _start_writing(an, "⚠️ Phản ánh về thái độ, tác phong của cán bộ")
    assert "không được gắn với tài khoản của bạn" in prompt.text
    await an.send("Ngắn quá")
    await an.expect("quá ngắn")
    await an.press("⬅️ Quay lại", prompt)
    await an.expect("Bạn muốn gửi")
    await an.send("/cancel")
    await an.expect("Đã hủy")
    # Typed text is no longer taken as a question.
    await an.send("Câu hỏi gõ sau khi đã hủy thì không được gửi đi đâu cả.")
    await an.expect("chưa hiểu")

    await an.send("/forum")
    await an.expect("đang mở")
    await _start_writing(an, "💡 Ý kiến, kiến nghị")
    await an.send(MINH_ASKS)
    await an.expect("ký tên")
    await an.press("🙈 Ẩn danh")
    await an.expect("Xem lại")
    await an.press("🔕 Tắt báo kết quả")
    off = await an.expect("TẮT")
    assert "Không giữ liên kết nào" in off.text
    await an.press("📨 Gửi")
    sent = await an.expect("Đã gửi")
    assert "không nhận thông báo" in sent.text
    (item,) = await forum_moderation.questions(core, hoa, 1)
    assert item.kind == "opinion" and item.text == MINH_ASKS
    assert await forum_residents.resolve_route(core, item.id) is None


async def test_a_complaint_keeps_no_link_to_the_chat_unless_the_resident_asks(
    bot_env: BotEnv,
) -> None:
    core = bot_env.core
    hoa = await moderator(core, "hoa", "LS")
    await open_session(core, hoa)
    binh = bot_env.resident("Bình")
    await _open_forum(binh)
    await _start_writing(binh, "⚠️ Phản ánh về thái độ, tác phong của cán bộ")
    await binh.send(COMPLAINT)
    await binh.expect("ký tên")
    await binh.press("🙈 Ẩn danh")
    confirm = await binh.expect("Xem lại trước khi gửi")
    # Off from the start, and it says what that means: no personal answer at all.
    assert "TẮT" in confirm.text and "nên chọn với phản ánh" in confirm.text
    assert "không thể báo riêng kết quả" in confirm.text and "/forum" in confirm.text
    await binh.press("🔔 Bật báo kết quả")
    on = await binh.expect("BẬT")
    assert "máy chủ chạy bot do Công an quản lý có thể mở nó" in on.text
    await binh.press("🔕 Tắt báo kết quả")
    await binh.expect("nên chọn với phản ánh")
    await binh.press("📨 Gửi")
    sent = await binh.expect("Đã gửi")
    assert "Phản ánh không gắn với bạn" in sent.text
    (item,) = await forum_moderation.questions(core, hoa, 1)
    assert item.kind == "complaint" and item.text == COMPLAINT
    assert await forum_residents.resolve_route(core, item.id) is None
