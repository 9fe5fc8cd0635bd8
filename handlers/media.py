"""Files a resident sends: what Telegram says about them, the download, the clean copy."""

from __future__ import annotations

import asyncio
import mimetypes
from dataclasses import dataclass

from telegram import Bot, Message
from telegram.error import BadRequest

from storage.media import MAX_DOWNLOAD_BYTES, MediaRefused, check_declared, prepare_attachment
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


async def fetch(bot: Bot, incoming: Incoming, number: int) -> NewAttachment:
    """Download a file through the Bot API and return its clean copy (raises MediaRefused)."""
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
    # Decoding and re-encoding a picture takes milliseconds of CPU: keep it off the loop.
    return await asyncio.to_thread(
        prepare_attachment, incoming.kind, incoming.mime_type, data, number
    )
