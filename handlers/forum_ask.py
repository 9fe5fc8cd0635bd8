"""Asking in the forum: kind, text, an optional display name, how to hear back, send.

The draft lives in `user_data` (memory only) and is dropped on Cancel, /cancel, /start, a
timeout or once sent. The question is sealed to the console key by the use case; the
optional reply route (this chat, sealed to the bot's relay key) is on by default for
questions and opinions, so the resident is told when it is answered or declined. For a
complaint about an officer's conduct it is off by default: the relay key lives on the
police-run bot host, and a complaint should be linked to nobody unless the resident
chooses it; the confirm screen says plainly what each choice means.
"""

from __future__ import annotations

import contextlib
import secrets
import warnings
from dataclasses import dataclass, field
from typing import Any, cast

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from handlers import common, forum_views
from handlers.context import Context, TinbaoApp, core_of, language_of, private_only
from handlers.forum_views import button
from handlers.i18n import Language, plain, t
from handlers.menu import back_cancel_row, main_menu
from storage import forum_residents
from storage.forum import ForumError
from storage.forum_residents import ForumClosed, RateLimited, ReplyRoute
from storage.models import QUESTION_KINDS

KIND, TEXT, NAME, CONFIRM = "forum.kind", "forum.text", "forum.name", "forum.confirm"
END = ConversationHandler.END
# Before the common handlers (group 0), so that /start and /cancel reach an open draft.
GROUP = -1
DRAFT_KEY = "forum.draft"
DRAFT_MINUTES = 30
PRIVATE = filters.ChatType.PRIVATE
MESSAGE = filters.UpdateType.MESSAGE & PRIVATE
TYPED = MESSAGE & filters.TEXT & ~filters.COMMAND


@dataclass
class Draft:
    """A question being written, in memory only."""

    session_id: int
    title: str
    police: dict[str, str]
    token: str = field(default_factory=lambda: secrets.token_hex(6))
    kind: str = "question"
    text: str = ""
    name: str | None = None
    notify: bool = True
    # The step on screen, for Back.
    step: str = KIND


def _draft(context: Context) -> Draft | None:
    found = context.user_data.get(DRAFT_KEY) if context.user_data is not None else None
    return found if isinstance(found, Draft) else None


def _drop(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)


async def _prompt(update: Update, text: str, markup: InlineKeyboardMarkup) -> None:
    """Edit the pressed message into the next step, or send the step after typed text."""
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        with contextlib.suppress(TelegramError):
            await query.answer()
        with contextlib.suppress(TelegramError):
            await query.message.edit_text(text, parse_mode="HTML", reply_markup=markup)
            return
    if update.effective_message is not None:
        await update.effective_message.reply_html(text, reply_markup=markup)


