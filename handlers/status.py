"""/status: come back with the receipt — status in plain words, officer replies, add more.

The receipt the resident types is deleted from the chat at once; attempts are counted
per resident in the bot's memory only (storage.limits). The unlocked tip stays in memory
for the session only. Additions keep to the tip's file cap and an hourly limit per
resident; a file that cannot be cleaned is added only once the resident chooses to send
it as it is. The flow runs inside the resident conversation built by handlers.tip.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.context import Context, TinbaoApp, core_of, language_of, private_only
from handlers.flow import (
    SESSION_KEY,
    Trail,
    category_label,
    delete_quietly,
    delete_trail,
    edit,
    end_flows,
    send,
    show,
)
from handlers.i18n import Language, plain, t
from handlers.media import (
    Pending,
    consent_buttons,
    consent_text,
    download,
    incoming_file,
    prepare,
)
from handlers.menu import back_cancel_row, main_menu
from storage import tip_limits, tips
from storage.media import MediaRefused, NotCleanable
from storage.tips import MAX_TEXT, NewAttachment, TipsterAccess, TipsterView

COMMANDS = ("status",)

RECEIPT = "status.receipt"
VIEW = "status.view"
ADD_TEXT = "status.add_text"
ADD_FILES = "status.add_files"

END = ConversationHandler.END
VIETNAM = dt.timezone(dt.timedelta(hours=7))
# Room for the thread in one message (Telegram allows 4096 characters).
THREAD_ROOM = 3000
REPLY_ROOM = 1500

PRIVATE = filters.ChatType.PRIVATE
MESSAGE = filters.UpdateType.MESSAGE & PRIVATE
TYPED = MESSAGE & filters.TEXT & ~filters.COMMAND
FILE_MESSAGES = MESSAGE & (
    filters.PHOTO
    | filters.Document.ALL
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.VOICE
    | filters.AUDIO
)


@dataclass
class Session:
    """One /status visit: the receipt's access lives here, in memory, until it ends."""

    trail: Trail
    access: TipsterAccess | None = None
    ref: str = ""
    files_status_id: int | None = None
    files_added: int = 0
    # Files the tip carries already (one tip carries at most `attachments_per_tip`).
    attachments: int = 0
    # Files that cannot be cleaned, waiting for "send as it is" or "drop", oldest first.
    pending: list[Pending] = field(default_factory=list, repr=False)
    pending_seq: int = 0


def session_of(context: Context) -> Session | None:
    """The resident's open status session, if any."""
    found = (context.user_data or {}).get(SESSION_KEY)
    return found if isinstance(found, Session) else None


