"""/warnings and the menu's Warnings button: what is in force in the resident's areas."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers.context import Context, TinbaoApp, core_of, is_private, language_of
from handlers.i18n import Language, plain, t
from storage import subscriptions, units, warning_queries
from storage.models import CrimeWarning, Unit
from storage.warnings import message_text

COMMANDS = ("warnings",)
SHOWN = 10
_ICONS = {"Extreme": "🔴", "Severe": "🟠", "Moderate": "🟡", "Minor": "🔵"}


def _subscribe_buttons(language: Language, subscribed: bool) -> list[list[InlineKeyboardButton]]:
    if not subscribed:
        label = plain(language, "subscribe.start_button")
        return [[InlineKeyboardButton(label, callback_data="sub:start")]]
    return [
        [
            InlineKeyboardButton(
                plain(language, "subscribe.change_button"), callback_data="sub:start"
            ),
            InlineKeyboardButton(
                plain(language, "subscribe.stop_button"), callback_data="sub:stop"
            ),
        ]
    ]


def _label(warning: CrimeWarning, language: Language) -> str:
    title = (warning.title_en if language == "en" and warning.title_en else warning.title_vi) or ""
    short = title if len(title) <= 48 else title[:47] + "…"
    return f"{_ICONS.get(warning.severity, '⚠️')} {short}"


async def list_warnings(update: Update, context: Context) -> None:
    """The active warnings for the resident's communes, newest first, one button each."""
    language = await language_of(update, context)
    if update.callback_query is not None:
        await update.callback_query.answer()
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if not is_private(update):
        await message.reply_html(t(language, "subscribe.private_only"))
        return
    core = core_of(context)
    found = await subscriptions.get(core, user.id)
    if found is None or not found.active:
        key = "warnings.not_subscribed" if found is None else "warnings.inactive"
        markup = InlineKeyboardMarkup(_subscribe_buttons(language, False))
        await message.reply_html(t(language, key), reply_markup=markup)
        return
    async with core.db.read() as session:
        active = await warning_queries.active_for_units(session, list(found.unit_ids), limit=SHOWN)
        places = [await units.get_unit(session, i) for i in found.unit_ids]
    areas = ", ".join(units.place_name(u, language) for u in places if u is not None)
    rows = [
        [InlineKeyboardButton(_label(w, language), callback_data=f"warn:show:{w.id}")]
        for w in active
    ]
    rows += _subscribe_buttons(language, True)
    key = "warnings.list" if active else "warnings.empty"
    await message.reply_html(t(language, key, areas=areas), reply_markup=InlineKeyboardMarkup(rows))


async def show_warning(update: Update, context: Context) -> None:
    """One warning in full, as it was sent."""
    language = await language_of(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    warning_id = int(query.data.rsplit(":", 1)[1])
    async with core_of(context).db.read() as session:
        warning = await warning_queries.public_warning(session, warning_id)
        issuer = await session.get(Unit, warning.unit_id) if warning is not None else None
    if warning is None or issuer is None:
        await query.answer(plain(language, "warnings.gone"), show_alert=True)
        return
    await query.answer()
    chat = update.effective_chat
    assert chat is not None
    text = message_text(warning, issuer, language)
    if warning.image is not None:
        await context.bot.send_photo(
            chat.id, warning.image, caption=text, parse_mode=ParseMode.HTML
        )
    else:
        await context.bot.send_message(
            chat.id, text, parse_mode=ParseMode.HTML, disable_web_page_preview=True
        )


def register(application: TinbaoApp) -> None:
    """/warnings, the menu button and the warning buttons."""
    application.add_handler(CommandHandler("warnings", list_warnings))
    application.add_handler(CallbackQueryHandler(list_warnings, pattern=r"^menu:warnings$"))
    application.add_handler(CallbackQueryHandler(show_warning, pattern=r"^warn:show:\d{1,9}$"))
