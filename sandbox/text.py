"""Text primitives shared by the parsers: entities, UTF-16 offsets, links, errors."""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
UserLookup = Callable[[int], JSON | None]

# Work happens on "u16 strings": one Python character per UTF-16 code unit, so that indices are
# exactly the offsets Telegram reports (an emoji outside the BMP counts as two).


def to_u16(text: str) -> str:
    """Return text with every UTF-16 code unit as one character (astral chars become pairs)."""
    return "".join(map(chr, array("H", text.encode("utf-16-le"))))


def from_u16(units: str) -> str:
    """Inverse of to_u16: join surrogate pairs back into real characters."""
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le")


def utf16_len(text: str) -> int:
    """Length of text in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


class FormatError(ValueError):
    """Text or entities rejected; str(error) is the Bot API description after 'Bad Request: '."""


@dataclass
class Entity:
    """One MessageEntity, offsets in UTF-16 code units."""

    type: str
    offset: int
    length: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def end(self) -> int:
        return self.offset + self.length

    def to_dict(self) -> JSON:
        return {"type": self.type, "offset": self.offset, "length": self.length, **self.extra}


SPLITTABLE = ("bold", "italic", "underline", "strikethrough", "spoiler")
BLOCKQUOTES = ("blockquote", "expandable_blockquote")
PRE_LIKE = ("pre", "code")
HIDDEN_DATA = ("text_link", "text_mention", "custom_emoji")
KNOWN_TYPES = frozenset(
    (
        *SPLITTABLE,
        *BLOCKQUOTES,
        *PRE_LIKE,
        *HIDDEN_DATA,
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
    )
)
# tdlib orders entities sharing offset and length by this priority (outer first).
PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
SPACES = " \t\n\r\f\v"


def sort_key(entity: Entity) -> tuple[int, int, int]:
    """tdlib order: by offset, longer first, then type priority."""
    return (entity.offset, -entity.length, PRIORITY.get(entity.type, 50))


def u16_char(code: int) -> str:
    if code > 0xFFFF:
        code -= 0x10000
        return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))
    return chr(code)


def checked_link(url: str) -> str | None:
    """Normalise a link the way Telegram accepts it, or None when Telegram would drop it."""
    url = url.strip()
    if not url or any(c in url for c in SPACES):
        return None
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(//)?", url)
    if match is None:
        url = "http://" + url
        match = re.match(r"^(http):(//)", url)
        assert match is not None
    scheme = match.group(1).lower()
    if scheme in ("tg", "ton", "tonsite"):
        return url
    if scheme not in ("http", "https") or not match.group(2):
        return None
    rest = url[match.end() :]
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if not host or not re.fullmatch(r"[\w.-]+(:\d+)?", host):
        return None
    if host == rest:
        url += "/"
    return url
