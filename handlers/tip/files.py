"""Step 4 of /tip: photos, videos, voice notes and PDFs, cleaned as they arrive (one that
cannot be cleaned waits for "send as it is" or "drop"), then whether to keep originals."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from handlers.context import Context, core_of, language_of
from handlers.flow import rewrite, send, show, stale_button
from handlers.i18n import Language, t
from handlers.media import (
    Pending,
    consent_answer,
    consent_buttons,
    consent_note,
    consent_text,
    incoming_file,
    prepare,
    receive,
)
from handlers.menu import answer, back_cancel_row, button, callback_arg, keyboard
from handlers.tip.draft import FILES, ORIGINALS, Draft, files_named, with_draft
from handlers.tip.submit import ask_contact
from storage.media import MediaRefused

# All files of one draft together, held in memory until the tip is sent.
MAX_DRAFT_BYTES = 60 * 1024 * 1024


def _files_keyboard(language: Language, draft: Draft) -> InlineKeyboardMarkup:
    back = back_cancel_row(language, "tip:back")
    if draft.pending:
        return keyboard(*consent_buttons(language, "tip:asis", draft.pending[0].number), back)
    key = "tip.files.continue" if draft.attachments else "tip.files.none"
    return keyboard([button(language, key, "tip:files:done")], back)


def _files_status(context: Context, language: Language, draft: Draft) -> str:
    """What was received, or the question about a file that cannot be cleaned."""
    if draft.pending:
        return consent_text(language, draft.pending[0])
    return t(
        language,
        "tip.files.received",
        count=len(draft.attachments),
        maximum=core_of(context).settings.limits.attachments_per_tip,
        files=files_named(language, draft),
    )


async def _files_status_message(
    context: Context, draft: Draft, language: Language, *, reply_to: int | None = None
) -> None:
    """Update the files message in place, or send a new one (under `reply_to`)."""
    text, markup = _files_status(context, language, draft), _files_keyboard(language, draft)
    draft.files_status_id = await rewrite(
        context, draft.trail, draft.files_status_id, text, markup, reply_to=reply_to
    )


async def ask_files(update: Update, context: Context, draft: Draft) -> str:
    """Step 4: photos, videos, voice notes, PDFs; several, or none."""
    language = await language_of(update, context)
    limit = core_of(context).settings.limits.attachments_per_tip
    text = t(language, "tip.files.ask", maximum=limit)
    if draft.attachments or draft.pending:
        text += "\n\n" + _files_status(context, language, draft)
    await show(update, context, draft.trail, text, _files_keyboard(language, draft))
    draft.files_status_id = draft.trail.prompt_id if draft.attachments or draft.pending else None
    return FILES


@with_draft
async def receive_file(update: Update, context: Context, draft: Draft) -> str:
    """A photo, video, voice note, audio or document: check, download, strip, keep."""
    message = update.effective_message
    assert message is not None
    language = await language_of(update, context)
    limit = core_of(context).settings.limits.attachments_per_tip
    if incoming_file(message) is None:
        reply = t(language, "tip.files.refused_type")
        await send(context, draft.trail, reply, reply_to=message.message_id)
        return FILES
    if len(draft.attachments) + len(draft.pending) >= limit:
        reply = t(language, "tip.files.too_many", maximum=limit)
        await send(context, draft.trail, reply, reply_to=message.message_id)
        return FILES
    try:
        number = len(draft.attachments) + 1
        prepared = await receive(context.bot, message, number, draft.pending_seq + 1)
    except MediaRefused as refused:
        reply = t(language, f"tip.files.refused_{refused.reason}")
        await send(context, draft.trail, reply, reply_to=message.message_id)
        return FILES
    if isinstance(prepared, Pending):
        size = len(prepared.data)
    else:
        size = len(prepared.data) + len(prepared.original or b"")
    if draft.held_bytes + size > MAX_DRAFT_BYTES:
        reply = t(language, "tip.files.too_much", maximum=MAX_DRAFT_BYTES // (1024 * 1024))
        await send(context, draft.trail, reply, reply_to=message.message_id)
        return FILES
    if isinstance(prepared, Pending):
        draft.pending_seq = prepared.number
        draft.pending.append(prepared)
        if len(draft.pending) == 1:  # asked right under the file, in a new files message
            draft.files_status_id = None
        await _files_status_message(context, draft, language, reply_to=message.message_id)
        return FILES
    draft.attachments.append(prepared)
    await _files_status_message(context, draft, language)
    return FILES


@with_draft(answer=False)
async def choose_as_is(update: Update, context: Context, draft: Draft) -> str:
    """The answer about a file that cannot be cleaned: send it as it is, or drop it."""
    answered = consent_answer(update, draft.pending)
    if answered is None:
        await stale_button(update, context)
        return FILES
    await answer(update)
    language = await language_of(update, context)
    pending, send_it = answered
    if send_it:
        position = len(draft.attachments) + 1
        draft.attachments.append(
            await prepare(pending.incoming, pending.data, position, send_as_is=True)
        )
    text = consent_note(language, pending, kept=send_it)
    text += "\n\n" + _files_status(context, language, draft)
    await show(update, context, draft.trail, text, _files_keyboard(language, draft))
    draft.files_status_id = draft.trail.prompt_id
    return FILES


@with_draft
async def files_other(update: Update, context: Context, draft: Draft) -> str:
    """Text or a sticker while files are expected."""
    language = await language_of(update, context)
    hint = t(language, "tip.files.hint")
    await send(context, draft.trail, hint, _files_keyboard(language, draft))
    draft.files_status_id = draft.trail.prompt_id if draft.attachments else None
    return FILES


@with_draft(answer=False)
async def files_done(update: Update, context: Context, draft: Draft) -> str:
    """Continue after the files: originals question if a photo was cleaned, else contact."""
    if draft.pending:  # an old Continue button: the question about a file comes first
        await stale_button(update, context)
        return FILES
    await answer(update)
    if draft.has_originals:
        return await ask_originals(update, context, draft)
    draft.keep_originals = False
    return await ask_contact(update, context, draft)


async def ask_originals(update: Update, context: Context, draft: Draft) -> str:
    """Only when a photo was cleaned: keep the untouched original as sealed evidence?"""
    language = await language_of(update, context)
    markup = keyboard(
        [button(language, "tip.originals.no", "tip:orig:no")],
        [button(language, "tip.originals.yes", "tip:orig:yes")],
        back_cancel_row(language, "tip:back"),
    )
    await show(update, context, draft.trail, t(language, "tip.originals.ask"), markup)
    return ORIGINALS


@with_draft
async def choose_originals(update: Update, context: Context, draft: Draft) -> str:
    """Yes or no to keeping the originals."""
    draft.keep_originals = callback_arg(update, 2) == "yes"
    return await ask_contact(update, context, draft)


async def ask_last_files_step(update: Update, context: Context, draft: Draft) -> str:
    """Back from the contact choice: the originals question if it was asked, else the files."""
    if draft.has_originals:
        return await ask_originals(update, context, draft)
    return await ask_files(update, context, draft)
