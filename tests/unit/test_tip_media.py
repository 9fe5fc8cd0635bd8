"""Files a tip may carry: images, PDFs and tagged audio lose every trace of who made them,
where and on what; a file that cannot be cleaned is stored only when the resident says so."""

from __future__ import annotations

import io

import mutagen
import pytest
from mutagen.mp3 import MP3
from PIL import Image
from pypdf import PdfReader
from telegram import Message

from handlers.media import Incoming, incoming_file, precheck
from storage import media
from tests.support.file_media import (
    AUTHOR,
    AUTHOR_ASCII,
    LOCATION,
    mp3_with_tags,
    mp4_with_location,
    ogg_opus,
    pdf_with_attachment,
    pdf_with_author,
    pdf_with_comment,
)
from tests.support.tip_media import gps_marks, has_metadata, photo_with_gps

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
OGG = b"OggS\x00\x02" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
ZIP = b"PK\x03\x04\x14\x00" + b"\x00" * 64


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_images_lose_exif_gps_and_profile_but_keep_the_picture(fmt: str) -> None:
    original = photo_with_gps(fmt=fmt)
    assert "gps" in has_metadata(original)
    mime = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[fmt]
    cleaned = media.clean(mime, original)
    assert cleaned.rewritten and cleaned.mime_type == mime
    assert has_metadata(cleaned.data) == []
    assert not [mark for mark in gps_marks() if mark in cleaned.data]
    with Image.open(io.BytesIO(cleaned.data)) as image:
        # Orientation 6 was applied: the 160×120 picture now stands upright, 120×160,
        # with the blue half (the left) turned to the top.
        assert image.size == (120, 160)
        red, _green, blue = image.convert("RGB").getpixel((60, 10))  # type: ignore[misc]
        assert blue > 150 and red < 100


def test_gif_becomes_a_clean_png() -> None:
    out = io.BytesIO()
    Image.new("P", (8, 8), 3).save(out, "GIF", comment=b"tinbao-gif-comment")
    cleaned = media.clean("image/gif", out.getvalue())
    assert cleaned.mime_type == "image/png" and b"tinbao-gif-comment" not in cleaned.data


def test_a_pdf_loses_its_author_and_xmp_but_keeps_its_pages() -> None:
    original = pdf_with_author(pages=3)
    cleaned = media.clean("application/pdf", original)
    assert (cleaned.family, cleaned.stripped, cleaned.mime_type) == ("pdf", True, "application/pdf")
    assert AUTHOR_ASCII not in cleaned.data and b"Microsoft Word" not in cleaned.data
    reader = PdfReader(io.BytesIO(cleaned.data))
    assert len(reader.pages) == 3
    assert reader.metadata is None and reader.xmp_metadata is None
    assert all("/Metadata" not in page for page in reader.pages)
    assert AUTHOR not in str(reader.trailer)


def test_a_pdf_comment_loses_its_author_but_keeps_its_text() -> None:
    cleaned = media.clean("application/pdf", pdf_with_comment())
    assert cleaned.stripped
    reader = PdfReader(io.BytesIO(cleaned.data))
    (note,) = [a.get_object() for a in reader.pages[0]["/Annots"]]
    assert note["/Contents"] == "Xem trang 1" and "/T" not in note
    assert AUTHOR not in str([a.get_object() for a in reader.pages[0]["/Annots"]])


def test_a_pdf_carrying_another_file_needs_consent() -> None:
    with pytest.raises(media.NotCleanable):
        media.prepare_attachment("document", "application/pdf", pdf_with_attachment(), 1)
    sent = media.prepare_attachment(
        "document", "application/pdf", pdf_with_attachment(), 1, send_as_is=True
    )
    assert sent.as_is


def test_an_mp3_loses_its_id3_tags_and_still_plays() -> None:
    original = mp3_with_tags()
    cleaned = media.clean("audio/mpeg", original)
    assert cleaned.stripped and cleaned.rewritten
    assert AUTHOR_ASCII not in cleaned.data and LOCATION not in cleaned.data
    assert not cleaned.data.startswith(b"ID3") and cleaned.data[-128:-125] != b"TAG"
    found = mutagen.File(io.BytesIO(cleaned.data))
    assert isinstance(found, MP3) and found.tags is None and found.info.length > 0.5


def test_an_ogg_voice_note_loses_its_comments() -> None:
    original = ogg_opus([b"ARTIST=" + AUTHOR_ASCII, b"LOCATION=" + LOCATION])
    voice = media.prepare_attachment("voice", "audio/ogg", original, 1)
    assert (voice.kind, voice.as_is) == ("voice", False)
    assert AUTHOR_ASCII not in voice.data and LOCATION not in voice.data
    assert mutagen.File(io.BytesIO(voice.data)).info.length > 0


