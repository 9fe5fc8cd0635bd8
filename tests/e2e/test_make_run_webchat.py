"""What `make run` promises: open the web chat, send /start, get the Vietnamese menu."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import chromium, watch_errors
from tests.support.cli import start_tinbao

pytestmark = pytest.mark.browser


async def test_a_person_talks_to_the_real_bot_in_the_web_chat(tmp_path: Path) -> None:
    from playwright.async_api import expect

    tinbao = await start_tinbao(tmp_path)
    try:
        chat_url = (await tinbao.wait_for_line(r"Sandbox Telegram \(web chat\): (\S+)")).group(1)
        await tinbao.wait_for_line(r"Bot: polling")
        async with chromium() as browser:
            page = await browser.new_page()
            errors = watch_errors(page)
            await page.goto(chat_url)
            await page.get_by_placeholder("Name, e.g. Lan").fill("Nông Văn Sang")
            await page.get_by_role("button", name="Add resident").click()
            await page.get_by_placeholder("Message or /command").fill("/start")
            await page.keyboard.press("Enter")
            welcome = page.locator("li.bot").last
            await expect(welcome.locator("b").first).to_have_text("Xin chào!", timeout=20_000)
            await expect(welcome.locator(".text")).to_contain_text(
                "Toàn dân bảo vệ an ninh Tổ quốc"
            )
            for label in ("📝 Gửi tin báo", "💬 Diễn đàn", "⚠️ Cảnh báo", "❓ Hướng dẫn"):
                await expect(welcome.get_by_role("button", name=label)).to_be_visible()
            await welcome.get_by_role("button", name="❓ Hướng dẫn").click()
            await expect(page.locator("li.bot").last.locator(".text")).to_contain_text(
                "Khẩn cấp: gọi 113"
            )
            assert errors == []
    finally:
        code = await tinbao.stop()
    assert code == 0, "\n".join(tinbao.lines)
