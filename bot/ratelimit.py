"""The Application's rate limiter, drawing on the same budget as the delivery worker.

PTB's `AIORateLimiter` keeps its own count of the bot-wide and per-group limits; next to
a worker that broadcasts at the full rate, the two together would exceed Telegram's
limits. This limiter charges the shared `Pacer` instead: replies wait for a bot-wide slot
(and a group's), go to a resident's private chat at once, and the worker's broadcasts
make room for them. A RetryAfter pauses everyone and the request is tried once more.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.pacing import Pacer

JSONDict = dict[str, Any]
# A reply that Telegram defers for longer than this fails instead of hanging the handler.
MAX_RETRY_WAIT = 10.0


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter's delay in seconds (PTB gives an int or a timedelta)."""
    with warnings.catch_warnings():  # PTB 22 warns that the int form will go away
        warnings.simplefilter("ignore")
        delay = exc.retry_after
    return delay.total_seconds() if isinstance(delay, dt.timedelta) else float(delay)


def paced(endpoint: str) -> bool:
    """Whether a Bot API method posts or changes a message (what the flood limits count)."""
    posts = endpoint.startswith(("send", "copyMessage", "forwardMessage", "editMessage"))
    return posts and endpoint != "sendChatAction"


def chat_of(data: dict[str, Any]) -> int | None:
    """The numeric chat id of a request, if it has one."""
    chat_id = data.get("chat_id")
    with contextlib.suppress(TypeError, ValueError):
        return int(chat_id)  # type: ignore[arg-type]
    return None


class SharedRateLimiter(BaseRateLimiter[int]):
    """Paces the Application's requests with the worker's `Pacer`."""

    def __init__(self, pacer: Pacer, *, max_retries: int = 1) -> None:
        self.pacer = pacer
        self.max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Wait for a slot when the request posts to a chat, then call it."""
        chat_id = chat_of(data) if paced(endpoint) else None
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        for attempt in range(retries + 1):
            if chat_id is not None:
                await self.pacer.acquire(chat_id, wait_for_chat=chat_id < 0)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                self.pacer.hold_all(seconds)
                if chat_id is not None:
                    self.pacer.hold_chat(chat_id, seconds)
                if attempt == retries or seconds > MAX_RETRY_WAIT:
                    raise
                # A paced request waits in `acquire`; anything else waits here.
                await asyncio.sleep(0 if chat_id is not None else seconds)
        raise AssertionError("unreachable")
