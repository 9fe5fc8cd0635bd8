"""The sandbox web chat in real Chromium: a person plays a resident talking to a real PTB bot."""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from sandbox import SandboxServer, start_sandbox

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOKEN = "123456789:AAH-sandbox_test_token"

pytestmark = pytest.mark.browser

if not CHROMIUM.exists() and not os.environ.get("TINBAO_REQUIRE_BROWSER"):
    pytest.skip(
        "Chromium is not installed at /usr/bin/chromium (set TINBAO_REQUIRE_BROWSER to fail)",
        allow_module_level=True,
    )

playwright_api = pytest.importorskip("playwright.async_api")


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
    if not CHROMIUM.exists():
        pytest.fail("TINBAO_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
    problems: list[str] = []
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = await browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            response = await page.goto(sandbox.chat_url)
            assert response is not None
            assert "default-src 'self'" in response.headers["content-security-policy"]
            await playwright_api.expect(page.locator("h1")).to_have_text("tinbao sandbox")

            await page.get_by_placeholder("Name, e.g. Lan").fill("Lan")
            await page.get_by_role("button", name="Add resident").click()
            await playwright_api.expect(page.locator("#chat-title")).to_have_text("Lan")

            await page.get_by_placeholder("Message or /command").fill("/start")
            await page.keyboard.press("Enter")
            reply = page.locator("li.bot").last
            await playwright_api.expect(reply.locator("b")).to_have_text("Xin chào Lan")
            await playwright_api.expect(reply.locator(".text")).to_have_text(
                "Xin chào Lan 👮 tinbao <an toàn>"
            )
            await playwright_api.expect(reply.locator("i")).to_have_text("tinbao")
            # The resident's own message shows its /start as a command.
            await playwright_api.expect(page.locator("li.person .command")).to_have_text("/start")

            await reply.get_by_role("button", name="📝 Gửi tin báo").click()
            await playwright_api.expect(page.locator("#toast")).to_have_text("Đã nhận yêu cầu")
            await playwright_api.expect(reply.locator(".text")).to_have_text("Hãy mô tả sự việc")
            await playwright_api.expect(reply.locator(".edited")).to_be_visible()
            await playwright_api.expect(reply.get_by_role("button")).to_have_count(0)
        finally:
            await browser.close()
    assert problems == []
