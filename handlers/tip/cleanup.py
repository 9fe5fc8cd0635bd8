"""After a tip is sent: delete its messages from the chat (DESIGN §4, phone hygiene), or
keep them."""

from __future__ import annotations

import contextlib

from telegram import Message, Update
from telegram.error import TelegramError

from handlers.context import Context, language_of
from handlers.flow import SESSION_KEY, Trail, delete_trail
from handlers.i18n import plain
from handlers.menu import alert, answer, callback_arg, menu_again
from handlers.tip.draft import draft_of, user_data
from handlers.tip.submit import WIPE_KEY


def _sent_trail(update: Update, context: Context) -> Trail | None:
    """The messages of the sent tip the pressed button names; each can be cleaned once."""
    trail = user_data(context).get(WIPE_KEY, {}).pop(callback_arg(update, 2), None)
    return trail if isinstance(trail, Trail) else None


async def wipe(update: Update, context: Context) -> None:
    """Delete this tip's messages (the bot's and the resident's) from the chat."""
    language = await language_of(update, context)
    trail = _sent_trail(update, context)
    if trail is None:
        await alert(update, plain(language, "tip.wipe.gone"))
        return
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        trail.add(query.message.message_id)
    count = await delete_trail(context, trail)
    await answer(update, plain(language, "tip.wipe.done", count=count))
    if draft_of(context) is None and user_data(context).get(SESSION_KEY) is None:
        await menu_again(context.bot, trail.chat_id, language)


async def keep_messages(update: Update, context: Context) -> None:
    """Keep the messages: take the buttons off, show the menu."""
    language = await language_of(update, context)
    trail = _sent_trail(update, context)
    await answer(update)
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        with contextlib.suppress(TelegramError):
            await query.message.edit_reply_markup(reply_markup=None)
        if trail is not None and draft_of(context) is None:
            await menu_again(context.bot, trail.chat_id, language)
