"""Files from residents: which ones a tip may carry, and what they reveal taken out.

A phone photo's metadata (EXIF, GPS, XMP, ICC profile, comments) can tell where and when
it was taken and on which phone; a PDF can name its author, an audio file's tags its
maker. Images are re-encoded from their pixels alone; PDFs and MP3/Ogg/FLAC audio lose
their metadata through storage.scrub. Videos and other audio cannot be cleaned reliably:
they are stored as they are only when the resident, told so, chooses to send them
(`NotCleanable`). Files are only accepted when their first bytes prove the type they
claim; executables, archives and the rest are refused.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError

from storage.scrub import scrub_audio, scrub_pdf
from storage.tips import NewAttachment

# The Bot API lets a bot download files of at most 20 MB (getFile).
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
# Bigger pictures are refused before decoding (a decompression bomb costs memory, not bytes).
MAX_IMAGE_PIXELS = 50_000_000

Family = Literal["image", "video", "audio", "pdf"]
Reason = Literal["type", "size", "unreadable"]

# What a declared MIME type may be. Images are limited to formats Pillow re-encodes.
_IMAGE_TYPES = {"image/jpeg", "image/jpg", "image/pjpeg", "image/png", "image/webp", "image/gif"}
_VIDEO_TYPES = {
    "video/mp4",
    "video/quicktime",
    "video/3gpp",
    "video/3gpp2",
    "video/webm",
    "video/x-matroska",
    "video/x-m4v",
}
_AUDIO_TYPES = {
    "audio/ogg",
    "audio/opus",
    "audio/mpeg",
    "audio/mp3",
    "audio/mp4",
    "audio/m4a",
    "audio/x-m4a",
    "audio/aac",
    "audio/x-aac",
    "audio/wav",
    "audio/x-wav",
    "audio/wave",
    "audio/amr",
    "audio/3gpp",
    "audio/flac",
    "audio/x-flac",
    "audio/webm",
}
_PDF_TYPES = {"application/pdf", "application/x-pdf"}

# Pillow format → (saved as, MIME type, file extension). GIF keeps its first frame as PNG.
_IMAGE_OUTPUT = {
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
    "WEBP": ("WEBP", "image/webp", "webp"),
    "GIF": ("PNG", "image/png", "png"),
}
# Extensions of the stored copy, by MIME type, then by family.
_EXTENSIONS = {
    "audio/ogg": "ogg",
    "audio/opus": "opus",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/mp4": "m4a",
    "audio/m4a": "m4a",
    "audio/x-m4a": "m4a",
    "audio/aac": "aac",
    "audio/x-aac": "aac",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/amr": "amr",
    "audio/3gpp": "3gp",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/webm": "webm",
    "video/quicktime": "mov",
    "video/3gpp": "3gp",
    "video/3gpp2": "3g2",
    "video/webm": "webm",
    "video/x-matroska": "mkv",
    "video/x-m4v": "m4v",
}
_FAMILY_EXTENSIONS = {"video": "mp4", "audio": "bin", "pdf": "pdf"}


class MediaRefused(ValueError):
    """A file a tip may not carry; `reason` says why in a word the bot can explain."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: Reason = reason


class NotCleanable(Exception):
    """A file whose metadata cannot be removed reliably: stored as it is only with consent."""

    def __init__(self, family: Family, kind: str) -> None:
        super().__init__(f"a {family} file cannot be cleaned of its metadata")
        self.family: Family = family
        # What the file would be stored as: "video", "audio", "document"…
        self.kind = kind


@dataclass(frozen=True)
class Cleaned:
    """A file as it will be stored: its bytes, MIME type and extension."""

    family: Family
    data: bytes
    mime_type: str
    extension: str
    # True when the stored bytes differ from what the resident sent.
    rewritten: bool
    # True when the format's metadata was removed (images, PDFs, MP3/Ogg/FLAC audio);
    # False when the bytes are as sent and may still tell where, when or on what device.
    stripped: bool


def family_of(mime_type: str | None) -> Family | None:
    """The family of a declared MIME type, or None when tips may not carry it."""
    mime = (mime_type or "").split(";")[0].strip().lower()
    if mime in _IMAGE_TYPES:
        return "image"
    if mime in _VIDEO_TYPES:
        return "video"
    if mime in _AUDIO_TYPES:
        return "audio"
    if mime in _PDF_TYPES:
        return "pdf"
    return None


def check_declared(mime_type: str | None, size: int | None) -> Family:
    """Refuse by what Telegram tells before downloading: the type, then the size."""
    family = family_of(mime_type)
    if family is None:
        raise MediaRefused("type", mime_type or "unknown")
    if size is not None and size > MAX_DOWNLOAD_BYTES:
        raise MediaRefused("size", str(size))
    return family


def _is_iso_media(data: bytes) -> bool:
    return data[4:8] == b"ftyp"


