"""Files a tip may carry: images lose every trace of where and on what they were taken."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from telegram import Message

from handlers.media import Incoming, incoming_file, precheck
from storage import media
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


@pytest.mark.parametrize(
    ("mime", "data", "family"),
    [("application/pdf", PDF, "pdf"), ("video/mp4", MP4, "video"), ("audio/ogg", OGG, "audio")],
)
def test_other_allowed_files_pass_unchanged_when_their_bytes_agree(
    mime: str, data: bytes, family: str
) -> None:
    cleaned = media.clean(mime, data)
    assert (cleaned.family, cleaned.data, cleaned.rewritten) == (family, data, False)


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
    voice = media.prepare_attachment("voice", "audio/ogg", OGG, 3)
    assert (voice.kind, voice.filename, voice.original) == ("voice", "voice-3.ogg", None)
    pdf = media.prepare_attachment("document", "application/pdf", PDF, 1)
    assert (pdf.kind, pdf.filename) == ("document", "document-1.pdf")


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
