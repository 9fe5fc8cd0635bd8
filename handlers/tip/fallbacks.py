"""What the resident conversation (/tip and /status) answers besides its steps: Cancel,
/start, the timeout, other commands, and buttons, texts or receipts out of place."""

from __future__ import annotations

import logging

from telegram import Message, ReplyKeyboardRemove, Update
from telegram.error import TelegramError

from handlers import common
from handlers.context import Context, core_of, language_of
from handlers.flow import delete_quietly, end_flows
from handlers.i18n import Language, plain, t
from handlers.menu import alert, answer, main_menu, menu_again, tell
from handlers.tip.draft import END, draft_of

log = logging.getLogger(__name__)


async def cancel(update: Update, context: Context) -> int:
    """/cancel, the Cancel button or its reply-keyboard twin: drop the flow, keep nothing."""
    language = await language_of(update, context)
    await answer(update)
    ended = end_flows(context)
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        try:
            await query.message.edit_text(
                t(language, "cancel.done"), parse_mode="HTML", reply_markup=main_menu(language)
            )
            return END
        except TelegramError:
            pass
    chat = update.effective_chat
    if chat is None:
        return END
    if ended.trail is not None and ended.trail.reply_keyboard:
        await _cancelled_under_keyboard(context, chat.id, language)
        await menu_again(context.bot, chat.id, language)
    else:
        await menu_again(context.bot, chat.id, language, "cancel.done")
    return END


async def _cancelled_under_keyboard(context: Context, chat_id: int, language: Language) -> None:
    """Say "cancelled" and take the reply keyboard (the location button) away."""
    await context.bot.send_message(
        chat_id, t(language, "cancel.done"), parse_mode="HTML", reply_markup=ReplyKeyboardRemove()
    )


async def restart(update: Update, context: Context) -> int:
    """/start during a flow: drop it and greet as usual."""
    ended = end_flows(context)
    chat = update.effective_chat
    if ended.trail is not None and ended.trail.reply_keyboard and chat is not None:
        await _cancelled_under_keyboard(context, chat.id, await language_of(update, context))
    await common.start(update, context)
    return END


async def timed_out(update: object, context: Context) -> None:
    """No step for `draft_minutes`: the draft (or status session) is dropped, and said so."""
    if context.user_data is None:
        return
    had_draft = draft_of(context) is not None
    ended = end_flows(context)
    if ended.trail is None or not isinstance(update, Update):
        return
    language = await language_of(update, context)
    minutes = f"{core_of(context).settings.limits.draft_minutes:g}"
    key = "tip.timeout" if had_draft else "status.timeout"
    markup = ReplyKeyboardRemove() if ended.trail.reply_keyboard else None
    try:
        if ended.trail.prompt_id is not None:
            await context.bot.edit_message_reply_markup(
                ended.trail.chat_id, ended.trail.prompt_id, reply_markup=None
            )
        await context.bot.send_message(
            ended.trail.chat_id,
            t(language, key, minutes=minutes),
            parse_mode="HTML",
            reply_markup=markup,
        )
    except TelegramError as exc:
        log.warning("could not tell a resident their draft expired: %s", type(exc).__name__)


async def busy(update: Update, context: Context) -> None:
    """Another command or menu item while a flow is open: finish or cancel first."""
    await tell(update, await language_of(update, context), "flow.busy")


async def use_buttons(update: Update, context: Context) -> None:
    """Typed text or a file where a button is expected."""
    language = await language_of(update, context)
    draft = draft_of(context)
    if draft is not None:
        draft.trail.note(update)
    if update.effective_message is not None:
        await update.effective_message.reply_html(t(language, "flow.use_buttons"))


async def button_outside(update: Update, context: Context) -> None:
    """A tip button with no open draft: it was sent, cancelled, timed out, or the bot restarted."""
    language = await language_of(update, context)
    await alert(update, plain(language, "tip.draft_lost"))


async def receipt_outside(update: Update, context: Context) -> None:
    """A receipt pasted outside /status: delete it at once and point to /status."""
    language = await language_of(update, context)
    await delete_quietly(update.effective_message)
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(
            chat.id, t(language, "status.receipt_outside"), parse_mode="HTML"
        )
