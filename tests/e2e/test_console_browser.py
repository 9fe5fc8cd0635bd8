"""An officer in real Chromium: sign in with password and TOTP, triage, reply, close.

The tip comes from a resident through the real bot in the sandbox, and the reply comes
back into that resident's chat through the outbox and the delivery worker.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyotp
import pytest
from aiohttp import web

from admin.app import create_app
from storage.core import Core
from tests.support.botenv import BotEnv
from tests.support.console import add_officer, add_tip, console_settings
from tests.support.tip_flow import Draft, send_tip

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
if TYPE_CHECKING:
    from playwright.async_api import Browser, Page


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("TINBAO_REQUIRE_BROWSER"):
        pytest.fail(
            "Chromium is required (TINBAO_REQUIRE_BROWSER) but /usr/bin/chromium is missing"
        )
    pytest.skip("Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium for one test."""
    _require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@contextlib.asynccontextmanager
async def served_console(core: Core) -> AsyncIterator[str]:
    """The console on a free local port; yields its base URL."""
    runner = web.AppRunner(create_app(core, console_settings()), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def _watch_for_errors(page: Page) -> list[str]:
    """Collect console errors (a CSP violation would show up here)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


async def _sign_in_first_time(page: Page, base: str, username: str, password: str) -> str:
    """Password, then enrol TOTP from the secret shown on the page; returns the secret."""
    await page.goto(f"{base}/tips")
    await page.wait_for_url(re.compile(r"/login"))
    await page.get_by_label("Tên đăng nhập").fill(username)
    await page.get_by_label("Mật khẩu").fill(password)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url(re.compile(r"/login/enrol"))
    qr = page.locator("img.qr")
    assert await qr.evaluate("img => img.complete && img.naturalWidth > 0")
    secret = (await page.locator("#totp-secret").inner_text()).strip()
    await page.get_by_label("Mã 6 chữ số").fill(pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="Kích hoạt và đăng nhập").click()
    await page.wait_for_url(re.compile(r"/tips$"))
    return secret


async def test_officer_signs_in_triages_replies_and_closes_in_chromium(
    bot_env: BotEnv, browser: Browser
) -> None:
    core = bot_env.core
    resident = bot_env.resident("Lan", "vi")
    sent = await send_tip(resident, Draft(place="xã Thanh Long", reply_in_chat=True))
    elsewhere = await send_tip(bot_env.resident("Mai"), Draft(place="xã Bảo Lâm"))
    officer = await add_officer(core, "tuan", "LS-THANH-LONG", "triage")
    async with served_console(core) as base:
        page = await browser.new_page()
        errors = _watch_for_errors(page)
        await _sign_in_first_time(page, base, officer.username, officer.password)

        # Only the commune's own tip is in the queue, highlighted as unopened.
        queue = page.locator("table.queue")
        await queue.get_by_role("link", name=sent.ref).wait_for()
        assert await page.locator(f'tr[data-ref="{elsewhere.ref}"]').count() == 0
        assert "is-new" in (
            await page.locator(f'tr[data-ref="{sent.ref}"]').get_attribute("class") or ""
        )
        response = await page.goto(f"{base}/tips/{elsewhere.ref}")
        assert response is not None and response.status == 404
        errors.clear()  # that 404 was the point
        await page.goto(f"{base}/tips")

        # Open it: the decrypted text is there.
        await queue.get_by_role("link", name=sent.ref).click()
        await page.wait_for_url(re.compile(sent.ref))
        assert "ma tuý ở thôn Nà Tàn" in await page.locator("#tip-text").inner_text()

        # Reply to the resident.
        await page.get_by_label("Trả lời người báo tin").fill(
            "Công an xã đã tiếp nhận, cảm ơn bạn."
        )
        await page.get_by_role("button", name="Gửi trả lời").click()
        await page.get_by_text("Đã gửi trả lời cho người báo tin.").wait_for()

        # Close it, through the confirmation step.
        await page.get_by_text("Kết thúc xử lý…").click()
        await page.locator("#close-form select[name=outcome]").select_option("actioned")
        await page.get_by_role("button", name="Xác nhận kết thúc").click()
        await page.get_by_text("Đã cập nhật trạng thái.").wait_for()
        assert "Đã kết thúc · Đã xử lý" in await page.locator("[data-status]").inner_text()
        assert not errors, errors

    # The reply reaches the resident's chat in the sandbox.
    pushed = await resident.expect("Công an đã trả lời tin báo", timeout=20)
    assert sent.ref in pushed.text
    assert "Công an xã đã tiếp nhận, cảm ơn bạn." in pushed.text


async def test_the_queue_fits_a_phone_and_switches_to_english(core: Core, browser: Browser) -> None:
    from storage import units

    async with core.db.read() as session:
        unit = await units.get_unit_by_code(session, "LS-THANH-LONG")
        assert unit is not None
    tips = [await add_tip(core, unit.id, "Tin báo số " + str(i)) for i in range(3)]
    officer = await add_officer(core, "tuan", "LS", "triage")
    async with served_console(core) as base:
        context = await browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
        )
        page = await context.new_page()
        errors = _watch_for_errors(page)
        await _sign_in_first_time(page, base, officer.username, officer.password)
        for path in ("/tips", f"/tips/{tips[0].ref}"):
            await page.goto(base + path)
            overflow = await page.evaluate(
                "document.scrollingElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 1, f"{path} scrolls sideways on a phone ({overflow}px)"
        await page.get_by_role("button", name="English").click()
        await page.get_by_role("heading", name=tips[0].ref, exact=False).wait_for()
        await page.goto(f"{base}/tips")
        await page.get_by_role("heading", name="Tip queue").wait_for()
        assert not errors, errors
        await context.close()
