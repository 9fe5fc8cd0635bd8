"""`tinbao sandbox`: the sandbox Telegram alone, for a bot that runs elsewhere."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal

from bot.config import Settings


async def run_sandbox(settings: Settings, *, token: str | None = None) -> None:
    """Serve the sandbox until Ctrl-C and say how to point a bot at it."""
    from sandbox.server import start_sandbox

    token = token or f"{secrets.randbelow(10**9) + 10**9}:{secrets.token_urlsafe(27)}"
    box = await start_sandbox(settings.sandbox_host, settings.sandbox_port, bot_token=token)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        print(f"Sandbox Telegram web chat: {box.chat_url}")
        print("Point a bot at it with:")
        print(f"  TINBAO_BOT_TOKEN={token}")
        print(f"  TINBAO_TELEGRAM_API_URL={box.api_base_url}")
        print("Press Ctrl-C to stop.")
        await stop.wait()
    finally:
        await box.close()
