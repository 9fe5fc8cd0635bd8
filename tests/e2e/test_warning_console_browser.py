"""A broadcaster in real Chromium writes a warning, checks the preview, sends it, and
watches the progress bar fill (warnings.js under the strict CSP) while the real bot
delivers it to a group and a subscriber in the sandbox."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from storage import groups, subscriptions
from tests.support.botenv import BotEnv
from tests.support.broadcasting import broadcaster
from tests.support.browser import chromium, enter_password, served_console, watch_errors
from tests.support.console import add_officer
from tests.support.officers import unit_id

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
TITLE = "Cảnh báo thủ đoạn lừa đảo cài ứng dụng dịch vụ công giả mạo"


async def _sign_in(page: Page, base: str) -> None:
    await enter_password(page, f"{base}/warnings", "phuong", "correct horse battery staple")
    await page.wait_for_url(re.compile(r"/warnings$"))


async def test_a_broadcaster_sends_and_watches_the_progress_bar(bot_env: BotEnv) -> None:
    core = bot_env.core
    lan, hoa = bot_env.resident("Lan"), bot_env.resident("Hoa")
    await lan.send("/start")
    await lan.expect("Xin chào")
    await subscriptions.subscribe(
        core, lan.user.id, lan.user.id, unit_ids=[await unit_id(core, "LS-THANH-LONG")]
    )
    group = bot_env.group("Zalo an ninh thôn Nà Tàn", [hoa])
    await group.expect("Số yêu cầu")
    setup = await broadcaster(core, "setup")
    found = await groups.status_of(core, group.chat.id)
    assert found is not None
    await groups.approve(core, setup, found.id, await unit_id(core, "LS-THANH-LONG"))
    await add_officer(core, "phuong", "LS", "broadcaster")

    async with served_console(core) as base, chromium() as browser:
        page = await browser.new_page()
        problems = watch_errors(page)
        await _sign_in(page, base)
        await page.get_by_role("link", name="Viết cảnh báo mới").click()
        await page.get_by_label("Tiêu đề (tiếng Việt)").fill(TITLE)
        await page.get_by_label("Nội dung (tiếng Việt)").fill(
            "Đối tượng gửi đường link cài <b>ứng dụng giả mạo</b>. Không cài ứng dụng lạ!"
        )
        await page.get_by_label("Địa bàn nhận cảnh báo").select_option(
            label="— Thanh Long (LS-THANH-LONG)"
        )
        await page.get_by_role("button", name="Lưu bản nháp").click()
        await page.wait_for_url(re.compile(r"/warnings/\d+$"))
        preview = page.locator(".tg-text").first
        assert await preview.locator("strong").all_inner_texts() == [
            "⚠️ CẢNH BÁO: " + TITLE,
            "ứng dụng giả mạo",
        ]

        await page.get_by_text("Gửi ngay…").click()
        await page.get_by_role("button", name="Xác nhận gửi ngay").click()
        await page.wait_for_selector("#progress")
        # warnings.js polls until nothing is pending; the bar then shows both chats done.
        await page.wait_for_selector('#progress[data-done="true"]', timeout=20_000)
        assert await page.locator('[data-count="sent"]').inner_text() == "2"
        assert await page.locator("#progress progress").get_attribute("value") == "2"
    await lan.expect(TITLE)
    await group.expect(TITLE)
    assert problems == []
