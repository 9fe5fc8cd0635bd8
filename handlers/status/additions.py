"""Adding to a tip through /status: one more message of text, or files, each cleaned and
sealed as it arrives (one that cannot be cleaned waits for "send as it is" or "drop")."""

from __future__ import annotations

import dataclasses

from telegram import InlineKeyboardMarkup, Update

from handlers.context import Context, core_of, language_of
from handlers.flow import rewrite, send, show, stale_button
from handlers.i18n import Language, plain, t
from handlers.media import (
    Pending,
    consent_answer,
    consent_buttons,
    consent_note,
    consent_text,
    prepare,
    receive,
)
from handlers.menu import alert, answer, back_cancel_row, button, keyboard
from handlers.status.session import (
    ADD_FILES,
    ADD_TEXT,
    VIEW,
    Session,
    back_keyboard,
    retry_minutes,
    session_of,
    with_tip,
)
from handlers.status.view import show_view
from storage import tip_limits, tips
from storage.media import MediaRefused
from storage.tips import MAX_TEXT, NewAttachment


async def _may_add(update: Update, context: Context, session: Session, *, files: bool) -> bool:
    """Say at once (a pop-up) when the follow-up limit or the tip's file cap is reached."""
    language = await language_of(update, context)
    core, user = core_of(context), update.effective_user
    refusal = tip_limits.follow_up_refusal(core, user.id) if user is not None else None
    cap = core.settings.limits.attachments_per_tip
    if refusal is not None:
        text = plain(language, "status.follow_up_limit", minutes=retry_minutes(refusal))
    elif files and session.attachments >= cap:
        text = plain(language, "status.files_full", maximum=cap)
    else:
        return True
    await alert(update, text)
    return False


@with_tip(answer=False)
async def ask_text(update: Update, context: Context, session: Session) -> str:
    """'Add information': ask for one message of text."""
    if not await _may_add(update, context, session, files=False):
        return VIEW
    language = await language_of(update, context)
    await answer(update)
    text = t(language, "status.add_ask", ref=session.ref)
    await show(update, context, session.trail, text, back_keyboard(language))
    return ADD_TEXT


@with_tip
async def take_text(update: Update, context: Context, session: Session) -> str | int:
    """The added information: sealed to the console key like the tip."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and message.text is not None
    language = await language_of(update, context)
    text = message.text.strip()
    if len(text) > MAX_TEXT or len(text) < 2:
        key = "status.add_too_long" if len(text) > MAX_TEXT else "status.add_too_short"
        await send(
            context, session.trail, t(language, key, maximum=MAX_TEXT), back_keyboard(language)
        )
        return ADD_TEXT
    try:
        await tips.add_follow_up(
            core_of(context), session.unlocked, text, resident=user.id if user else None
        )
    except tip_limits.OverLimit as over:
        reply = t(language, "status.follow_up_limit", minutes=retry_minutes(over.refusal))
        await send(context, session.trail, reply, back_keyboard(language))
        return ADD_TEXT
    await send(context, session.trail, t(language, "status.added", ref=session.ref))
    return await show_view(update, context, session, new=True)


@with_tip(answer=False)
async def ask_files(update: Update, context: Context, session: Session) -> str:
    """'Add a file': each file goes into the tip as it arrives."""
    if not await _may_add(update, context, session, files=True):
        return VIEW
    language = await language_of(update, context)
    await answer(update)
    session.files_added, session.files_status_id, session.pending = 0, None, []
    text = t(language, "status.files_ask")
    await show(update, context, session.trail, text, _files_keyboard(language, session))
    return ADD_FILES


def _files_keyboard(language: Language, session: Session) -> InlineKeyboardMarkup:
    back = back_cancel_row(language, "status:back")
    if session.pending:
        return keyboard(*consent_buttons(language, "status:asis", session.pending[0].number), back)
    return keyboard([button(language, "status.files_done", "status:done")], back)


def _files_text(language: Language, session: Session) -> str:
    if session.pending:
        return consent_text(language, session.pending[0])
    return t(language, "status.file_added", count=session.files_added, ref=session.ref)


async def _files_message(
    context: Context, session: Session, language: Language, *, reply_to: int | None = None
) -> None:
    """Update the files message in place, or send a new one (under `reply_to`)."""
    text, markup = _files_text(language, session), _files_keyboard(language, session)
    session.files_status_id = await rewrite(
        context, session.trail, session.files_status_id, text, markup, reply_to=reply_to
    )


async def _store_file(
    update: Update, context: Context, session: Session, attachment: NewAttachment
) -> str | None:
    """Add one file to the tip; the reason in words when it cannot be added."""
    language, user = await language_of(update, context), update.effective_user
    # Follow-ups keep the cleaned copy only: nobody was asked about a photo's original.
    cleaned = dataclasses.replace(attachment, original=None)
    try:
        await tips.add_follow_up(
            core_of(context), session.unlocked, "", [cleaned], resident=user.id if user else None
        )
    except tip_limits.OverLimit as over:
        return t(language, "status.follow_up_limit", minutes=retry_minutes(over.refusal))
    except tips.TooManyFiles:
        cap = core_of(context).settings.limits.attachments_per_tip
        return t(language, "status.files_full", maximum=cap)
    session.files_added += 1
    session.attachments += 1
    return None


@with_tip
async def take_file(update: Update, context: Context, session: Session) -> str:
    """A file for the tip: checked, cleaned and sealed right away (or asked about first)."""
    message = update.effective_message
    assert message is not None
    language = await language_of(update, context)
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
        number = session.files_added + 1
        attachment = await receive(context.bot, message, number, session.pending_seq + 1)
    except MediaRefused as refused:
        reply = t(language, f"tip.files.refused_{refused.reason}")
        await send(context, session.trail, reply, reply_to=message.message_id)
        return ADD_FILES
    if isinstance(attachment, Pending):
        session.pending_seq = attachment.number
        session.pending.append(attachment)
        session.files_status_id = None  # asked right under the file, in a new message
        await _files_message(context, session, language, reply_to=message.message_id)
        return ADD_FILES
    problem = await _store_file(update, context, session, attachment)
    if problem is not None:
        await send(context, session.trail, problem, reply_to=message.message_id)
        return ADD_FILES
    await _files_message(context, session, language)
    return ADD_FILES


@with_tip(answer=False)
async def choose_as_is(update: Update, context: Context, session: Session) -> str:
    """The answer about a file that cannot be cleaned: send it as it is, or drop it."""
    answered = consent_answer(update, session.pending)
    if answered is None:
        await stale_button(update, context)
        return ADD_FILES
    await answer(update)
    language = await language_of(update, context)
    pending, send_it = answered
    problem = None
    if send_it:
        attachment = await prepare(
            pending.incoming, pending.data, session.files_added + 1, send_as_is=True
        )
        problem = await _store_file(update, context, session, attachment)
    text = problem or consent_note(language, pending, kept=send_it)
    text += "\n\n" + _files_text(language, session)
    await show(update, context, session.trail, text, _files_keyboard(language, session))
    session.files_status_id = session.trail.prompt_id
    return ADD_FILES


@with_tip
async def back_to_view(update: Update, context: Context, session: Session) -> str | int:
    """Back (or Done) from adding: the tip again."""
    return await show_view(update, context, session, new=False)


async def files_other(update: Update, context: Context) -> str:
    """Text while files are expected."""
    session = session_of(context)
    language = await language_of(update, context)
    if session is not None:
        session.trail.note(update)
        hint = t(language, "status.files_hint")
        await send(context, session.trail, hint, _files_keyboard(language, session))
        session.files_status_id = None
    return ADD_FILES