def _rows(language: Language, *rows: list[Any]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([*rows, back_cancel_row(language, "forum:back")])


async def _ask_kind(update: Update, language: Language, draft: Draft) -> str:
    rows = [
        [button(language, f"forum.kind.{kind}.button", f"forum:kind:{kind}")]
        for kind in QUESTION_KINDS
    ]
    text = t(language, "forum.ask.kind", title=draft.title, police=draft.police[language])
    await _prompt(update, text, _rows(language, *rows))
    draft.step = KIND
    return KIND


async def _ask_text(update: Update, language: Language, draft: Draft) -> str:
    text = t(
        language,
        f"forum.ask.text.{draft.kind}",
        low=forum_residents.TEXT_MIN,
        high=forum_residents.TEXT_MAX,
    )
    await _prompt(update, text, _rows(language))
    draft.step = TEXT
    return TEXT


async def _ask_name(update: Update, language: Language, draft: Draft) -> str:
    text = t(language, "forum.ask.name", limit=forum_residents.NAME_MAX)
    anonymous = [button(language, "forum.button.anonymous", "forum:anon")]
    await _prompt(update, text, _rows(language, anonymous))
    draft.step = NAME
    return NAME


def _for_kind(key: str, draft: Draft) -> str:
    """The complaint's own wording of a text about hearing back, where it has one."""
    return f"{key}.complaint" if draft.kind == "complaint" else key


async def _confirm(update: Update, language: Language, draft: Draft) -> str:
    text = t(
        language,
        "forum.ask.confirm",
        kind=plain(language, f"forum.kind.{draft.kind}"),
        asker=draft.name or plain(language, "forum.anonymous"),
        text=draft.text,
    )
    notify = "forum.ask.notify_on" if draft.notify else "forum.ask.notify_off"
    text += "\n\n" + t(language, _for_kind(notify, draft))
    toggle = "off" if draft.notify else "on"
    rows = [
        [button(language, f"forum.button.notify_{toggle}", f"forum:notify:{toggle}")],
        [button(language, "forum.button.send", f"forum:send:{draft.token}")],
    ]
    await _prompt(update, text, _rows(language, *rows))
    draft.step = CONFIRM
    return CONFIRM


@private_only
async def start(update: Update, context: Context) -> str | int:
    """The "ask a question" button of an open session."""
    language = await language_of(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    session_id = int(query.data.split(":")[2])
    user = update.effective_user
    overview = await forum_residents.overview(core_of(context), session_id, user.id if user else 0)
    if overview is None or not overview.info.accepting():
        with contextlib.suppress(TelegramError):
            await query.answer(plain(language, "forum.ask.closed"), show_alert=True)
        return END
    draft = Draft(session_id, overview.info.title, overview.info.police)
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = draft
    return await _ask_kind(update, language, draft)


async def _lost(update: Update, context: Context) -> int:
    language = await language_of(update, context)
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(plain(language, "forum.ask.lost"), show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_html(t(language, "forum.ask.lost"))
    _drop(context)
    return END


async def choose_kind(update: Update, context: Context) -> str | int:
    """Question, opinion, or complaint about an officer's conduct."""
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    assert update.callback_query is not None and update.callback_query.data is not None
    draft.kind = update.callback_query.data.split(":")[2]
    draft.notify = draft.kind != "complaint"
    return await _ask_text(update, await language_of(update, context), draft)


async def take_text(update: Update, context: Context) -> str | int:
    """The question itself, within the length limits."""
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    language = await language_of(update, context)
    message = update.effective_message
    assert message is not None and message.text is not None
    try:
        draft.text = forum_residents.check_text(message.text)
    except ForumError as exc:
        key = "forum.ask.too_short" if exc.code == "too_short" else "forum.ask.too_long"
        await message.reply_html(
            t(language, key, low=forum_residents.TEXT_MIN, high=forum_residents.TEXT_MAX)
        )
        return TEXT
    return await _ask_name(update, language, draft)


async def take_name(update: Update, context: Context) -> str | int:
    """A display name typed by the resident."""
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    language = await language_of(update, context)
    message = update.effective_message
    assert message is not None and message.text is not None
    try:
        draft.name = forum_residents.check_name(message.text)
    except ForumError:
        await message.reply_html(t(language, "forum.ask.name_long", limit=forum_residents.NAME_MAX))
        return NAME
    return await _confirm(update, language, draft)


async def anonymous(update: Update, context: Context) -> str | int:
    """No name: shown as "a resident (anonymous)"."""
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    draft.name = None
    return await _confirm(update, await language_of(update, context), draft)


async def toggle_notify(update: Update, context: Context) -> str | int:
    """Whether to keep a sealed link to this chat for the outcome."""
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    assert update.callback_query is not None and update.callback_query.data is not None
    draft.notify = update.callback_query.data.endswith(":on")
    return await _confirm(update, await language_of(update, context), draft)


async def send(update: Update, context: Context) -> int:
    """Send the question to the moderation queue and say where it went."""
    draft = _draft(context)
    query = update.callback_query
    assert query is not None and query.data is not None
    if draft is None or query.data.split(":")[2] != draft.token:
        return await _lost(update, context)
    language = await language_of(update, context)
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    route = ReplyRoute(chat_id=chat.id, language=language) if draft.notify else None
    try:
        asked = await forum_residents.ask(
            core_of(context),
            session_id=draft.session_id,
            user_id=user.id,
            kind=draft.kind,
            text=draft.text,
            display_name=draft.name,
            route=route,
        )
    except RateLimited:
        limit = core_of(context).settings.forum.questions_per_hour
        await _prompt(
            update, t(language, "forum.ask.rate_limited", limit=limit), _back(language, draft)
        )
        _drop(context)
        return END
    except ForumClosed:
        await _prompt(update, t(language, "forum.ask.closed"), _back(language, draft))
        _drop(context)
        return END
    _drop(context)
    text = t(language, "forum.ask.sent", police=asked.session.police[language])
    sent = "forum.ask.sent_notify" if route else "forum.ask.sent_no_notify"
    text += "\n\n" + t(language, _for_kind(sent, draft))
    await _prompt(update, text, _back(language, draft))
    return END


def _back(language: Language, draft: Draft) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[button(language, "forum.button.to_session", f"forum:s:{draft.session_id}")]]
    )


async def back(update: Update, context: Context) -> str | int:
    """One step back; from the first step, back to the session."""
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    language = await language_of(update, context)
    if draft.step == CONFIRM:
        return await _ask_name(update, language, draft)
    if draft.step == NAME:
        return await _ask_text(update, language, draft)
    if draft.step == TEXT:
        return await _ask_kind(update, language, draft)
    _drop(context)
    user = update.effective_user
    overview = await forum_residents.overview(
        core_of(context), draft.session_id, user.id if user else 0
    )
    if overview is not None:
        await _prompt(update, *forum_views.session_view(language, overview))
    return END


async def cancel(update: Update, context: Context) -> int:
    """/cancel or the Cancel button: the draft is dropped, nothing is kept."""
    language = await language_of(update, context)
    _drop(context)
    await _prompt(update, t(language, "cancel.done"), main_menu(language))
    return END


async def restart(update: Update, context: Context) -> int:
    """/start during a draft: drop it and greet as usual."""
    _drop(context)
    await common.start(update, context)
    return END


async def use_buttons(update: Update, context: Context) -> None:
    """Typed text or a file where a button is expected."""
    language = await language_of(update, context)
    if update.effective_message is not None:
        await update.effective_message.reply_html(t(language, "forum.ask.use_buttons"))


async def busy(update: Update, context: Context) -> None:
    """Another command while a question is being written."""
    language = await language_of(update, context)
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(plain(language, "forum.ask.busy"), show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_html(t(language, "forum.ask.busy"))


async def stale(update: Update, context: Context) -> None:
    """A button of another step or screen while writing."""
    language = await language_of(update, context)
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(plain(language, "forum.ask.busy"), show_alert=True)


async def timed_out(update: object, context: Context) -> None:
    """No step for DRAFT_MINUTES: the draft is dropped, and said so."""
    if _draft(context) is None or not isinstance(update, Update):
        return
    _drop(context)
    language = await language_of(update, context)
    chat = update.effective_chat
    if chat is not None:
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(
                chat.id, t(language, "forum.ask.timeout", minutes=DRAFT_MINUTES), parse_mode="HTML"
            )


class _Conversation(ConversationHandler[Context]):
    """A conversation whose updates go nowhere else once it has handled them."""

    async def handle_update(
        self,
        update: Update,
        application: Application[Any, Context, Any, Any, Any, Any],
        check_result: Any,
        context: Context,
    ) -> object | None:
        """Handle the update, then stop the later handler groups (the common fallbacks)."""
        await super().handle_update(update, application, check_result, context)
        raise ApplicationHandlerStop


def _cb(pattern: str, callback: Any) -> CallbackQueryHandler[Context, Any]:
    return CallbackQueryHandler(callback, pattern=pattern)


def build() -> ConversationHandler[Context]:
    """The asking conversation."""
    kinds = "|".join(QUESTION_KINDS)
    states: dict[object, list[BaseHandler[Update, Context, Any]]] = {
        KIND: [_cb(rf"^forum:kind:({kinds})$", choose_kind), _cb(r"^forum:back$", back)],
        TEXT: [MessageHandler(TYPED, take_text), _cb(r"^forum:back$", back)],
        NAME: [
            _cb(r"^forum:anon$", anonymous),
            MessageHandler(TYPED, take_name),
            _cb(r"^forum:back$", back),
        ],
        CONFIRM: [
            _cb(r"^forum:notify:(on|off)$", toggle_notify),
            _cb(r"^forum:send:[0-9a-f]{12}$", send),
            _cb(r"^forum:back$", back),
        ],
        ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
    }
    fallbacks: list[BaseHandler[Update, Context, Any]] = [
        CommandHandler("cancel", cancel),
        _cb(r"^cancel$", cancel),
        CommandHandler("start", restart),
        _cb(r"^(forum|menu|tip|status):", stale),
        MessageHandler(
            MESSAGE & filters.COMMAND & ~filters.Regex(r"^/(help|lang)(@\w+)?(\s|$)"), busy
        ),
        MessageHandler(MESSAGE & ~filters.COMMAND, use_buttons),
    ]
    with warnings.catch_warnings():
        # Buttons are tracked per chat and user, not per message, on purpose: each step
        # checks its draft (and Send its token), and other buttons get their own answer.
        warnings.simplefilter("ignore", PTBUserWarning)
        return _Conversation(
            entry_points=[_cb(r"^forum:ask:\d{1,9}$", start)],
            states=states,
            fallbacks=fallbacks,
            allow_reentry=True,
            per_chat=True,
            per_user=True,
            conversation_timeout=DRAFT_MINUTES * 60,
            name="forum-ask",
            persistent=False,
        )


def register(application: TinbaoApp) -> None:
    """The conversation, in the group before the common handlers."""
    application.add_handler(cast(Any, build()), group=GROUP)