def test_a_video_with_a_location_is_refused_without_consent_and_kept_as_is_with_it() -> None:
    video = mp4_with_location()
    cleaned = media.clean("video/mp4", video)
    assert (cleaned.family, cleaned.stripped, cleaned.data) == ("video", False, video)
    with pytest.raises(media.NotCleanable) as refused:
        media.prepare_attachment("video", "video/mp4", video, 1)
    assert refused.value.family == "video"
    kept = media.prepare_attachment("video", "video/mp4", video, 1, send_as_is=True)
    assert (kept.kind, kept.as_is, kept.data, kept.original) == ("video", True, video, None)
    assert LOCATION in kept.data  # exactly what the resident agreed to send


@pytest.mark.parametrize(
    ("mime", "data"),
    [("audio/mp4", mp4_with_location()), ("application/pdf", PDF), ("audio/ogg", OGG)],
)
def test_files_that_cannot_be_cleaned_need_consent(mime: str, data: bytes) -> None:
    with pytest.raises(media.NotCleanable):
        media.prepare_attachment("document", mime, data, 1)
    assert media.prepare_attachment("document", mime, data, 1, send_as_is=True).as_is


@pytest.mark.parametrize(
    ("mime", "data"),
    [
        ("application/x-msdownload", EXE),
        ("application/zip", ZIP),
        ("application/vnd.android.package-archive", ZIP),
        ("text/plain", b"hello " * 1000),
        ("image/svg+xml", b"<svg/>"),
        ("image/heic", b"\x00\x00\x00\x18ftypheic"),
        (None, PDF),
    ],
)
def test_disallowed_types_are_refused_by_their_declared_type(mime: str | None, data: bytes) -> None:
    with pytest.raises(media.MediaRefused) as refused:
        media.clean(mime, data)
    assert refused.value.reason == "type"


@pytest.mark.parametrize(("mime", "data"), [("application/pdf", EXE), ("video/mp4", ZIP)])
def test_a_file_disguised_as_an_allowed_type_is_refused(mime: str, data: bytes) -> None:
    with pytest.raises(media.MediaRefused) as refused:
        media.clean(mime, data)
    assert refused.value.reason == "type"


def test_broken_image_is_unreadable() -> None:
    with pytest.raises(media.MediaRefused) as refused:
        media.clean("image/jpeg", b"\xff\xd8\xff\xe0 not really a jpeg")
    assert refused.value.reason == "unreadable"


def test_size_is_refused_before_download() -> None:
    with pytest.raises(media.MediaRefused) as refused:
        media.check_declared("video/mp4", media.MAX_DOWNLOAD_BYTES + 1)
    assert refused.value.reason == "size"
    assert media.check_declared("video/mp4", media.MAX_DOWNLOAD_BYTES) == "video"


def test_prepared_attachment_has_a_neutral_name_and_keeps_the_original_aside() -> None:
    original = photo_with_gps()
    photo = media.prepare_attachment("document", "image/jpeg", original, 2)
    assert (photo.kind, photo.filename, photo.original) == ("photo", "photo-2.jpg", original)
    # A voice note recorded in Telegram carries no location: no question, even unparsed.
    voice = media.prepare_attachment("voice", "audio/ogg", OGG, 3)
    assert (voice.kind, voice.filename, voice.original, voice.as_is) == (
        "voice",
        "voice-3.ogg",
        None,
        False,
    )
    pdf = media.prepare_attachment("document", "application/pdf", pdf_with_author(), 1)
    assert (pdf.kind, pdf.filename, pdf.original, pdf.as_is) == (
        "document",
        "document-1.pdf",
        None,
        False,
    )


def _message(**content: object) -> Message:
    data = {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}, **content}
    message = Message.de_json(data, None)
    assert message is not None
    return message


def _sized(file_id: str, size: int, **extra: object) -> dict[str, object]:
    return {"file_id": file_id, "file_unique_id": file_id, "file_size": size, **extra}


def test_announced_files_are_read_off_the_message() -> None:
    photo = _message(
        photo=[_sized("small", 10, width=90, height=90), _sized("big", 99, width=800, height=600)]
    )
    assert incoming_file(photo) == Incoming("photo", "big", "image/jpeg", 99)
    document = _message(document=_sized("doc", 5, file_name="hop-dong.pdf"))
    assert incoming_file(document) == Incoming("document", "doc", "application/pdf", 5)
    voice = _message(voice=_sized("v", 3, duration=2))
    assert incoming_file(voice) == Incoming("voice", "v", "audio/ogg", 3)
    video = _message(video=_sized("m", 4, width=1, height=1, duration=1, mime_type="video/mp4"))
    assert incoming_file(video) == Incoming("video", "m", "video/mp4", 4)
    assert incoming_file(_message(text="hello")) is None


def test_a_too_big_file_is_refused_before_any_download() -> None:
    huge = Incoming("video", "m", "video/mp4", media.MAX_DOWNLOAD_BYTES + 1)
    with pytest.raises(media.MediaRefused) as refused:
        precheck(huge)
    assert refused.value.reason == "size"
    with pytest.raises(media.MediaRefused) as refused:
        precheck(Incoming("document", "x", "application/x-msdownload", 10))
    assert refused.value.reason == "type"
