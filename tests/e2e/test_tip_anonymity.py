"""Must show: a stolen database, data dir or log says nothing of who sent what.

A resident sends a tip with a phone photo that carries GPS EXIF. Afterwards no table,
file (the SQLite file, its WAL) or log line holds the text, the resident's Telegram ids,
the receipt or the GPS tag; the console key alone gives back the tip, the cleaned photo
and the commune.
"""

from __future__ import annotations

import io
import json
import logging
import struct
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from storage.contexts import attachment_context, tip_context
from storage.core import Core
from storage.crypto import normalize_receipt
from storage.models import Attachment, Base, Tip
from storage.tips import TipContent
from tests.support.botenv import BotEnv
from tests.support.tip_flow import Draft, File, send_tip
from tests.support.tip_media import gps_marks, has_metadata, photo_with_gps

SECRET = "Ông Sáu ở thôn Nà Tàn cất giấu ma tuý trong xe máy biển số 12A-345.67 ngay sau chợ"
NAME = "Hoàng Thị Lan-Marker"


def _ints(number: int) -> list[bytes]:
    return [
        str(number).encode(),
        struct.pack(">q", number),
        struct.pack("<q", number),
    ]


def needles(*, receipt: str, user_id: int, chat_id: int, phone: str) -> dict[str, bytes]:
    """Everything that must not be found, by what it would betray."""
    canonical = normalize_receipt(receipt)
    assert canonical is not None
    found: dict[str, bytes] = {
        "tip text": SECRET.encode(),
        "tip text (fragment)": b"12A-345.67",
        "tip text (JSON-escaped)": json.dumps("Nà Tàn").strip('"').encode(),
        "tip text (UTF-16)": "Nà Tàn".encode("utf-16-le"),
        "receipt": receipt.encode(),
        "receipt (canonical)": canonical.encode(),
        "resident name": NAME.encode(),
        "phone number": phone.encode(),
    }
    for label, number in (("user id", user_id), ("chat id", chat_id)):
        for index, packed in enumerate(_ints(number)):
            found[f"{label} #{index}"] = packed
    for index, mark in enumerate(gps_marks()):
        found[f"GPS/EXIF mark #{index}"] = mark
    return found


def _file_bytes(core: Core) -> dict[str, bytes]:
    """Every file of the data dir and the SQLite database with its WAL and shared memory."""
    files: dict[str, bytes] = {}
    paths = [p for p in Path(core.settings.data_dir).rglob("*") if p.is_file()]
    url = make_url(core.settings.database_url)
    if url.drivername.startswith("sqlite") and url.database:
        database = Path(url.database)
        paths += [database.with_name(database.name + s) for s in ("", "-wal", "-shm", "-journal")]
    for path in paths:
        if path.exists():
            files[str(path)] = path.read_bytes()
    return files


async def _table_bytes(core: Core) -> dict[str, bytes]:
    """Every value of every table, as bytes (text in UTF-8, numbers as text and int64)."""
    dumped: dict[str, bytes] = {}
    async with core.db.read() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(text(f'SELECT * FROM "{table.name}"'))).all()  # noqa: S608
            parts: list[bytes] = []
            for row in rows:
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        parts.append(bytes(value))
                    elif isinstance(value, int) and not isinstance(value, bool):
                        parts += _ints(value)
                    elif value is not None:
                        parts.append(str(value).encode())
            dumped[f"table {table.name}"] = b"\x00".join(parts)
    return dumped


def _log_text(caplog: pytest.LogCaptureFixture) -> bytes:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_text:
            lines.append(record.exc_text)
    return "\n".join([caplog.text, *lines]).encode()


async def test_stolen_database_files_and_logs_reveal_nothing(
    bot_env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, at its most talkative
    lan = bot_env.resident(NAME, "vi")
    photo = photo_with_gps()
    sent = await send_tip(
        lan,
        Draft(
            text=SECRET,
            place="xã Thiện Hòa",
            files=[
                File(photo, "IMG_20260412_Nha_Lan.jpg", "image/jpeg"),
                File(photo, as_photo=True),
            ],
        ),
    )
    # The resident saw the receipt once, in a tap-to-copy code block.
    assert any(e["type"] == "code" for e in sent.message.entities)
    assert f"<code>{sent.receipt}</code>" in sent.message.html

    core = bot_env.core
    forbidden = needles(
        receipt=sent.receipt,
        user_id=lan.user.id,
        chat_id=lan.chat.id,
        phone=lan.user.phone_number or "+84",
    )
    haystacks = {**_file_bytes(core), **await _table_bytes(core), "log": _log_text(caplog)}
    assert any("-wal" in name for name in haystacks) or "postgresql" in core.settings.database_url
    leaks = [
        f"{what} in {where}"
        for where, data in haystacks.items()
        for what, needle in forbidden.items()
        if needle in data
    ]
    assert leaks == []

    # With the console key: the tip, the commune, and photos without any metadata.
    ring = core.vault.require_console()
    async with core.db.read() as session:
        tip = (await session.scalars(select(Tip))).one()
        attachments = (await session.scalars(select(Attachment))).all()
        commune = (
            await session.execute(text("SELECT id FROM unit WHERE code = 'LS-THIEN-HOA'"))
        ).scalar_one()
    content = TipContent.from_bytes(ring.open(tip.key_id, tip.sealed, tip_context(tip.id)))
    assert content.text == SECRET
    assert content.place_unit_id == commune and tip.unit_id == commune
    assert tip.ref == sent.ref and tip.reply_route_sealed is None
    assert len(attachments) == 2
    pictures: dict[str, bytes] = {}
    for attachment in attachments:
        assert attachment.original_sealed is None  # the resident did not agree to keep it
        body = ring.open(attachment.key_id, attachment.sealed, attachment_context(attachment.id))
        header, _, picture = body.partition(b"\n")
        pictures[json.loads(header)["filename"]] = picture  # neutral, not "…_Nha_Lan.jpg"
        assert has_metadata(picture) == []
        assert not [mark for mark in gps_marks() if mark in picture]
    assert sorted(pictures) == ["photo-1.jpg", "photo-2.jpg"]
    # The file sent as a document kept its EXIF up to the bot, which turned it upright.
    with Image.open(io.BytesIO(pictures["photo-1.jpg"])) as image:
        assert (image.format, image.size) == ("JPEG", (120, 160))


async def test_original_is_kept_sealed_only_when_the_resident_agrees(bot_env: BotEnv) -> None:
    mai = bot_env.resident("Mai", "vi")
    photo = photo_with_gps()
    await send_tip(mai, Draft(files=[File(photo)], keep_originals=True))
    core = bot_env.core
    async with core.db.read() as session:
        attachment = (await session.scalars(select(Attachment))).one()
    assert attachment.original_sealed is not None
    assert not [mark for mark in gps_marks() if mark in attachment.original_sealed]
    ring = core.vault.require_console()
    original = ring.open(
        attachment.key_id,
        attachment.original_sealed,
        attachment_context(attachment.id, "original"),
    )
    assert original == photo and "gps" in has_metadata(original)
    stripped = ring.open(attachment.key_id, attachment.sealed, attachment_context(attachment.id))
    assert has_metadata(stripped.partition(b"\n")[2]) == []
