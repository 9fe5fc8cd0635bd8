"""A small real python-telegram-bot Application polling the sandbox, driven by residents."""

import asyncio
import html
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from sandbox import SandboxServer, start_sandbox

TOKEN = "123456789:AAH-sandbox_test_token"


@dataclass
class Seen:
    """What the bot under test noticed."""

    errors: list[str] = field(default_factory=list)
    group_texts: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


def build_application(server: SandboxServer, seen: Seen) -> Application:  # type: ignore[type-arg]
    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(server.api_base_url)
        .base_file_url(server.file_base_url)
        .build()
    )

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat and update.effective_user and update.message
        await update.effective_chat.send_action("typing")
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("📝 Gửi tin báo", callback_data="tip"),
                    InlineKeyboardButton("Cổng thông tin", url="https://congan.gov.vn"),
                ],
                [InlineKeyboardButton("Khẩn cấp", callback_data="alert")],
            ]
        )
        name = html.escape(update.effective_user.first_name)
        await update.message.reply_html(
            f"<b>Chào {name}</b>! Bạn muốn làm gì?", reply_markup=keyboard
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        if query.data == "alert":
            await query.answer("Gọi 113 ngay!", show_alert=True)
            return
        await query.answer("Đã nhận")
        try:
            await query.answer("lần hai")
        except BadRequest as exc:
            seen.errors.append(str(exc))
        await query.edit_message_text("<i>Hãy mô tả sự việc</i>", parse_mode="HTML")

    async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        seen.group_texts.append(update.message.text or "")

    async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        assert change is not None
        seen.statuses.append(change.new_chat_member.status)
        seen.changed.set()
        if change.new_chat_member.status == "member" and change.chat.type != "private":
            await context.bot.send_message(change.chat.id, "Cảm ơn đã thêm tinbao vào nhóm.")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.TEXT, group_text), group=-1)
    app.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))
    return app


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = await start_sandbox(bot_token=TOKEN)
    yield server
    await server.close()


@pytest.fixture
async def seen(sandbox: SandboxServer) -> AsyncIterator[Seen]:
    seen = Seen()
    app = build_application(sandbox, seen)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0)
        yield seen
        await app.updater.stop()
        await app.stop()


async def test_start_then_pressing_an_inline_button(sandbox: SandboxServer, seen: Seen) -> None:
    lan = sandbox.resident("Lan")
    await lan.send("/start")
    welcome = await lan.expect("Chào Lan")
    assert welcome.html == "<b>Chào Lan</b>! Bạn muốn làm gì?"
    assert [b.text for b in welcome.buttons] == ["📝 Gửi tin báo", "Cổng thông tin", "Khẩn cấp"]
    assert welcome.button("Cổng thông tin").url == "https://congan.gov.vn"  # type: ignore[union-attr]
    assert "(bot is typing)" in lan.transcript()

    answer = await lan.press("📝 Gửi tin báo")
    assert (answer.text, answer.show_alert) == ("Đã nhận", False)
    edited = await lan.expect("Hãy mô tả")
    assert edited.edited and edited.message_id == welcome.message_id
    assert edited.html == "<i>Hãy mô tả sự việc</i>"
    assert seen.errors == ["Query is too old and response timeout expired or query id is invalid"]


async def test_an_alert_answer(sandbox: SandboxServer, seen: Seen) -> None:
    minh = sandbox.resident("Minh", "en")
    await minh.send("/start")
    await minh.expect("Chào Minh")
    answer = await minh.press("alert")
    assert (answer.text, answer.show_alert) == ("Gọi 113 ngay!", True)


async def test_group_privacy_mode_and_membership(sandbox: SandboxServer, seen: Seen) -> None:
    lan, minh = sandbox.resident("Lan"), sandbox.resident("Minh")
    group = sandbox.group("Tổ dân phố 5", [lan, minh])
    await group.expect("Cảm ơn đã thêm tinbao")
    await group.send("Chuyện riêng của xóm", sender=minh)
    await group.send("/start@tinbao_bot", sender=minh)
    await group.expect("Chào Minh")
    # With privacy mode on, the bot only got the command, not the chatter.
    assert seen.group_texts == ["/start@tinbao_bot"]
    seen.changed.clear()
    group.remove_bot(by=lan)
    await asyncio.wait_for(seen.changed.wait(), 5)
    assert seen.statuses == ["member", "kicked"]
