"""One broadcast message to one chat, and what Telegram's answer means for its row."""

from __future__ import annotations

import datetime as dt

from telegram import Bot, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.ratelimit import retry_seconds
from storage.deliveries import Content, Job, Outcome

# BadRequest descriptions that mean the chat itself is gone, like Forbidden.
_GONE = ("chat not found", "group chat was deactivated", "have no rights to send")


def text_for(content: Content, language: str) -> str:
    """The text in the chat's language, Vietnamese when there is no translation."""
    return content.texts.get(language) or content.texts["vi"]


async def post(bot: Bot, job: Job, content: Content) -> Message:
    """Send the broadcast to the job's chat: a photo with caption, or a text message."""
    text = text_for(content, job.language)
    if content.image is not None:
        photo = content.photo_file_id or content.image
        return await bot.send_photo(job.chat_id, photo, caption=text, parse_mode=ParseMode.HTML)
    return await bot.send_message(
        job.chat_id, text, parse_mode=ParseMode.HTML, disable_web_page_preview=True
    )


def photo_file_id(message: Message) -> str | None:
    """Telegram's id for the largest size of the photo just sent."""
    return message.photo[-1].file_id if message.photo else None


def outcome_of(job: Job, exc: TelegramError) -> Outcome:
    """Map a Bot API error to what happens to the row."""
    if isinstance(exc, RetryAfter):
        delay = dt.timedelta(seconds=retry_seconds(exc))
        return Outcome(job, "retry", error="flood limit (429)", delay=delay, counts=False)
    if isinstance(exc, ChatMigrated):
        return Outcome(job, "retry", error="group moved", delay=dt.timedelta(0), counts=False)
    if isinstance(exc, Forbidden):
        return Outcome(job, "gone", error=f"forbidden: {exc.message}")
    if isinstance(exc, BadRequest):
        lowered = exc.message.lower()
        gone = any(g in lowered for g in _GONE)
        return Outcome(job, "gone" if gone else "failed", error=f"bad request: {exc.message}")
    if isinstance(exc, NetworkError):
        return Outcome(job, "retry", error=f"network: {exc.message}"[:200])
    return Outcome(job, "retry", error=type(exc).__name__)
