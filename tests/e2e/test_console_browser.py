"""An officer in real Chromium: sign in with password and TOTP, triage, reply, close.

The tip comes from a resident through the real bot in the sandbox, and the reply comes
back into that resident's chat through the outbox and the delivery worker.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pyotp
import pytest

from storage.core import Core
from tests.support.botenv import BotEnv
from tests.support.browser import chromium, enter_password, served_console, watch_errors
from tests.support.console import add_officer, add_tip
from tests.support.officers import unit_id
from tests.support.tip_flow import Draft, send_tip

pytestmark = pytest.mark.browser

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium for one test."""
    async with chromium() as launched:
        yield launched


async def _sign_in_first_time(page: Page, base: str, username: str, password: str) -> str:
    """Password, then enrol TOTP from the secret shown on the page; returns the secret."""
    await enter_password(page, f"{base}/tips", username, password)
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
        errors = watch_errors(page)
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
    thanh_long = await unit_id(core, "LS-THANH-LONG")
    tips = [await add_tip(core, thanh_long, "Tin báo số " + str(i)) for i in range(3)]
    officer = await add_officer(core, "tuan", "LS", "triage")
    async with served_console(core) as base:
        context = await browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
        )
        page = await context.new_page()
        errors = watch_errors(page)
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