def when(moment: dt.datetime) -> str:
    """A time as a Vietnamese resident reads it: 25/04/2026 14:05 (UTC+7)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def _view_buttons(language: Language) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(plain(language, "status.add"), callback_data="status:add"),
                InlineKeyboardButton(plain(language, "status.file"), callback_data="status:file"),
            ],
            [
                InlineKeyboardButton(
                    plain(language, "status.refresh"), callback_data="status:refresh"
                ),
                InlineKeyboardButton(plain(language, "status.close"), callback_data="status:close"),
            ],
        ]
    )


def render_view(language: Language, view: TipsterView) -> str:
    """Status in plain words, the reference, and the thread, newest replies kept."""
    entries: list[str] = []
    room = THREAD_ROOM
    for entry in reversed(view.thread):
        if entry.direction == "officer":
            line = t(
                language,
                "status.entry.officer",
                when=when(entry.created_at),
                text=_cut(entry.text or "", REPLY_ROOM),
            )
        else:
            line = t(language, "status.entry.tipster", when=when(entry.created_at))
        if len(line) > room:
            entries.append(t(language, "status.entry.older"))
            break
        room -= len(line)
        entries.append(line)
    entries.reverse()
    thread = "\n\n".join(entries) if entries else t(language, "status.entry.none")
    state = view.status if view.status != "closed" else f"closed.{view.outcome or 'actioned'}"
    return t(
        language,
        "status.view",
        ref=view.ref,
        category=category_label(language, view.category),
        sent=when(view.created_at),
        updated=when(view.updated_at),
        status=plain(language, f"status.state.{state}"),
        meaning=plain(language, f"status.meaning.{state}"),
        # Each entry is a catalog text with its parameters escaped.
        thread=Markup(thread),  # noqa: S704
    )


# ---- entry and the receipt --------------------------------------------------------------


@private_only
async def start_status(update: Update, context: Context) -> str:
    """/status or the menu button: ask for the receipt."""
    language = await language_of(update, context)
    chat = update.effective_chat
    assert chat is not None and context.user_data is not None
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    ended = end_flows(context)
    session = Session(trail=Trail(chat.id))
    session.trail.note(update)
    context.user_data[SESSION_KEY] = session
    text = t(language, "status.ask")
    if ended.draft:
        text = t(language, "flow.draft_discarded") + "\n\n" + text
    await send(
        context,
        session.trail,
        text,
        InlineKeyboardMarkup([back_cancel_row(language, "status:back")]),
    )
    return RECEIPT


async def take_receipt(update: Update, context: Context) -> str | int:
    """The typed receipt: delete it, count the attempt, then open the tip or say not found."""
    session = session_of(context)
    message = update.effective_message
    user = update.effective_user
    if session is None or message is None or message.text is None or user is None:
        return END
    language = await language_of(update, context)
    typed = message.text
    # Out of the chat first: a phone left unlocked must not show it.
    if not await delete_quietly(message):
        session.trail.note(update)
    core = core_of(context)
    again = InlineKeyboardMarkup([back_cancel_row(language, "status:back")])
    refusal = tip_limits.claim_receipt_attempt(core, user.id)
    if refusal is not None:
        minutes = max(1, round(refusal.retry_after_seconds / 60))
        await send(context, session.trail, t(language, "status.throttled", minutes=minutes), again)
        return RECEIPT
    access = await tips.unlock_with_receipt(core, typed)
    view = await tips.tipster_view(core, access) if access is not None else None
    if access is None or view is None:
        await send(context, session.trail, t(language, "status.not_found"), again)
        return RECEIPT
    session.access, session.ref, session.attachments = access, view.ref, view.attachments
    await send(context, session.trail, render_view(language, view), _view_buttons(language))
    return VIEW


async def _show_view(update: Update, context: Context, session: Session, *, new: bool) -> str | int:
    language = await language_of(update, context)
    assert session.access is not None
    view = await tips.tipster_view(core_of(context), session.access)
    if view is None:
        end_flows(context)
        await send(context, session.trail, t(language, "status.gone"), main_menu(language))
        return END
    session.attachments = view.attachments
    text, markup = render_view(language, view), _view_buttons(language)
    if new:
        await send(context, session.trail, text, markup)
    else:
        await show(update, context, session.trail, text, markup)
    return VIEW


async def _answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(text, show_alert=alert)


async def refresh(update: Update, context: Context) -> str | int:
    """Read the tip again (new replies, new status)."""
    session = session_of(context)
    if session is None or session.access is None:
        return END
    language = await language_of(update, context)
    await _answer(update, plain(language, "status.refreshed"))
    return await _show_view(update, context, session, new=False)


async def close(update: Update, context: Context) -> int:
    """Close: forget the unlocked tip and delete this visit's messages from the chat."""
    language = await language_of(update, context)
    session = session_of(context)
    end_flows(context)
    await _answer(update, plain(language, "status.closed"))
    if session is not None:
        query = update.callback_query
        if query is not None and isinstance(query.message, Message):
            session.trail.add(query.message.message_id)
        await delete_trail(context, session.trail)
        await context.bot.send_message(
            session.trail.chat_id,
            t(language, "start.menu_again"),
            parse_mode="HTML",
            reply_markup=main_menu(language),
        )
    return END


