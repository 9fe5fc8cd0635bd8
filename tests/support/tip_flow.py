"""A resident going through /tip in the sandbox, step by step, as a person would."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sandbox.testing import BotMessage, Resident

REF = re.compile(r"TB-\d{4}-\d{6}")
RECEIPT = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}\b")
TEXT = "Có người bán ma tuý ở thôn Nà Tàn, xã Thiện Hòa, vào tối thứ Bảy hằng tuần."


@dataclass(frozen=True)
class File:
    """A file the resident sends: as a document (bytes kept) or a photo (re-encoded)."""

    data: bytes
    filename: str = "IMG_0001.jpg"
    mime_type: str | None = "image/jpeg"
    as_photo: bool = False


@dataclass
class Draft:
    """What the resident will enter."""

    category: str = "drugs"
    text: str = TEXT
    # "skip", a commune's name as the picker shows it ("xã Thanh Long"), "address:…",
    # or "location".
    place: str = "skip"
    files: list[File] = field(default_factory=list)
    keep_originals: bool = False
    reply_in_chat: bool = False


@dataclass(frozen=True)
class Sent:
    """What the resident was shown once: the reference and the receipt."""

    ref: str
    receipt: str
    message: BotMessage


def button_data(message: BotMessage, prefix: str) -> str:
    """The callback data of the first button whose data starts with `prefix`."""
    for button in message.buttons:
        if button.callback_data and button.callback_data.startswith(prefix):
            return button.callback_data
    raise AssertionError(f"no button {prefix!r} on: {message}")


async def _pick_commune(resident: Resident, name: str) -> None:
    await resident.press("tip:place:units")
    level = await resident.expect("Chọn tỉnh")
    await resident.press(button_data(level, "tip:unit:"))  # the first province
    page = await resident.expect("Chọn nơi xảy ra")
    while page.button(name) is None:
        forward = page.button("▶")
        assert forward is not None, f"{name!r} is not in the picker"
        await resident.press("▶", page)
        page = await resident.expect("Chọn nơi xảy ra")
    await resident.press(name, page)


async def fill(resident: Resident, draft: Draft) -> BotMessage:
    """Go from /tip to the summary; returns the summary with its Send button."""
    await resident.send("/tip")
    await resident.expect("Bước 1/6")
    await resident.press(f"tip:cat:{draft.category}")
    await resident.expect("Bước 2/6")
    await resident.send(draft.text)
    await resident.expect("Bước 3/6")
    if draft.place == "skip":
        await resident.press("tip:place:skip")
    elif draft.place == "location":
        await resident.press("tip:place:location")
        await resident.expect("Bấm nút bên dưới")
        await resident.press_reply_button(
            "📍 Gửi vị trí hiện tại", latitude=21.8534, longitude=106.7650
        )
    elif draft.place.startswith("address:"):
        await resident.press("tip:place:address")
        await resident.expect("Nhập địa chỉ")
        await resident.send(draft.place.removeprefix("address:"))
    else:
        await _pick_commune(resident, draft.place)
    await resident.expect("Bước 4/6")
    for number, item in enumerate(draft.files, start=1):
        if item.as_photo:
            await resident.send_photo(item.data)
        else:
            await resident.send_document(item.data, item.filename, item.mime_type)
        await resident.expect(f"Đã nhận {number}/")
    await resident.press("tip:files:done")
    if any(not f.as_photo and (f.mime_type or "").startswith("image/") for f in draft.files) or any(
        f.as_photo for f in draft.files
    ):
        await resident.expect("Giữ bản gốc")
        await resident.press("tip:orig:yes" if draft.keep_originals else "tip:orig:no")
    await resident.expect("Bước 5/6")
    await resident.press("tip:contact:chat" if draft.reply_in_chat else "tip:contact:none")
    return await resident.expect("Bước 6/6")


def sent_from(message: BotMessage) -> Sent:
    """Read the reference and receipt off the bot's answer."""
    ref, receipt = REF.search(message.text), RECEIPT.search(message.text)
    assert ref is not None and receipt is not None, message.text
    return Sent(ref.group(0), receipt.group(0), message)


async def send_tip(resident: Resident, draft: Draft | None = None) -> Sent:
    """The whole tip: fill it in, press Send, read the receipt."""
    summary = await fill(resident, draft or Draft())
    await resident.press(button_data(summary, "tip:send:"), summary)
    return sent_from(await resident.expect("Mã biên nhận"))
