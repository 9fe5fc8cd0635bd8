"""Real Chromium from Debian, driven by Playwright: one launcher for every browser test,
the console served on a local port, and the steps every officer's browser takes."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from admin.app import create_app
from storage.core import Core
from tests.support.console import console_settings

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
# --no-sandbox: CI runs as root; the rest keep Chromium off this machine's closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip without Chromium, unless CI said browser tests must run (then fail)."""
    if CHROMIUM.exists():
        return
    if os.environ.get("TINBAO_REQUIRE_BROWSER"):
        pytest.fail("TINBAO_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
    pytest.skip(
        "Chromium is not installed at /usr/bin/chromium (set TINBAO_REQUIRE_BROWSER to fail)"
    )


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Chromium browser."""
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


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


def watch_errors(page: Page) -> list[str]:
    """Errors the page logs or throws from now on (a CSP violation would show up here)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


async def enter_password(page: Page, url: str, username: str, password: str) -> None:
    """Open `url`, get sent to the sign-in form, and submit the password."""
    await page.goto(url)
    await page.wait_for_url(re.compile(r"/login"))
    await page.get_by_label("Tên đăng nhập").fill(username)
    await page.get_by_label("Mật khẩu").fill(password)
    await page.get_by_role("button", name="Đăng nhập").click()
