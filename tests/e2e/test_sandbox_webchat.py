"""The sandbox web chat in real Chromium: a person plays a resident talking to a real PTB bot."""

from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from sandbox import SandboxServer, start_sandbox
from tests.support.browser import chromium, watch_errors

TOKEN = "123456789:AAH-sandbox_test_token"

pytestmark = pytest.mark.browser


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message and update.effective_user
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("📝 Gửi tin báo", callback_data="tip")]])
    await update.message.reply_html(
        f"<b>Xin chào {update.effective_user.first_name}</b> 👮 <i>tinbao</i> &lt;an toàn&gt;",
        reply_markup=keyboard,
    )


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Đã nhận yêu cầu")
    await query.edit_message_text("Hãy mô tả sự việc")


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = await start_sandbox(bot_token=TOKEN)
    app = Application.builder().token(TOKEN).base_url(server.api_base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0)
        yield server
        await app.updater.stop()
        await app.stop()
    await server.close()


async def test_a_resident_chats_with_the_bot_in_the_browser(sandbox: SandboxServer) -> None:
    from playwright.async_api import expect

    async with chromium() as browser:
        page = await browser.new_page()
        problems = watch_errors(page)
        response = await page.goto(sandbox.chat_url)
        assert response is not None
        assert "default-src 'self'" in response.headers["content-security-policy"]
        await expect(page.locator("h1")).to_have_text("tinbao sandbox")

        await page.get_by_placeholder("Name, e.g. Lan").fill("Lan")
        await page.get_by_role("button", name="Add resident").click()
        await expect(page.locator("#chat-title")).to_have_text("Lan")

        await page.get_by_placeholder("Message or /command").fill("/start")
        await page.keyboard.press("Enter")
        reply = page.locator("li.bot").last
        await expect(reply.locator("b")).to_have_text("Xin chào Lan")
        await expect(reply.locator(".text")).to_have_text("Xin chào Lan 👮 tinbao <an toàn>")
        await expect(reply.locator("i")).to_have_text("tinbao")
        # The resident's own message shows its /start as a command.
        await expect(page.locator("li.person .command")).to_have_text("/start")

        await reply.get_by_role("button", name="📝 Gửi tin báo").click()
        await expect(page.locator("#toast")).to_have_text("Đã nhận yêu cầu")
        await expect(reply.locator(".text")).to_have_text("Hãy mô tả sự việc")
        await expect(reply.locator(".edited")).to_be_visible()
        await expect(reply.get_by_role("button")).to_have_count(0)
    assert problems == []
