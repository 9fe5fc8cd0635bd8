"""What every handler reaches through its context: the core and the resident's language."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Coroutine
from typing import Any, TypeAlias

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackContext, ConversationHandler, ExtBot

from handlers.i18n import Language, as_language, plain, t
from storage import residents
from storage.core import Core

Context: TypeAlias = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]
TinbaoApp: TypeAlias = Application[
    ExtBot[None], Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]

CORE_KEY = "core"
_LANGUAGE_KEY = "language"


def core_of(context: Context) -> Core:
    """The core the bot was composed with."""
    core = context.bot_data[CORE_KEY]
    assert isinstance(core, Core)
    return core


async def language_of(update: Update, context: Context) -> Language:
    """The resident's language: their /lang choice, else their Telegram client's language."""
    user = update.effective_user
    if user is None:
        return as_language(None)
    # user_data lives in memory only; it spares a database read on every update.
    cached = context.user_data.get(_LANGUAGE_KEY) if context.user_data is not None else None
    if cached is not None:
        return as_language(cached)
    chosen = await residents.get_language(core_of(context), user.id)
    language = as_language(chosen or user.language_code)
    if context.user_data is not None:
        context.user_data[_LANGUAGE_KEY] = language
    return language


async def remember_language(update: Update, context: Context, language: Language) -> None:
    """Store the resident's /lang choice (by pseudonym) and use it from now on."""
    user = update.effective_user
    if user is None:
        return
    await residents.set_language(core_of(context), user.id, language)
    if context.user_data is not None:
        context.user_data[_LANGUAGE_KEY] = language


def is_private(update: Update) -> bool:
    """True in a one-to-one chat with the bot."""
    chat = update.effective_chat
    return chat is not None and chat.type == "private"


Handler = Callable[[Update, Context], Coroutine[Any, Any, Any]]


def private_only(callback: Handler) -> Handler:
    """Start a flow only in a private chat: in a group the neighbours would read along.

    Outside one, the resident is told to write to the bot privately and nothing starts.
    """

    @functools.wraps(callback)
    async def guarded(update: Update, context: Context) -> Any:
        if is_private(update):
            return await callback(update, context)
        language = await language_of(update, context)
        query = update.callback_query
        with contextlib.suppress(TelegramError):
            if query is not None:
                await query.answer(plain(language, "group.use_private_alert"), show_alert=True)
            elif update.effective_message is not None:
                await update.effective_message.reply_html(t(language, "group.use_private"))
        return ConversationHandler.END

    return guarded
