"""Files other than photos, as a resident's phone or computer makes them, with what they leak.

A PDF written by an office program (author in the document information and in XMP), an
MP3 with ID3 tags, an Ogg Opus voice note with comments, and a phone video whose
QuickTime atoms say where it was shot.
"""

from __future__ import annotations

import io
import struct

from mutagen.id3 import ID3, TIT2, TPE1, TXXX
from mutagen.ogg import OggPage
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Text
from pypdf.generic import NameObject, StreamObject, TextStringObject

AUTHOR = "Nguyễn Văn An 0912 345 678"
AUTHOR_ASCII = b"Nguyen Van An"
LOCATION = b"+21.8537+106.7615/"

_XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
    b"<dc:creator>Nguyen Van An</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)


def _xmp_stream(writer: PdfWriter) -> object:
    stream = StreamObject()
    stream.set_data(_XMP)
    stream[NameObject("/Type")] = NameObject("/Metadata")
    stream[NameObject("/Subtype")] = NameObject("/XML")
    return writer._add_object(stream)


def pdf_with_author(pages: int = 2) -> bytes:
    """An uncompressed PDF naming its author in /Info and in XMP (catalogue and a page)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    writer.add_metadata(
        {
            "/Author": AUTHOR,
            "/Creator": "Microsoft Word - Nguyen Van An",
            "/Producer": "Nguyen Van An's laptop",
        }
    )
    writer._root_object[NameObject("/Metadata")] = _xmp_stream(writer)
    writer.pages[0][NameObject("/Metadata")] = _xmp_stream(writer)
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    assert AUTHOR_ASCII in data
    return data


def pdf_with_comment() -> bytes:
    """A one-page PDF with a sticky-note comment whose author is the resident."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    note = Text(rect=(50, 700, 250, 780), text="Xem trang 1")
    note[NameObject("/T")] = TextStringObject(AUTHOR)
    writer.add_annotation(page_number=0, annotation=note)
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    (written,) = PdfReader(io.BytesIO(data)).pages[0]["/Annots"]
    assert written.get_object()["/T"] == AUTHOR
    return data


def pdf_with_attachment() -> bytes:
    """A PDF that carries another file inside it."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("ghi-chu.txt", b"Ghi chep cua Nguyen Van An")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# MPEG-1 Layer III, 128 kbit/s, 44.1 kHz: a frame is 417 bytes (silence).
_MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 413


def mp3_with_tags(frames: int = 40) -> bytes:
    """An MP3 with ID3v2 (artist, title, a location), and an ID3v1 tag at the end."""
    buffer = io.BytesIO(_MP3_FRAME * frames)
    tags = ID3()
    tags.add(TPE1(encoding=3, text=AUTHOR))
    tags.add(TIT2(encoding=3, text="Ghi âm ở nhà Nguyen Van An"))
    tags.add(TXXX(encoding=3, desc="location", text=LOCATION.decode()))
    tags.save(buffer)
    v1 = b"TAG" + b"Ghi am".ljust(30, b"\0") + AUTHOR_ASCII.ljust(30, b"\0") + b"\0" * 65
    data = buffer.getvalue() + v1
    assert AUTHOR_ASCII in data and data.startswith(b"ID3")
    return data


def _opus_comments(comments: list[bytes]) -> bytes:
    vendor = b"tinbao-test"
    body = struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", len(comments))
    for comment in comments:
        body += struct.pack("<I", len(comment)) + comment
    return b"OpusTags" + body


def ogg_opus(comments: list[bytes] | None = None) -> bytes:
    """A tiny Ogg Opus stream (as Telegram records voice notes), with optional comments."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    packets = [
        (head, 0),
        (_opus_comments(comments or []), 0),
        (b"\xf8\xff\xfe", 48000),  # one silent packet, a second of granule
    ]
    out = io.BytesIO()
    for sequence, (packet, position) in enumerate(packets):
        page = OggPage()
        page.serial, page.sequence, page.position = 0x7157, sequence, position
        page.packets = [packet]
        page.first = sequence == 0
        page.last = sequence == len(packets) - 1
        out.write(page.write())
    return out.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_with_location() -> bytes:
    """A phone video's boxes: ftyp, then moov/udta with the ©xyz location atom (ISO 6709)."""
    xyz = _box(b"\xa9xyz", struct.pack(">HH", len(LOCATION), 0) + LOCATION)
    keys = _box(b"meta", b"com.apple.quicktime.location.ISO6709" + LOCATION)
    return _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41") + _box(
        b"moov", _box(b"udta", xyz + keys)
    )