async def back_to_menu(update: Update, context: Context) -> int:
    """Back from the receipt prompt: the main menu."""
    language = await language_of(update, context)
    await _answer(update)
    end_flows(context)
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        await query.message.edit_text(
            t(language, "start.menu_again"), parse_mode="HTML", reply_markup=main_menu(language)
        )
    return END


async def receipt_not_text(update: Update, context: Context) -> str:
    """A file or sticker where the receipt is expected."""
    session = session_of(context)
    language = await language_of(update, context)
    if session is not None:
        session.trail.note(update)
        again = InlineKeyboardMarkup([back_cancel_row(language, "status:back")])
        await send(context, session.trail, t(language, "status.ask_again"), again)
    return RECEIPT


# ---- adding information -----------------------------------------------------------------


def _minutes(refusal: tip_limits.Refusal) -> int:
    return max(1, round(refusal.retry_after_seconds / 60))


async def _may_add(update: Update, context: Context, session: Session, *, files: bool) -> bool:
    """Say at once (a pop-up) when the follow-up limit or the tip's file cap is reached."""
    language = await language_of(update, context)
    core, user = core_of(context), update.effective_user
    refusal = tip_limits.follow_up_refusal(core, user.id) if user is not None else None
    cap = core.settings.limits.attachments_per_tip
    if refusal is not None:
        text = plain(language, "status.follow_up_limit", minutes=_minutes(refusal))
    elif files and session.attachments >= cap:
        text = plain(language, "status.files_full", maximum=cap)
    else:
        return True
    await _answer(update, text, alert=True)
    return False


async def ask_text(update: Update, context: Context) -> str | int:
    """'Add information': ask for one message of text."""
    session = session_of(context)
    if session is None or session.access is None:
        return END
    if not await _may_add(update, context, session, files=False):
        return VIEW
    language = await language_of(update, context)
    await _answer(update)
    markup = InlineKeyboardMarkup([back_cancel_row(language, "status:back")])
    await show(
        update, context, session.trail, t(language, "status.add_ask", ref=session.ref), markup
    )
    return ADD_TEXT


async def take_text(update: Update, context: Context) -> str | int:
    """The added information: sealed to the console key like the tip."""
    session = session_of(context)
    message, user = update.effective_message, update.effective_user
    if session is None or session.access is None or message is None or message.text is None:
        return END
    language = await language_of(update, context)
    session.trail.note(update)
    text = message.text.strip()
    markup = InlineKeyboardMarkup([back_cancel_row(language, "status:back")])
    if len(text) > MAX_TEXT or len(text) < 2:
        key = "status.add_too_long" if len(text) > MAX_TEXT else "status.add_too_short"
        await send(context, session.trail, t(language, key, maximum=MAX_TEXT), markup)
        return ADD_TEXT
    try:
        await tips.add_follow_up(
            core_of(context), session.access, text, resident=user.id if user else None
        )
    except tip_limits.OverLimit as over:
        reply = t(language, "status.follow_up_limit", minutes=_minutes(over.refusal))
        await send(context, session.trail, reply, markup)
        return ADD_TEXT
    await send(context, session.trail, t(language, "status.added", ref=session.ref))
    return await _show_view(update, context, session, new=True)


async def ask_files(update: Update, context: Context) -> str | int:
    """'Add a file': each file goes into the tip as it arrives."""
    session = session_of(context)
    if session is None or session.access is None:
        return END
    if not await _may_add(update, context, session, files=True):
        return VIEW
    language = await language_of(update, context)
    await _answer(update)
    session.files_added, session.files_status_id, session.pending = 0, None, []
    await show(
        update,
        context,
        session.trail,
        t(language, "status.files_ask"),
        _files_keyboard(language, session),
    )
    return ADD_FILES


