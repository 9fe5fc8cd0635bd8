"""Files a resident sends: what Telegram says about them, the download, the clean copy,
and the question asked before a file that cannot be cleaned is sent as it is."""

from __future__ import annotations

import asyncio
import mimetypes
from dataclasses import dataclass, field

from telegram import Bot, InlineKeyboardButton, Message, Update
from telegram.error import BadRequest

from handlers.i18n import Language, plain, t
from handlers.menu import callback_arg
from storage.media import (
    MAX_DOWNLOAD_BYTES,
    MediaRefused,
    NotCleanable,
    check_declared,
    prepare_attachment,
)
from storage.tips import NewAttachment


@dataclass(frozen=True)
class Incoming:
    """A file as announced in a message, before anything is downloaded."""

    kind: str
    file_id: str
    mime_type: str | None
    size: int | None


def incoming_file(message: Message) -> Incoming | None:
    """The file a message carries (largest photo size), or None for anything else."""
    if message.photo:
        largest = message.photo[-1]
        return Incoming("photo", largest.file_id, "image/jpeg", largest.file_size)
    if message.video is not None:
        video = message.video
        return Incoming("video", video.file_id, video.mime_type or "video/mp4", video.file_size)
    if message.video_note is not None:
        note = message.video_note
        return Incoming("video", note.file_id, "video/mp4", note.file_size)
    if message.animation is not None:
        animation = message.animation
        mime = animation.mime_type or "video/mp4"
        return Incoming("video", animation.file_id, mime, animation.file_size)
    if message.voice is not None:
        voice = message.voice
        return Incoming("voice", voice.file_id, voice.mime_type or "audio/ogg", voice.file_size)
    if message.audio is not None:
        audio = message.audio
        return Incoming("audio", audio.file_id, audio.mime_type or "audio/mpeg", audio.file_size)
    if message.document is not None:
        document = message.document
        declared = document.mime_type or mimetypes.guess_type(document.file_name or "")[0]
        return Incoming("document", document.file_id, declared, document.file_size)
    return None


def precheck(incoming: Incoming) -> None:
    """Refuse a file by its announced type and size, before spending a download on it."""
    check_declared(incoming.mime_type, incoming.size)


async def download(bot: Bot, incoming: Incoming) -> bytes:
    """Download a file through the Bot API, refusing what is too big (raises MediaRefused)."""
    precheck(incoming)
    try:
        telegram_file = await bot.get_file(incoming.file_id)
    except BadRequest as exc:
        if "too big" in exc.message.lower():
            raise MediaRefused("size") from None
        raise
    if telegram_file.file_size is not None and telegram_file.file_size > MAX_DOWNLOAD_BYTES:
        raise MediaRefused("size")
    data = bytes(await telegram_file.download_as_bytearray())
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise MediaRefused("size")
    return data


async def prepare(
    incoming: Incoming, data: bytes, number: int, *, send_as_is: bool = False
) -> NewAttachment:
    """The clean copy (MediaRefused; NotCleanable unless the resident chose `send_as_is`)."""
    # Decoding and rewriting a picture or a PDF takes CPU: keep it off the loop.
    return await asyncio.to_thread(
        prepare_attachment,
        incoming.kind,
        incoming.mime_type,
        data,
        number,
        send_as_is=send_as_is,
    )


@dataclass
class Pending:
    """A downloaded file that cannot be cleaned, held in memory until the resident decides."""

    incoming: Incoming
    data: bytes = field(repr=False)
    # What it would be stored as ("video", "audio"…), for the question.
    kind: str
    # Names the question's buttons, so an old button cannot answer for another file.
    number: int


async def receive(
    bot: Bot, message: Message, number: int, pending_number: int
) -> NewAttachment | Pending:
    """The file of `message`, downloaded and cleaned as attachment `number`; or held as a
    `Pending` (numbered `pending_number`) when it cannot be cleaned. Raises MediaRefused."""
    incoming = incoming_file(message)
    if incoming is None:
        raise MediaRefused("type")
    data = await download(bot, incoming)
    try:
        return await prepare(incoming, data, number)
    except NotCleanable as unclean:
        # Held until the resident says: send it as it is, or drop it.
        return Pending(incoming, data, unclean.kind, pending_number)


def consent_text(language: Language, pending: Pending) -> str:
    """'This video may tell where it was recorded and on what phone: send as it is?'"""
    return t(language, "tip.as_is.ask", file=plain(language, f"tip.file.{pending.kind}"))


def consent_answer(update: Update, pending: list[Pending]) -> tuple[Pending, bool] | None:
    """The waiting file a pressed "send as it is" / "drop" button answers, taken off the
    queue, and whether to send it; None when the button asks about another file."""
    number, choice = int(callback_arg(update, 2)), callback_arg(update, 3)
    if not pending or pending[0].number != number:
        return None
    return pending.pop(0), choice == "send"


def consent_note(language: Language, pending: Pending, *, kept: bool) -> str:
    """'The video is added as it is.' or 'The video was dropped.'"""
    key = "tip.as_is.kept" if kept else "tip.as_is.dropped"
    return t(language, key, file=plain(language, f"tip.file.{pending.kind}"))


def consent_buttons(
    language: Language, prefix: str, number: int
) -> list[list[InlineKeyboardButton]]:
    """Send as it is, or drop: `<prefix>:<number>:send|drop`."""
    return [
        [
            InlineKeyboardButton(
                plain(language, "tip.as_is.send"), callback_data=f"{prefix}:{number}:send"
            )
        ],
        [
            InlineKeyboardButton(
                plain(language, "tip.as_is.drop"), callback_data=f"{prefix}:{number}:drop"
            )
        ],
    ]
