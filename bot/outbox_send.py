"""Outbox messages (replies to tipsters, forum replies, group notices): address and send.

Each state change goes through `storage.outbox` in its own transaction, as before the
outbox shared the delivery worker with broadcasts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.ratelimit import retry_seconds
from handlers.i18n import Language, as_language, t
from storage import forum_residents, groups, outbox, tip_replies
from storage.core import Core

# Reply routes of features other than tips (`Payload.route_kind`): who opens them.
ROUTE_RESOLVERS: dict[
    str, Callable[[Core, uuid.UUID], Awaitable[forum_residents.ReplyRoute | None]]
] = {
    "forum_question": forum_residents.resolve_route,
}


@dataclass(frozen=True)
class Addressed:
    """A claimed outbox message and the chat it goes to."""

    message: outbox.Claimed
    chat_id: int
    language: Language


def _markup(buttons: list[list[dict[str, str]]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(**button) for button in row] for row in buttons]  # type: ignore[arg-type]
    )


async def _feature_route(core: Core, kind: str, row_id: str) -> tuple[int, Language] | None:
    """Open a feature's sealed reply route; None when it is gone or unknown."""
    resolver = ROUTE_RESOLVERS.get(kind)
    if resolver is None:
        return None
    route = await resolver(core, uuid.UUID(row_id))
    return (route.chat_id, as_language(route.language)) if route is not None else None


async def address(core: Core, message: outbox.Claimed) -> Addressed | None:
    """The chat and language of a message, opening its reply route when it has one.

    None when the route is gone: the message is then marked dead.
    """
    payload = message.payload
    found: tuple[int, Language] | None
    if payload.chat_id is not None:
        found = payload.chat_id, as_language(payload.language)
    elif payload.route_kind is not None:
        found = await _feature_route(core, payload.route_kind, str(payload.route_id))
    else:
        route = await tip_replies.resolve_route(core, uuid.UUID(str(payload.route_tip_id)))
        found = (route.chat_id, as_language(route.language)) if route is not None else None
    if found is None:
        await outbox.mark_dead(core, message.id, error="the reply route is gone")
        return None
    return Addressed(message, *found)


async def send(core: Core, bot: Bot, item: Addressed) -> float | None:
    """Send and record the result; returns Telegram's RetryAfter seconds, if it said so."""
    payload = item.message.payload
    text = payload.text or t(item.language, payload.message, **payload.params)
    try:
        await bot.send_message(
            item.chat_id,
            text,
            parse_mode=payload.parse_mode or None,
            reply_markup=_markup(payload.buttons),
        )
    except RetryAfter as exc:
        seconds = retry_seconds(exc)
        await outbox.retry_later(
            core, item.message.id, error="flood limit", delay=dt.timedelta(seconds=seconds)
        )
        return seconds
    except Forbidden as exc:
        await outbox.mark_dead(core, item.message.id, error=f"forbidden: {exc.message}")
        if item.chat_id < 0:
            await groups.deactivate_chat(core, item.chat_id)
    except BadRequest as exc:
        await outbox.mark_dead(core, item.message.id, error=f"bad request: {exc.message}")
    except TelegramError as exc:
        await outbox.retry_later(core, item.message.id, error=type(exc).__name__)
    else:
        await outbox.mark_sent(core, item.message.id)
    return None