def _files_keyboard(language: Language, session: Session) -> InlineKeyboardMarkup:
    back = back_cancel_row(language, "status:back")
    if session.pending:
        rows = consent_buttons(language, "status:asis", session.pending[0].number)
        return InlineKeyboardMarkup([*rows, back])
    done = InlineKeyboardButton(plain(language, "status.files_done"), callback_data="status:done")
    return InlineKeyboardMarkup([[done], back])


def _files_text(language: Language, session: Session) -> str:
    if session.pending:
        return consent_text(language, session.pending[0])
    return t(language, "status.file_added", count=session.files_added, ref=session.ref)


async def _files_message(
    context: Context, session: Session, language: Language, *, reply_to: int | None = None
) -> None:
    """Update the files message in place, or send a new one (under `reply_to`)."""
    text, markup = _files_text(language, session), _files_keyboard(language, session)
    if session.files_status_id is None or not await edit(
        context, session.trail, session.files_status_id, text, markup
    ):
        sent = await send(context, session.trail, text, markup, reply_to=reply_to)
        session.files_status_id = sent.message_id


async def _store_file(
    update: Update, context: Context, session: Session, attachment: NewAttachment
) -> str | None:
    """Add one file to the tip; the reason in words when it cannot be added."""
    assert session.access is not None
    language, user = await language_of(update, context), update.effective_user
    # Follow-ups keep the cleaned copy only: nobody was asked about a photo's original.
    cleaned = dataclasses.replace(attachment, original=None)
    try:
        await tips.add_follow_up(
            core_of(context), session.access, "", [cleaned], resident=user.id if user else None
        )
    except tip_limits.OverLimit as over:
        return t(language, "status.follow_up_limit", minutes=_minutes(over.refusal))
    except tips.TooManyFiles:
        cap = core_of(context).settings.limits.attachments_per_tip
        return t(language, "status.files_full", maximum=cap)
    session.files_added += 1
    session.attachments += 1
    return None


async def take_file(update: Update, context: Context) -> str | int:
    """A file for the tip: checked, cleaned and sealed right away (or asked about first)."""
    session = session_of(context)
    message = update.effective_message
    if session is None or session.access is None or message is None:
        return END
    language = await language_of(update, context)
    session.trail.note(update)
    incoming = incoming_file(message)
    cap = core_of(context).settings.limits.attachments_per_tip
    if session.attachments + len(session.pending) >= cap:
        reply = t(language, "status.files_full", maximum=cap)
        await send(context, session.trail, reply, reply_to=message.message_id)
        return ADD_FILES
    if session.pending:  # one file held in memory at a time, until the resident answers
        reply = t(language, "status.files_answer_first")
        await send(context, session.trail, reply, reply_to=message.message_id)
        return ADD_FILES
    try:
        if incoming is None:
            raise MediaRefused("type")
        data = await download(context.bot, incoming)
        attachment = await prepare(incoming, data, session.files_added + 1)
    except NotCleanable as unclean:
        assert incoming is not None
        session.pending_seq += 1
        session.pending.append(Pending(incoming, data, unclean.kind, session.pending_seq))
        session.files_status_id = None  # asked right under the file, in a new message
        await _files_message(context, session, language, reply_to=message.message_id)
        return ADD_FILES
    except MediaRefused as refused:
        reply = t(language, f"tip.files.refused_{refused.reason}")
        await send(context, session.trail, reply, reply_to=message.message_id)
        return ADD_FILES
    problem = await _store_file(update, context, session, attachment)
    if problem is not None:
        await send(context, session.trail, problem, reply_to=message.message_id)
        return ADD_FILES
    await _files_message(context, session, language)
    return ADD_FILES


