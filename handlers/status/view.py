"""/status, the receipt, and the tip as the tipster sees it: status in plain words and the
thread with the officers' replies; Refresh and Close."""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup
from telegram import InlineKeyboardMarkup, Message, Update

from handlers.context import Context, core_of, language_of, private_only
from handlers.flow import (
    SESSION_KEY,
    Trail,
    category_label,
    delete_quietly,
    delete_trail,
    end_flows,
    excerpt,
    send,
    show,
)
from handlers.i18n import Language, plain, t
from handlers.menu import alert, answer, button, keyboard, main_menu, menu_again
from handlers.status.session import (
    END,
    RECEIPT,
    VIEW,
    Session,
    back_keyboard,
    retry_minutes,
    session_of,
    with_session,
    with_tip,
)
from storage import tip_limits, tips
from storage.tips import TipsterView

VIETNAM = dt.timezone(dt.timedelta(hours=7))
# Room for the thread in one message (Telegram allows 4096 characters).
THREAD_ROOM = 3000
REPLY_ROOM = 1500


def when(moment: dt.datetime) -> str:
    """A time as a Vietnamese resident reads it: 25/04/2026 14:05 (UTC+7)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def _view_buttons(language: Language) -> InlineKeyboardMarkup:
    return keyboard(
        [
            button(language, "status.add", "status:add"),
            button(language, "status.file", "status:file"),
        ],
        [
            button(language, "status.refresh", "status:refresh"),
            button(language, "status.close", "status:close"),
        ],
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
                text=excerpt(entry.text or "", REPLY_ROOM),
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


@private_only
async def start_status(update: Update, context: Context) -> str:
    """/status or the menu button: ask for the receipt."""
    language = await language_of(update, context)
    chat = update.effective_chat
    assert chat is not None and context.user_data is not None
    await answer(update)
    ended = end_flows(context)
    session = Session(trail=Trail(chat.id))
    session.trail.note(update)
    context.user_data[SESSION_KEY] = session
    text = t(language, "status.ask")
    if ended.draft:
        text = t(language, "flow.draft_discarded") + "\n\n" + text
    await send(context, session.trail, text, back_keyboard(language))
    return RECEIPT


@with_session
async def take_receipt(update: Update, context: Context, session: Session) -> str:
    """The typed receipt: delete it, count the attempt, then open the tip or say not found."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and message.text is not None and user is not None
    language = await language_of(update, context)
    typed = message.text
    # Out of the chat first: a phone left unlocked must not show it.
    if not await delete_quietly(message):
        session.trail.note(update)
    core = core_of(context)
    refusal = tip_limits.claim_receipt_attempt(core, user.id)
    if refusal is not None:
        text = t(language, "status.throttled", minutes=retry_minutes(refusal))
        await send(context, session.trail, text, back_keyboard(language))
        return RECEIPT
    access = await tips.unlock_with_receipt(core, typed)
    view = await tips.tipster_view(core, access) if access is not None else None
    if access is None or view is None:
        await send(context, session.trail, t(language, "status.not_found"), back_keyboard(language))
        return RECEIPT
    session.access, session.ref, session.attachments = access, view.ref, view.attachments
    await send(context, session.trail, render_view(language, view), _view_buttons(language))
    return VIEW


async def show_view(update: Update, context: Context, session: Session, *, new: bool) -> str | int:
    """The tip as it is now: in a new message, or in the pressed button's."""
    language = await language_of(update, context)
    view = await tips.tipster_view(core_of(context), session.unlocked)
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


@with_tip(answer=False)
async def refresh(update: Update, context: Context, session: Session) -> str | int:
    """Read the tip again (new replies, new status)."""
    language = await language_of(update, context)
    await answer(update, plain(language, "status.refreshed"))
    return await show_view(update, context, session, new=False)


async def close(update: Update, context: Context) -> int:
    """Close: forget the unlocked tip and delete this visit's messages from the chat."""
    language = await language_of(update, context)
    session = session_of(context)
    end_flows(context)
    await answer(update, plain(language, "status.closed"))
    if session is not None:
        query = update.callback_query
        if query is not None and isinstance(query.message, Message):
            session.trail.add(query.message.message_id)
        await delete_trail(context, session.trail)
        await menu_again(context.bot, session.trail.chat_id, language)
    return END


async def back_to_menu(update: Update, context: Context) -> int:
    """Back from the receipt prompt: the main menu."""
    language = await language_of(update, context)
    await answer(update)
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
        await send(context, session.trail, t(language, "status.ask_again"), back_keyboard(language))
    return RECEIPT


async def button_outside(update: Update, context: Context) -> None:
    """A status button after the session ended (closed, timed out, or a restart)."""
    language = await language_of(update, context)
    await alert(update, plain(language, "status.expired"))
