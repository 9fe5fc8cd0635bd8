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
from dataclasses import dataclass, field
from typing import Any, cast

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers import common, forum_views
from handlers.context import Context, TinbaoApp, core_of, language_of, private_only
from handlers.conversation import (
    MESSAGE,
    OTHER_COMMAND,
    TYPED,
    Handlers,
    Needs,
    exclusive_conversation,
    forget,
    kept,
    on_button,
)
from handlers.i18n import Language, plain, t
from handlers.menu import (
    alert,
    answer,
    back_cancel_row,
    button,
    callback_arg,
    keyboard,
    main_menu,
    replace,
    tell,
)
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
BACK = r"^forum:back$"


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
    return kept(context, DRAFT_KEY, Draft)


def _drop(context: Context) -> None:
    forget(context, DRAFT_KEY)


async def _lost(update: Update, context: Context) -> int:
    """The draft is gone (restart, timeout): say so and end."""
    await tell(update, await language_of(update, context), "forum.ask.lost")
    _drop(context)
    return END


with_draft = Needs(_draft, _lost)


def _rows(language: Language, *rows: list[Any]) -> InlineKeyboardMarkup:
    return keyboard(*rows, back_cancel_row(language, "forum:back"))


async def _ask_kind(update: Update, language: Language, draft: Draft) -> str:
    rows = [
        [button(language, f"forum.kind.{kind}.button", f"forum:kind:{kind}")]
        for kind in QUESTION_KINDS
    ]
    text = t(language, "forum.ask.kind", title=draft.title, police=draft.police[language])
    await replace(update, text, _rows(language, *rows))
    draft.step = KIND
    return KIND


async def _ask_text(update: Update, language: Language, draft: Draft) -> str:
    text = t(
        language,
        f"forum.ask.text.{draft.kind}",
        low=forum_residents.TEXT_MIN,
        high=forum_residents.TEXT_MAX,
    )
    await replace(update, text, _rows(language))
    draft.step = TEXT
    return TEXT


async def _ask_name(update: Update, language: Language, draft: Draft) -> str:
    text = t(language, "forum.ask.name", limit=forum_residents.NAME_MAX)
    anonymous = [button(language, "forum.button.anonymous", "forum:anon")]
    await replace(update, text, _rows(language, anonymous))
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
    await replace(update, text, _rows(language, *rows))
    draft.step = CONFIRM
    return CONFIRM


@private_only
async def start(update: Update, context: Context) -> str | int:
    """The "ask a question" button of an open session."""
    language = await language_of(update, context)
    session_id = int(callback_arg(update, 2))
    user = update.effective_user
    overview = await forum_residents.overview(core_of(context), session_id, user.id if user else 0)
    if overview is None or not overview.info.accepting():
        await alert(update, plain(language, "forum.ask.closed"))
        return END
    await answer(update)
    draft = Draft(session_id, overview.info.title, overview.info.police)
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = draft
    return await _ask_kind(update, language, draft)


@with_draft
async def choose_kind(update: Update, context: Context, draft: Draft) -> str:
    """Question, opinion, or complaint about an officer's conduct."""
    draft.kind = callback_arg(update, 2)
    draft.notify = draft.kind != "complaint"
    return await _ask_text(update, await language_of(update, context), draft)


@with_draft
async def take_text(update: Update, context: Context, draft: Draft) -> str:
    """The question itself, within the length limits."""
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


@with_draft
async def take_name(update: Update, context: Context, draft: Draft) -> str:
    """A display name typed by the resident."""
    language = await language_of(update, context)
    message = update.effective_message
    assert message is not None and message.text is not None
    try:
        draft.name = forum_residents.check_name(message.text)
    except ForumError:
        await message.reply_html(t(language, "forum.ask.name_long", limit=forum_residents.NAME_MAX))
        return NAME
    return await _confirm(update, language, draft)


@with_draft
async def anonymous(update: Update, context: Context, draft: Draft) -> str:
    """No name: shown as "a resident (anonymous)"."""
    draft.name = None
    return await _confirm(update, await language_of(update, context), draft)


@with_draft
async def toggle_notify(update: Update, context: Context, draft: Draft) -> str:
    """Whether to keep a sealed link to this chat for the outcome."""
    draft.notify = callback_arg(update, 2) == "on"
    return await _confirm(update, await language_of(update, context), draft)


@with_draft(answer=False)
async def send(update: Update, context: Context, draft: Draft) -> int:
    """Send the question to the moderation queue and say where it went."""
    if callback_arg(update, 2) != draft.token:
        return await _lost(update, context)
    await answer(update)
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
        text = t(language, "forum.ask.rate_limited", limit=limit)
    except ForumClosed:
        text = t(language, "forum.ask.closed")
    else:
        text = t(language, "forum.ask.sent", police=asked.session.police[language])
        sent = "forum.ask.sent_notify" if route else "forum.ask.sent_no_notify"
        text += "\n\n" + t(language, _for_kind(sent, draft))
    _drop(context)
    await replace(update, text, _to_session(language, draft))
    return END


def _to_session(language: Language, draft: Draft) -> InlineKeyboardMarkup:
    return keyboard([button(language, "forum.button.to_session", f"forum:s:{draft.session_id}")])


@with_draft
async def back(update: Update, context: Context, draft: Draft) -> str | int:
    """One step back; from the first step, back to the session."""
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
        await replace(update, *forum_views.session_view(language, overview))
    return END


async def cancel(update: Update, context: Context) -> int:
    """/cancel or the Cancel button: the draft is dropped, nothing is kept."""
    language = await language_of(update, context)
    _drop(context)
    await answer(update)
    await replace(update, t(language, "cancel.done"), main_menu(language))
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
    await tell(update, await language_of(update, context), "forum.ask.busy")


async def stale(update: Update, context: Context) -> None:
    """A button of another step or screen while writing."""
    await alert(update, plain(await language_of(update, context), "forum.ask.busy"))


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


def build() -> ConversationHandler[Context]:
    """The asking conversation."""
    kinds = "|".join(QUESTION_KINDS)
    states: dict[object, Handlers] = {
        KIND: [
            on_button(rf"^forum:kind:({kinds})$", choose_kind),
            on_button(BACK, back),
        ],
        TEXT: [MessageHandler(TYPED, take_text), on_button(BACK, back)],
        NAME: [
            on_button(r"^forum:anon$", anonymous),
            MessageHandler(TYPED, take_name),
            on_button(BACK, back),
        ],
        CONFIRM: [
            on_button(r"^forum:notify:(on|off)$", toggle_notify),
            on_button(r"^forum:send:[0-9a-f]{12}$", send),
            on_button(BACK, back),
        ],
        ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
    }
    return exclusive_conversation(
        "forum-ask",
        entry_points=[on_button(r"^forum:ask:\d{1,9}$", start)],
        states=states,
        fallbacks=[
            CommandHandler("cancel", cancel),
            on_button(r"^cancel$", cancel),
            CommandHandler("start", restart),
            on_button(r"^(forum|menu|tip|status):", stale),
            MessageHandler(OTHER_COMMAND, busy),
            MessageHandler(MESSAGE & ~filters.COMMAND, use_buttons),
        ],
        timeout_minutes=DRAFT_MINUTES,
    )


def register(application: TinbaoApp) -> None:
    """The conversation, in the group before the common handlers."""
    application.add_handler(cast(Any, build()), group=GROUP)