async def choose_as_is(update: Update, context: Context) -> str | int:
    """The answer about a file that cannot be cleaned: send it as it is, or drop it."""
    session = session_of(context)
    if session is None or session.access is None:
        return END
    language = await language_of(update, context)
    assert update.callback_query is not None and update.callback_query.data is not None
    _prefix, _action, number, choice = update.callback_query.data.split(":")
    if not session.pending or session.pending[0].number != int(number):
        await _answer(update, plain(language, "flow.stale_button"), alert=True)
        return ADD_FILES
    await _answer(update)
    pending = session.pending.pop(0)
    what = plain(language, f"tip.file.{pending.kind}")
    note = t(language, "tip.as_is.dropped", file=what)
    if choice == "send":
        attachment = await prepare(
            pending.incoming, pending.data, session.files_added + 1, send_as_is=True
        )
        problem = await _store_file(update, context, session, attachment)
        note = problem or t(language, "tip.as_is.kept", file=what)
    text = note + "\n\n" + _files_text(language, session)
    await show(update, context, session.trail, text, _files_keyboard(language, session))
    session.files_status_id = session.trail.prompt_id
    return ADD_FILES


async def back_to_view(update: Update, context: Context) -> str | int:
    """Back (or Done) from adding: the tip again."""
    session = session_of(context)
    if session is None or session.access is None:
        return END
    await _answer(update)
    return await _show_view(update, context, session, new=False)


async def files_other(update: Update, context: Context) -> str:
    """Text while files are expected."""
    session = session_of(context)
    language = await language_of(update, context)
    if session is not None:
        session.trail.note(update)
        await send(
            context,
            session.trail,
            t(language, "status.files_hint"),
            _files_keyboard(language, session),
        )
        session.files_status_id = None
    return ADD_FILES


async def in_group(update: Update, context: Context) -> None:
    """/status in a group: never there."""
    language = await language_of(update, context)
    if update.effective_message is not None:
        await update.effective_message.reply_html(t(language, "group.use_private"))


async def button_outside(update: Update, context: Context) -> None:
    """A status button after the session ended (closed, timed out, or a restart)."""
    language = await language_of(update, context)
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(plain(language, "status.expired"), show_alert=True)


# ---- wiring (into the resident conversation of handlers.tip) ------------------------------


def _cb(pattern: str, callback: Any) -> CallbackQueryHandler[Context, Any]:
    return CallbackQueryHandler(callback, pattern=pattern)


def entry_points() -> list[BaseHandler[Update, Context, Any]]:
    """How the status flow starts."""
    return [
        CommandHandler("status", start_status, filters=PRIVATE),
        _cb(r"^menu:status$", start_status),
    ]


def states() -> dict[object, list[BaseHandler[Update, Context, Any]]]:
    """The steps of the status flow."""
    return {
        RECEIPT: [
            MessageHandler(TYPED, take_receipt),
            _cb(r"^status:back$", back_to_menu),
            MessageHandler(MESSAGE & ~filters.COMMAND, receipt_not_text),
        ],
        VIEW: [
            _cb(r"^status:add$", ask_text),
            _cb(r"^status:file$", ask_files),
            _cb(r"^status:refresh$", refresh),
            _cb(r"^status:close$", close),
        ],
        ADD_TEXT: [
            MessageHandler(TYPED, take_text),
            _cb(r"^status:back$", back_to_view),
        ],
        ADD_FILES: [
            MessageHandler(FILE_MESSAGES, take_file),
            _cb(r"^status:asis:\d{1,4}:(send|drop)$", choose_as_is),
            _cb(r"^status:(back|done)$", back_to_view),
            MessageHandler(MESSAGE & ~filters.COMMAND, files_other),
        ],
    }


def register(application: TinbaoApp) -> None:
    """What answers outside the conversation (the flow itself is wired by handlers.tip)."""
    application.add_handler(CommandHandler("status", in_group, filters=~PRIVATE))
    application.add_handler(
        _cb(r"^status:(add|file|refresh|close|back|done|asis:\d{1,4}:(send|drop))$", button_outside)
    )
