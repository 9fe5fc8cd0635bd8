"""A moderator in real Chromium works the forum queue: a resident's question, asked in the
sandbox chat, is approved and answered on the console page, and the answer reaches the
resident's chat; a moderator of another commune gets 404 for the same session page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.support.botenv import BotEnv
from tests.support.browser import chromium, enter_password, served_console, watch_errors
from tests.support.console import add_officer
from tests.support.forum import moderator, open_session

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
QUESTION = "Xin hỏi làm căn cước cho con 14 tuổi ở đâu, cần mang giấy tờ gì ạ?"
ANSWER = "Bố mẹ đưa cháu đến Công an xã Thanh Long, mang giấy khai sinh của cháu."


async def _sign_in(page: Page, base: str, username: str, password: str) -> None:
    await enter_password(page, f"{base}/forum", username, password)
    await page.wait_for_url(re.compile(r"/forum$"))


async def test_moderator_approves_and_answers_in_chromium(bot_env: BotEnv) -> None:
    core = bot_env.core
    setup = await moderator(core, "setup", "LS")
    session_id = await open_session(core, setup)
    lan = bot_env.resident("Lan")
    await lan.send("/forum")
    await lan.expect("Bạn sống ở")
    await lan.press("▸ tỉnh Lạng Sơn")
    await lan.expect(lambda m: m.button("xã Thanh Long") is not None)
    await lan.press("xã Thanh Long")
    await lan.expect("đang mở")
    await lan.press(f"forum:s:{session_id}")
    await lan.expect("Đang nhận câu hỏi")
    await lan.press(f"forum:ask:{session_id}")
    await lan.expect("Bạn muốn gửi")
    await lan.press("❓ Câu hỏi")
    await lan.expect("Hãy nhập")
    await lan.send(QUESTION)
    await lan.expect("ký tên")
    await lan.press("🙈 Ẩn danh")
    await lan.expect("Xem lại")
    await lan.press("📨 Gửi")
    await lan.expect("Đã gửi")

    officer = await add_officer(core, "thuy", "LS-THANH-LONG", "moderator")
    outsider = await add_officer(core, "binh", "LS-BAO-LAM", "moderator")
    async with served_console(core) as base, chromium() as browser:
        page = await browser.new_page()
        errors = watch_errors(page)
        await _sign_in(page, base, officer.username, officer.password)
        await page.get_by_role("link", name=re.compile("Thanh Long")).first.click()
        await page.wait_for_url(re.compile(rf"/forum/{session_id}$"))
        pending = page.locator("#pending")
        assert QUESTION in await pending.inner_text()
        assert "1 người cùng quan tâm" in await pending.inner_text()
        await pending.get_by_label("Chủ đề").select_option("residence")
        await pending.get_by_role("button", name="Duyệt").click()
        await page.get_by_text("Đã duyệt.").wait_for()
        approved = page.locator("#approved")
        await approved.get_by_label("Câu trả lời chính thức").fill(ANSWER)
        await approved.get_by_role("button", name="Đăng câu trả lời").click()
        await page.get_by_text("Đã đăng câu trả lời.").wait_for()
        assert ANSWER in await page.locator("#answered").inner_text()
        assert not errors, errors

        other = await browser.new_context()
        second = await other.new_page()
        await _sign_in(second, base, outsider.username, outsider.password)
        assert "Thanh Long" not in await second.locator("main").inner_text()
        response = await second.goto(f"{base}/forum/{session_id}")
        assert response is not None and response.status == 404
        await other.close()

    told = await lan.expect("Câu hỏi của bạn đã được giải đáp", timeout=20)
    assert ANSWER in told.text and QUESTION in told.text