def sniff(data: bytes) -> Family | None:
    """The family the first bytes prove (images are proven by decoding them instead)."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"\x1a\x45\xdf\xa3") or _is_iso_media(head):
        return "video"  # Matroska/WebM, or MP4/MOV/3GP (M4A audio shares the box)
    if head.startswith((b"OggS", b"ID3", b"fLaC", b"#!AMR")):
        return "audio"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "audio"  # MPEG audio frame or ADTS AAC
    return None


def _matches(declared: Family, found: Family | None) -> bool:
    if found == declared:
        return True
    # MP4 and WebM containers carry sound alone too (M4A, WebM audio).
    return declared == "audio" and found == "video"


def _rgb_mode(image: Image.Image, *, alpha_allowed: bool) -> Image.Image:
    """The picture in a plain mode: RGB(A) or L, palettes and CMYK resolved."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha and alpha_allowed:
        return image if image.mode == "RGBA" else image.convert("RGBA")
    if image.mode == "L":
        return image
    return image if image.mode == "RGB" else image.convert("RGB")


def strip_image(data: bytes) -> tuple[bytes, str, str]:
    """Re-encode an image from its pixels alone (orientation applied first).

    Returns the new bytes, their MIME type and extension. Blocking: run it in a thread.
    """
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format not in _IMAGE_OUTPUT:
                raise MediaRefused("type", str(opened.format))
            if opened.width * opened.height > MAX_IMAGE_PIXELS:
                raise MediaRefused("unreadable", "too many pixels")
            save_as, mime, extension = _IMAGE_OUTPUT[opened.format]
            opened.seek(0)
            opened.load()
            upright = ImageOps.exif_transpose(opened)
            plain = _rgb_mode(upright, alpha_allowed=save_as != "JPEG")
            # A new image from the raw pixels carries no info dict: no EXIF, GPS, XMP,
            # ICC profile, comment or text chunk can follow it into the file.
            fresh = Image.frombytes(plain.mode, plain.size, plain.tobytes())
    except MediaRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaRefused("unreadable", type(exc).__name__) from None
    out = io.BytesIO()
    if save_as == "JPEG":
        fresh.save(out, format="JPEG", quality=90)
    elif save_as == "WEBP":
        fresh.save(out, format="WEBP", quality=90)
    else:
        fresh.save(out, format="PNG")
    return out.getvalue(), mime, extension


def clean(declared_mime: str | None, data: bytes) -> Cleaned:
    """Check a downloaded file against its declared type and strip what it reveals.

    Blocking (images are decoded): run it in a thread.
    """
    family = check_declared(declared_mime, len(data))
    if family == "image":
        stripped, mime, extension = strip_image(data)
        return Cleaned("image", stripped, mime, extension, rewritten=True, stripped=True)
    if not _matches(family, sniff(data)):
        raise MediaRefused("type", "content does not match the declared type")
    mime = (declared_mime or "").split(";")[0].strip().lower()
    extension = _EXTENSIONS.get(mime, _FAMILY_EXTENSIONS[family])
    scrubbed = None
    if family == "pdf":
        scrubbed = scrub_pdf(data)
    elif family == "audio":
        scrubbed = scrub_audio(mime, data)
    if scrubbed is None:
        return Cleaned(family, data, mime, extension, rewritten=False, stripped=False)
    return Cleaned(family, scrubbed, mime, extension, rewritten=True, stripped=True)


_KINDS: dict[Family, str] = {
    "image": "photo",
    "video": "video",
    "audio": "audio",
    "pdf": "document",
}


def _voice_note(kind: str | None, cleaned: Cleaned) -> bool:
    """A voice note recorded in Telegram (Ogg Opus): it carries no location or device."""
    return kind == "voice" and cleaned.mime_type in ("audio/ogg", "audio/opus")


def prepare_attachment(
    kind: str | None,
    declared_mime: str | None,
    data: bytes,
    number: int,
    *,
    send_as_is: bool = False,
) -> NewAttachment:
    """A file ready for `submit_tip`, with a neutral name (file names can name people).

    A file that cannot be cleaned raises `NotCleanable`, unless the resident, told that it
    may carry location or device data, chose to send it as it is (`send_as_is`). For
    photos the untouched bytes ride along as `original`; the caller keeps them only when
    the resident agreed. Blocking: run it in a thread.
    """
    cleaned = clean(declared_mime, data)
    as_is = not cleaned.stripped and not _voice_note(kind, cleaned)
    kind = "voice" if kind == "voice" else _KINDS[cleaned.family]
    if as_is and not send_as_is:
        raise NotCleanable(cleaned.family, kind)
    return NewAttachment(
        kind=kind,
        mime_type=cleaned.mime_type,
        filename=f"{kind}-{number}.{cleaned.extension}",
        data=cleaned.data,
        original=data if cleaned.family == "image" else None,
        as_is=as_is,
    )
