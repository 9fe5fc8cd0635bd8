"""/start, /help, /lang, /cancel, the menu, and what answers everything nobody else handles."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers.context import Context, TinbaoApp, is_private, language_of, remember_language
from handlers.i18n import LANGUAGES, Language, as_language, plain, t
from handlers.menu import alert, answer, main_menu, menu_again

log = logging.getLogger(__name__)

# Shown first and last in Telegram's command menu; features list theirs in between.
COMMANDS_FIRST = ("start",)
COMMANDS_LAST = ("help", "lang", "cancel")


async def start(update: Update, context: Context) -> None:
    """Greet the resident and show the main menu."""
    if not is_private(update):
        await use_private(update, context)
        return
    language = await language_of(update, context)
    if update.effective_message is not None:
        await update.effective_message.reply_html(
            t(language, "start.welcome"), reply_markup=main_menu(language)
        )


async def use_private(update: Update, context: Context) -> None:
    """A private chat's command (/start, /tip, /status, /forum) in a group: write privately."""
    language = await language_of(update, context)
    if update.effective_message is not None:
        await update.effective_message.reply_html(t(language, "group.use_private"))


async def help_command(update: Update, context: Context) -> None:
    """Explain the commands, the anonymity promise and the emergency numbers."""
    language = await language_of(update, context)
    if update.effective_message is not None:
        await update.effective_message.reply_html(t(language, "help.text"))


def _language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(plain(code, f"lang.{code}"), callback_data=f"lang:{code}")]
            for code in LANGUAGES
        ]
    )


async def choose_language(update: Update, context: Context) -> None:
    """Offer Vietnamese and English."""
    language = await language_of(update, context)
    if update.effective_message is not None:
        await update.effective_message.reply_html(
            t(language, "lang.choose"), reply_markup=_language_keyboard()
        )


async def set_language(update: Update, context: Context) -> None:
    """Remember the chosen language and show the menu in it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    chosen: Language = as_language(query.data.removeprefix("lang:"))
    await remember_language(update, context, chosen)
    await query.answer()
    await query.edit_message_text(t(chosen, "lang.set"), parse_mode=ParseMode.HTML)
    # The main menu leads to the tip flow: it belongs in the private chat only.
    if query.message is not None and is_private(update):
        await menu_again(context.bot, query.message.chat.id, chosen)


async def menu_help(update: Update, context: Context) -> None:
    """The Help button of the menu."""
    await answer(update)
    await help_command(update, context)


async def menu_language(update: Update, context: Context) -> None:
    """The Language button of the menu."""
    await answer(update)
    await choose_language(update, context)


async def cancel(update: Update, context: Context) -> None:
    """/cancel or a Cancel button when nothing is in progress."""
    language = await language_of(update, context)
    await answer(update)
    if update.effective_message is not None:
        await update.effective_message.reply_html(t(language, "cancel.nothing"))


async def noop(update: Update, _context: Context) -> None:
    """The page counter between ◀ and ▶ does nothing."""
    await answer(update)


async def menu_unavailable(update: Update, context: Context) -> None:
    """A menu item whose feature is not wired into this bot."""
    language = await language_of(update, context)
    await alert(update, plain(language, "feature.unavailable"))


async def expired_button(update: Update, context: Context) -> None:
    """Any button nobody recognises: an old keyboard, or forged callback data."""
    language = await language_of(update, context)
    await alert(update, plain(language, "button.expired"))


async def unknown_text(update: Update, context: Context) -> None:
    """Text in a private chat that no conversation is waiting for."""
    language = await language_of(update, context)
    if update.effective_message is not None:
        await update.effective_message.reply_html(
            t(language, "unknown.text"), reply_markup=main_menu(language)
        )


async def on_error(update: object, context: Context) -> None:
    """Log the failure without the update (it may hold a tip) and tell the resident."""
    error = context.error
    log.error(
        "update handling failed: %s",
        type(error).__name__,
        exc_info=(type(error), error, error.__traceback__) if error else None,
    )
    if isinstance(update, Update) and update.effective_message is not None and is_private(update):
        language = await language_of(update, context)
        try:
            await update.effective_message.reply_html(t(language, "error.generic"))
        except Exception:  # the chat may be unreachable; the log line above is what matters
            log.warning("could not tell the resident about the failure")


def register(application: TinbaoApp) -> None:
    """The commands every chat has; register before the features."""
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("lang", choose_language))
    application.add_handler(CallbackQueryHandler(set_language, pattern=r"^lang:(vi|en)$"))
    application.add_handler(CallbackQueryHandler(menu_help, pattern=r"^menu:help$"))
    application.add_handler(CallbackQueryHandler(menu_language, pattern=r"^menu:language$"))
    application.add_handler(CallbackQueryHandler(noop, pattern=r"^noop$"))
    application.add_error_handler(on_error)


def register_fallbacks(application: TinbaoApp) -> None:
    """What answers when no feature did; register after the features."""
    application.add_handler(CommandHandler("cancel", cancel))
    application.add_handler(CallbackQueryHandler(cancel, pattern=r"^cancel$"))
    application.add_handler(CallbackQueryHandler(menu_unavailable, pattern=r"^menu:"))
    application.add_handler(CallbackQueryHandler(expired_button))
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, unknown_text)
    )
