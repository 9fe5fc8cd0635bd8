"""Process updates concurrently across residents, in order within each chat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)


def _chat_key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None


class FairUpdateProcessor(BaseUpdateProcessor):
    """One chat's updates run one after another; different chats run side by side.

    A chat that floods the bot only queues behind itself: past `backlog_per_chat` waiting
    updates, its newest ones are dropped, so it can never fill the shared slots.
    """

    def __init__(self, max_concurrent_updates: int = 512, backlog_per_chat: int = 20) -> None:
        super().__init__(max_concurrent_updates)
        self.backlog_per_chat = backlog_per_chat
        # Keys are chat ids, held in memory only, and dropped as soon as a chat goes idle.
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self.dropped = 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run `coroutine` after the same chat's earlier updates."""
        key = _chat_key(update)
        if key is None:
            await coroutine
            return
        if self._waiting.get(key, 0) >= self.backlog_per_chat:
            self.dropped += 1
            if asyncio.iscoroutine(coroutine):
                coroutine.close()
            log.warning("dropped an update from a chat that floods the bot")
            return
        self._waiting[key] = self._waiting.get(key, 0) + 1
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
