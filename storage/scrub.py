"""Metadata out of PDFs and audio files, with pypdf and mutagen (DESIGN §4).

A PDF's document information (author, the program and the account that made it, dates),
its XMP packets and the authors of its comments, and an audio file's tags (ID3, APE,
Vorbis comments, cover pictures), can name the person who made the file. What these
libraries remove reliably is removed here; each function returns None when it cannot
vouch for the result, and the caller then treats the file as one that cannot be cleaned
(the resident decides).

Blocking (whole files are parsed and rewritten): run in a thread.
"""

from __future__ import annotations

import io
from typing import Any

import mutagen
import mutagen.apev2
from mutagen.flac import FLAC
from mutagen.mp3 import MP3
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

# Keys of any PDF dictionary that hold data about the file rather than its pages:
# XMP packets (catalogue, pages, images, fonts) and applications' private data.
_PDF_KEYS = (NameObject("/Metadata"), NameObject("/PieceInfo"))

# Audio formats whose every tag mutagen can remove, by declared MIME type.
_AUDIO: dict[str, tuple[type[Any], ...]] = {
    "audio/mpeg": (MP3,),
    "audio/mp3": (MP3,),
    "audio/ogg": (OggOpus, OggVorbis),
    "audio/opus": (OggOpus,),
    "audio/flac": (FLAC,),
    "audio/x-flac": (FLAC,),
}


def _drop_pdf_keys(root: DictionaryObject) -> bool:
    """Remove `_PDF_KEYS` from every dictionary and stream reachable from the catalogue, and
    the author (`/T`) of every comment; True when a file is attached to the document."""
    attached = False
    seen: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
            item = item.get_object()
        if isinstance(item, DictionaryObject):  # streams too
            for key in _PDF_KEYS:
                item.pop(key, None)
            subtype = item.get("/Subtype")
            if "/Rect" in item and subtype is not None and subtype != "/Widget":
                # A comment's /T names whoever wrote it (a form field's /T is its name).
                item.pop(NameObject("/T"), None)
            attached = attached or subtype == "/FileAttachment" or "/EmbeddedFiles" in item
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return attached


def scrub_pdf(data: bytes) -> bytes | None:
    """The PDF without its document information, XMP metadata and comment authors, or None.

    None when the file cannot be read (damaged, or encrypted with a password), carries
    attached files, or when the rewritten file does not open with the same number of pages
    and nothing left to show.
    """
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return None
        pages = len(reader.pages)
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None
        if _drop_pdf_keys(writer.root_object):
            return None  # attached files are files of their own, with their own metadata
        # Leaves out the XMP streams nothing points to any more.
        writer.compress_identical_objects()
        # A fresh file identifier: the original's could match the copy on the sender's phone.
        writer._ID = None
        writer.generate_file_identifiers()
        out = io.BytesIO()
        writer.write(out)
        cleaned = out.getvalue()
        check = PdfReader(io.BytesIO(cleaned))
        if len(check.pages) != pages or check.metadata or check.xmp_metadata is not None:
            return None
        if any(_PDF_KEYS[0] in page for page in check.pages):
            return None
        return cleaned
    except Exception:  # pypdf raises many kinds on malformed files: not cleanable, then
        return None


def _tagged(found: Any) -> bool:
    if found.tags is not None and len(found.tags) > 0:
        return True
    return isinstance(found, FLAC) and bool(found.pictures)


def scrub_audio(mime_type: str, data: bytes) -> bytes | None:
    """The audio file without its tags (MP3, Ogg Opus/Vorbis, FLAC), or None.

    None for other formats (M4A, WAV, AMR, AAC, WebM keep data mutagen cannot fully
    remove) and for files mutagen cannot parse as the declared format.
    """
    kinds = _AUDIO.get(mime_type)
    if kinds is None:
        return None
    buffer = io.BytesIO(data)
    try:
        found: Any = mutagen.File(buffer, options=list(kinds))
        if found is None:
            return None
        if isinstance(found, FLAC):
            found.clear_pictures()  # type: ignore[no-untyped-call]
            found.save(buffer)
        found.delete(buffer)
        if isinstance(found, MP3):
            mutagen.apev2.delete(buffer)
        cleaned = buffer.getvalue()
        again = mutagen.File(io.BytesIO(cleaned), options=list(kinds))
        if again is None or _tagged(again):
            return None
        if isinstance(again, MP3) and (cleaned[-128:-125] == b"TAG" or b"APETAGEX" in cleaned):
            return None
        return cleaned
    except Exception:  # a damaged file: not cleanable, the resident decides
        return None
