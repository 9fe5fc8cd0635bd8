"""Telegram's HTML parse mode in both directions: HTML to text + entities, and back."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.text import (
    JSON,
    PRIORITY,
    SPACES,
    Entity,
    FormatError,
    UserLookup,
    checked_link,
    from_u16,
    sort_key,
    to_u16,
    u16_char,
)

_SUPPORTED_TAGS = frozenset(
    [
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    ]
)
_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _byte_offset(src: str, index: int) -> int:
    return len(from_u16(src[:index]).encode("utf-8", "surrogatepass"))


def _decode_reference(src: str, pos: int) -> tuple[str, int] | None:
    """Decode an HTML character reference at src[pos] == '&' like tdlib; None if not one."""
    end = pos + 1
    n = len(src)
    if end < n and src[end] == "#":
        end += 1
        value = 0
        if end < n and src[end] == "x":
            end += 1
            start = end
            while end < n and src[end] in "0123456789abcdefABCDEF":
                end += 1
            value = int(src[start:end], 16) if end > start else 0
        else:
            start = end
            while end < n and src[end].isascii() and src[end].isdigit():
                end += 1
            value = int(src[start:end]) if end > start else 0
        if value == 0 or value >= 0x10FFFF or end - pos >= 10:
            return None
        decoded = u16_char(value)
    else:
        while end < n and src[end].isascii() and src[end].isalpha():
            end += 1
        name = src[pos + 1 : end]
        if name not in _NAMED_REFS:
            return None
        decoded = _NAMED_REFS[name]
    if end < n and src[end] == ";":
        end += 1
    return decoded, end


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int
    out_index: int


def parse_html(
    source: str, *, strict_ampersand: bool = True, lookup_user: UserLookup | None = None
) -> tuple[str, list[Entity]]:
    """Parse Telegram's HTML parse mode into (u16 text, entities); raise FormatError like tdlib."""
    # strict_ampersand rejects a bare '&', which Telegram keeps literally: unescaped text then
    # fails in tests already, before a resident's '<' breaks it in production.
    src = to_u16(source)
    n = len(src)
    out: list[str] = []
    entities: list[Entity] = []
    stack: list[_Open] = []
    i = 0

    def fail(message: str) -> FormatError:
        return FormatError("can't parse entities: " + message)

    while i < n:
        c = src[i]
        if c == "&":
            decoded = _decode_reference(src, i)
            if decoded is not None:
                out.extend(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise fail(
                    f'Character "&" at byte offset {_byte_offset(src, i)} is not part of an '
                    "HTML entity; escape it as &amp; (tinbao sandbox is strict here)"
                )
        if c != "<":
            out.append(c)
            i += 1
            continue
        begin = i
        begin_byte = _byte_offset(src, begin)
        i += 1
        if i < n and src[i] == "/":
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {begin_byte}")
            while i < n and src[i] not in SPACES and src[i] != ">":
                i += 1
            end_name = src[begin + 2 : i].lower()
            while i < n and src[i] in SPACES:
                i += 1
            if i >= n or src[i] != ">":
                raise fail(f"Unclosed end tag at byte offset {begin_byte}")
            i += 1
            top = stack.pop()
            if end_name and end_name != top.tag:
                raise fail(
                    f'Unmatched end tag at byte offset {begin_byte}, expected "</{top.tag}>", '
                    f'found "</{end_name}>"'
                )
            length = len(out) - top.out_index
            if length > 0:
                entity = _close_tag(top, len(out), "".join(out[top.out_index :]), entities)
                if entity is not None:
                    _resolve_link(entity, lookup_user)
                    if entity.type:
                        entities.append(entity)
            continue
        while i < n and src[i] not in SPACES and src[i] != ">":
            i += 1
        if i >= n:
            raise fail(f"Unclosed start tag at byte offset {begin_byte}")
        tag = src[begin + 1 : i].lower()
        if tag not in _SUPPORTED_TAGS:
            raise fail(f'Unsupported start tag "{from_u16(tag)}" at byte offset {begin_byte}')
        argument, i = _parse_attributes(src, i, tag, begin_byte)
        if tag == "span" and argument != "spoiler":
            raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {begin_byte}')
        stack.append(_Open(tag, argument, len(out), len(out)))
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        if entity.type == "code":
            entity.extra.pop("language", None)
    text = "".join(out)
    try:
        from_u16(text).encode("utf-8")
    except UnicodeEncodeError:
        raise FormatError(
            "can't parse entities: Text contains invalid Unicode characters after decoding "
            "HTML entities, check for unmatched surrogate code units"
        ) from None
    entities.sort(key=sort_key)
    return text, entities


def _parse_attributes(src: str, i: int, tag: str, begin_byte: int) -> tuple[str, int]:
    """Read attributes of a start tag from src[i]; return (argument, index after '>')."""
    n = len(src)
    argument = ""

    def fail(message: str) -> FormatError:
        return FormatError("can't parse entities: " + message)

    while True:
        while i < n and src[i] in SPACES:
            i += 1
        if i >= n:
            raise fail(f"Unclosed start tag at byte offset {begin_byte}")
        if src[i] == ">":
            return argument, i + 1
        name_start = i
        while i < n and src[i] not in SPACES and src[i] not in "=>/\"'":
            i += 1
        name = src[name_start:i]
        if not name:
            raise fail(f'Empty attribute name in the tag "{tag}" at byte offset {begin_byte}')
        while i < n and src[i] in SPACES:
            i += 1
        if i >= n:
            raise fail(f'Unclosed start tag "{tag}" at byte offset {begin_byte}')
        if src[i] != "=":
            if tag == "blockquote" and name == "expandable":
                argument = "1"
            continue
        i += 1
        while i < n and src[i] in SPACES:
            i += 1
        if i >= n:
            raise fail(f'Unclosed start tag "{tag}" at byte offset {begin_byte}')
        if src[i] in "\"'":
            quote = src[i]
            i += 1
            parts: list[str] = []
            while i < n and src[i] != quote:
                if src[i] == "&":
                    decoded = _decode_reference(src, i)
                    if decoded is not None:
                        parts.append(decoded[0])
                        i = decoded[1]
                        continue
                parts.append(src[i])
                i += 1
            if i < n:
                i += 1
            value = "".join(parts)
        else:
            token_start = i
            while i < n and ((src[i].isascii() and src[i].isalnum()) or src[i] in ".-"):
                i += 1
            value = src[token_start:i].lower()
            if i < n and src[i] not in SPACES and src[i] != ">":
                offset = _byte_offset(src, token_start)
                raise fail(f"Unexpected end of name token at byte offset {offset}")
        if i >= n:
            raise fail(f"Unclosed start tag at byte offset {begin_byte}")
        if tag == "a" and name == "href":
            argument = from_u16(value)
        elif tag == "code" and name == "class" and value.startswith("language-"):
            argument = from_u16(value[9:])
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            argument = value[3:]
        elif tag == "tg-emoji" and name == "emoji-id":
            argument = value
        elif tag == "blockquote" and name == "expandable":
            argument = "1"


def _close_tag(top: _Open, end: int, inner: str, entities: list[Entity]) -> Entity | None:
    """Build the entity for a closed tag (None when it merges into the previous one)."""
    offset, length = top.offset, end - top.offset
    if top.tag in _TAG_TYPES:
        return Entity(_TAG_TYPES[top.tag], offset, length)
    if top.tag == "tg-emoji":
        if not top.argument.isdigit() or int(top.argument) == 0:
            raise FormatError("can't parse entities: Invalid custom emoji identifier specified")
        return Entity("custom_emoji", offset, length, {"custom_emoji_id": top.argument})
    if top.tag == "a":
        return Entity("a", offset, length, {"url": top.argument or from_u16(inner)})
    if top.tag == "blockquote":
        kind = "expandable_blockquote" if top.argument else "blockquote"
        return Entity(kind, offset, length)
    last = entities[-1] if entities else None
    same_span = last is not None and last.offset == offset and last.length == length
    if top.tag == "pre":
        if same_span and last is not None and last.type == "code" and last.extra.get("language"):
            last.type = "pre"
            return None
        return Entity("pre", offset, length)
    # <code>: right inside <pre> the language moves to the pre entity.
    if same_span and last is not None and last.type == "pre" and top.argument:
        last.extra["language"] = top.argument
        return None
    extra = {"language": top.argument} if top.argument else {}
    return Entity("code", offset, length, extra)


def _resolve_link(entity: Entity, lookup_user: UserLookup | None) -> None:
    """Turn the provisional 'a' entity into text_link / text_mention, or blank it when invalid."""
    if entity.type != "a":
        return
    url = str(entity.extra.pop("url"))
    match = re.fullmatch(r"tg://user\?id=(\d+)", url)
    if match is not None:
        user = lookup_user(int(match.group(1))) if lookup_user else None
        entity.type = "text_mention" if user else ""
        if user:
            entity.extra["user"] = user
        return
    checked = checked_link(url)
    entity.type = "text_link" if checked else ""
    if checked:
        entity.extra["url"] = checked


# --- rendering back to HTML (what a test can assert on) ----------------------------------------


def _open_tag(entity: JSON) -> tuple[str, str]:
    kind = entity["type"]
    simple = {"bold": "b", "italic": "i", "underline": "u", "strikethrough": "s", "code": "code"}
    if kind in simple:
        return f"<{simple[kind]}>", f"</{simple[kind]}>"
    if kind == "spoiler":
        return '<span class="tg-spoiler">', "</span>"
    if kind == "pre":
        language = entity.get("language")
        if language:
            lang = html.escape(str(language))
            return f'<pre><code class="language-{lang}">', "</code></pre>"
        return "<pre>", "</pre>"
    if kind == "text_link":
        return f'<a href="{html.escape(str(entity["url"]))}">', "</a>"
    if kind == "text_mention":
        return f'<a href="tg://user?id={int(entity["user"]["id"])}">', "</a>"
    if kind == "blockquote":
        return "<blockquote>", "</blockquote>"
    if kind == "expandable_blockquote":
        return "<blockquote expandable>", "</blockquote>"
    if kind == "custom_emoji":
        return f'<tg-emoji emoji-id="{html.escape(str(entity["custom_emoji_id"]))}">', "</tg-emoji>"
    return "", ""


def to_html(text: str, entities: Iterable[Mapping[str, Any]]) -> str:
    """Render text and entities back to Telegram HTML (unformatting entities left as text)."""
    u16 = to_u16(text)
    items = sorted(
        (dict(e) for e in entities),
        key=lambda e: (e["offset"], -e["length"], PRIORITY.get(e["type"], 50)),
    )

    def render(start: int, end: int, inner: list[JSON]) -> str:
        parts: list[str] = []
        cursor = start
        index = 0
        while index < len(inner):
            entity = inner[index]
            e_start = max(entity["offset"], cursor)
            e_end = min(entity["offset"] + entity["length"], end)
            index += 1
            if e_start >= e_end:
                continue
            children: list[JSON] = []
            while index < len(inner) and inner[index]["offset"] < e_end:
                children.append(inner[index])
                index += 1
            parts.append(html.escape(from_u16(u16[cursor:e_start]), quote=False))
            opening, closing = _open_tag(entity)
            parts.append(opening + render(e_start, e_end, children) + closing)
            cursor = e_end
        parts.append(html.escape(from_u16(u16[cursor:end]), quote=False))
        return "".join(parts)

    return render(0, len(u16), items)
