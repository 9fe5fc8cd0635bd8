"""The delivery worker: drains the outbox into Telegram, committing every state change."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from handlers.i18n import Language, as_language, t
from storage import outbox, tips
from storage.core import Core

log = logging.getLogger(__name__)


def _markup(buttons: list[list[dict[str, str]]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(**button) for button in row] for row in buttons]  # type: ignore[arg-type]
    )


class OutboxWorker:
    """Sends due outbox messages; on a crash, leased rows return to the queue and resume."""

    def __init__(self, core: Core, bot: Bot, *, idle_seconds: float = 1.0) -> None:
        self.core = core
        self.bot = bot
        self.idle_seconds = idle_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Look at the outbox now instead of at the next tick."""
        self._wake.set()

    def start(self) -> None:
        """Run in the background until `stop`."""
        self._task = asyncio.create_task(self._loop(), name="outbox-worker")

    async def stop(self) -> None:
        """Stop after the message in flight."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                sent = await self.drain_once()
            except Exception:
                log.exception("outbox pass failed; retrying")
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle_seconds)
                self._wake.clear()

    async def drain_once(self, limit: int = 50) -> int:
        """Send what is due now; returns how many messages were handled."""
        ring = self.core.vault.require_relay()
        claimed = await outbox.claim_due(self.core, ring, limit=limit)
        for message in claimed:
            await self._send(message)
        return len(claimed)

    async def _address(self, payload: outbox.Payload) -> tuple[int, Language] | None:
        """The chat and language of a payload, opening a reply route when there is one."""
        if payload.chat_id is not None:
            return payload.chat_id, as_language(payload.language)
        route = await tips.resolve_route(self.core, uuid.UUID(str(payload.route_tip_id)))
        if route is None:
            return None
        return route.chat_id, as_language(route.language)

    async def _send(self, message: outbox.Claimed) -> None:
        payload = message.payload
        address = await self._address(payload)
        if address is None:
            await outbox.mark_dead(self.core, message.id, error="the reply route is gone")
            return
        chat_id, language = address
        text = payload.text or t(language, payload.message, **payload.params)
        try:
            await self.bot.send_message(
                chat_id,
                text,
                parse_mode=payload.parse_mode or None,
                reply_markup=_markup(payload.buttons),
            )
        except RetryAfter as exc:
            delay = exc.retry_after
            seconds = delay.total_seconds() if isinstance(delay, dt.timedelta) else float(delay)
            await outbox.retry_later(
                self.core, message.id, error="flood limit", delay=dt.timedelta(seconds=seconds)
            )
        except Forbidden as exc:
            await outbox.mark_dead(self.core, message.id, error=f"forbidden: {exc.message}")
        except BadRequest as exc:
            await outbox.mark_dead(self.core, message.id, error=f"bad request: {exc.message}")
        except (NetworkError, TelegramError) as exc:
            await outbox.retry_later(self.core, message.id, error=type(exc).__name__)
        else:
            await outbox.mark_sent(self.core, message.id)
