"""What the tip and status conversations share: one live prompt, every message of the
flow remembered (in memory) so the resident can have them deleted, the answer to a stale
button, and category labels."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from telegram import (
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError

from handlers.context import Context, language_of
from handlers.i18n import Language, plain
from handlers.menu import alert

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
T = TypeVar("T")

# A flood-limit pause longer than this is not worth holding the resident's chat for.
MAX_FLOOD_WAIT = 10.0


@dataclass
class Trail:
    """The messages of one flow in one chat: ids only, in memory only (never in a repr)."""

    chat_id: int = field(repr=False)
    messages: list[int] = field(default_factory=list, repr=False)
    # The bot's message whose inline buttons are live; older prompts lose theirs.
    prompt_id: int | None = None
    # A reply keyboard (the location button) is shown under the input field.
    reply_keyboard: bool = False

    def add(self, message_id: int) -> None:
        """Remember a message (the bot's or the resident's) for a later clean-up."""
        if message_id not in self.messages:
            self.messages.append(message_id)

    def note(self, update: Update) -> None:
        """Remember the resident's message that brought this update."""
        message = update.effective_message
        if message is not None and update.callback_query is None:
            self.add(message.message_id)


CATEGORY_EMOJI = {
    "drugs": "💊",
    "weapons": "💣",
    "theft": "👜",
    "fraud": "📱",
    "gambling": "🎲",
    "trafficking": "🚷",
    "child_marriage": "💍",
    "dispute": "🤝",
    "fire": "🔥",
    "traffic": "🚦",
    "corruption": "💰",
    "other": "📌",
}


def excerpt(text: str, limit: int) -> str:
    """The start of a long text, marked as cut."""
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def category_label(language: Language, category: str) -> str:
    """'💊 Ma tuý, trồng cây có chứa chất ma tuý'."""
    return f"{CATEGORY_EMOJI.get(category, '')} {plain(language, f'tip.category.{category}')}"


# Where the flows live in `context.user_data` (memory only, never persisted).
DRAFT_KEY = "tip.draft"
SESSION_KEY = "status.session"


@dataclass(frozen=True)
class Ended:
    """What `end_flows` dropped."""

    draft: bool
    trail: Trail | None


def end_flows(context: Context) -> Ended:
    """Forget the resident's tip draft and status session (a resident runs one at a time)."""
    data = context.user_data
    if data is None:
        return Ended(False, None)
    draft = data.pop(DRAFT_KEY, None)
    session = data.pop(SESSION_KEY, None)
    trail = getattr(draft or session, "trail", None)
    return Ended(draft is not None, trail if isinstance(trail, Trail) else None)


async def patiently(call: Callable[[], Awaitable[T]]) -> T:
    """Run a Bot API call; on a short flood-limit pause, wait in this chat and retry once.

    Waiting here holds only this resident's chat (updates of a chat run one by one);
    PTB's limiter would pause every chat of the bot instead.
    """
    try:
        return await call()
    except RetryAfter as exc:
        delay = exc.retry_after
        seconds = delay.total_seconds() if isinstance(delay, dt.timedelta) else float(delay)
        if seconds > MAX_FLOOD_WAIT:
            raise
        await asyncio.sleep(seconds)
        return await call()


async def _drop_buttons(context: Context, trail: Trail, keep: int | None = None) -> None:
    """Take the inline buttons off the previous prompt so only the live one can be pressed."""
    if trail.prompt_id is None or trail.prompt_id == keep:
        return
    previous, trail.prompt_id = trail.prompt_id, None
    with contextlib.suppress(TelegramError):  # already gone, or nothing to change
        await context.bot.edit_message_reply_markup(trail.chat_id, previous, reply_markup=None)


async def send(
    context: Context,
    trail: Trail,
    text: str,
    markup: Markup | None = None,
    *,
    reply_to: int | None = None,
) -> Message:
    """Send a new message of the flow (Telegram HTML); with inline buttons it is the prompt."""
    if isinstance(markup, InlineKeyboardMarkup):
        await _drop_buttons(context, trail)
    target = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    sent = await patiently(
        lambda: context.bot.send_message(
            trail.chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            reply_parameters=target,
        )
    )
    trail.add(sent.message_id)
    if isinstance(markup, InlineKeyboardMarkup):
        trail.prompt_id = sent.message_id
    elif isinstance(markup, ReplyKeyboardMarkup):
        trail.reply_keyboard = True
    elif isinstance(markup, ReplyKeyboardRemove):
        trail.reply_keyboard = False
    return sent


async def show(
    update: Update,
    context: Context,
    trail: Trail,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Answer a step: a pressed button edits its own message, typed input gets a new one."""
    query = update.callback_query
    message = query.message if query is not None else None
    if query is None or not isinstance(message, Message):
        await send(context, trail, text, markup)
        return
    await _drop_buttons(context, trail, keep=message.message_id)
    trail.add(message.message_id)
    trail.prompt_id = message.message_id if markup is not None else None
    try:
        await patiently(
            lambda: message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


async def stale_button(update: Update, context: Context) -> None:
    """A button of an earlier step, or forged data: nothing changes."""
    language = await language_of(update, context)
    await alert(update, plain(language, "flow.stale_button"))


async def delete_trail(context: Context, trail: Trail) -> int:
    """Delete the flow's messages from the chat (best effort); returns how many were asked.

    Telegram silently skips what it no longer allows (older than 48 hours).
    """
    ids = sorted(set(trail.messages))
    for start in range(0, len(ids), 100):
        try:
            await context.bot.delete_messages(trail.chat_id, ids[start : start + 100])
        except TelegramError as exc:
            log.warning("could not delete a flow's messages: %s", type(exc).__name__)
    trail.messages.clear()
    trail.prompt_id = None
    return len(ids)


async def delete_quietly(message: Message | None) -> bool:
    """Delete one message now (a receipt the resident typed); False when Telegram refused."""
    if message is None:
        return False
    try:
        return bool(await message.delete())
    except TelegramError:
        return False


async def edit(
    context: Context,
    trail: Trail,
    message_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> bool:
    """Rewrite an earlier message of the flow; False when it is gone (send a new one then)."""
    try:
        await patiently(
            lambda: context.bot.edit_message_text(
                text, trail.chat_id, message_id, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        )
    except BadRequest as exc:
        return "not modified" in exc.message.lower()
    if markup is not None:
        trail.prompt_id = message_id
    return True


async def rewrite(
    context: Context,
    trail: Trail,
    message_id: int | None,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    reply_to: int | None = None,
) -> int:
    """Rewrite a message of the flow in place, or send it anew (under `reply_to`); its id."""
    if message_id is not None and await edit(context, trail, message_id, text, markup):
        return message_id
    return (await send(context, trail, text, markup, reply_to=reply_to)).message_id
