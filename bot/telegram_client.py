"""The delivery worker's own Bot: no PTB rate limiter (the worker paces itself).

It talks HTTP through aiohttp (bot.aiohttp_request), which costs the worker far less CPU
per message than PTB's default httpx backend. For the Application's httpx client: httpcore
asks `import sniffio` on every request; when sniffio is not installed that import fails
anew each time and scans `sys.path` (≈0.15 ms a request, measured). `fast_async_probe`
records the absence once.
"""

from __future__ import annotations

import importlib.util
import sys

from telegram import Bot

from bot.aiohttp_request import AiohttpRequest


def fast_async_probe() -> None:
    """Make the failing `import sniffio` in httpcore cheap when sniffio is not installed."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def worker_bot(token: str, api_url: str, file_api_url: str, concurrency: int) -> Bot:
    """A Bot for the delivery worker with a connection for each message in flight."""
    fast_async_probe()
    request = AiohttpRequest(connections=concurrency + 2)
    return Bot(token, base_url=api_url, base_file_url=file_api_url, request=request)
