"""Real Chromium from Debian, driven by Playwright: one launcher for every browser test."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

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
async def chromium() -> AsyncIterator[object]:
    """A headless Chromium browser; yields Playwright's `Browser`."""
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
