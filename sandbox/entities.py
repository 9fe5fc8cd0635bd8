"""Entities as Telegram stores them: explicit ones checked, clean-up, detection, format_text."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping

from sandbox.html_mode import parse_html, to_html
from sandbox.text import (
    BLOCKQUOTES,
    HIDDEN_DATA,
    JSON,
    KNOWN_TYPES,
    PRE_LIKE,
    SPLITTABLE,
    Entity,
    FormatError,
    UserLookup,
    checked_link,
    from_u16,
    sort_key,
    to_u16,
    utf16_len,
)

__all__ = ["Entity", "FormatError", "format_text", "to_html", "utf16_len"]


def entities_from_json(
    items: object, text: str, lookup_user: UserLookup | None = None
) -> list[Entity]:
    """Validate explicitly passed entities (u16 text) and convert them."""
    if not isinstance(items, list):
        raise FormatError("can't parse entities JSON object")
    result: list[Entity] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise FormatError("can't parse MessageEntity: object expected")
        kind, offset, length = item.get("type"), item.get("offset"), item.get("length")
        if kind not in KNOWN_TYPES:
            raise FormatError(f"can't parse MessageEntity: Unsupported type {kind!r} specified")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length < 0:
            raise FormatError("can't parse MessageEntity: wrong offset or length")
        if offset + length > len(text):
            raise FormatError(
                f"Entity beginning at UTF-16 offset {offset} ends after the end of the text at "
                f"UTF-16 offset {offset + length}"
            )
        entity = Entity(str(kind), offset, length)
        if kind == "text_link":
            checked = checked_link(str(item.get("url", "")))
            if checked is None:
                raise FormatError("Wrong HTTP URL specified in a text_link entity")
            entity.extra["url"] = checked
        elif kind == "text_mention":
            user = item.get("user")
            user_id = user.get("id") if isinstance(user, Mapping) else None
            found = lookup_user(user_id) if lookup_user and isinstance(user_id, int) else None
            if found is None:
                raise FormatError("can't parse MessageEntity: user not found")
            entity.extra["user"] = found
        elif kind == "pre" and item.get("language"):
            entity.extra["language"] = str(item["language"])
        elif kind == "custom_emoji":
            entity.extra["custom_emoji_id"] = str(item.get("custom_emoji_id", ""))
        result.append(entity)
    return result


# --- clean-up (tdlib fix_formatted_text) -------------------------------------------------------

# Characters tdlib drops: '\r', U+2028..U+202E (separators and bidi overrides), three combining
# "vertical line" marks. Other control characters become spaces.
_DROPPED = frozenset("\r\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u0333\u033f\u030a")


def _clean(text: str, entities: list[Entity]) -> str:
    """Replace control characters by spaces and drop removed ones, moving entity offsets."""
    positions = [0] * (len(text) + 1)
    out: list[str] = []
    for index, char in enumerate(text):
        positions[index] = len(out)
        if char in _DROPPED:
            continue
        out.append(" " if ord(char) < 32 and char != "\n" else char)
    positions[len(text)] = len(out)
    for entity in entities:
        end = positions[entity.end]
        entity.offset = positions[entity.offset]
        entity.length = end - entity.offset
    return "".join(out)


def _remove_intersecting(entities: list[Entity]) -> list[Entity]:
    kept: list[Entity] = []
    last_end = 0
    for entity in sorted(entities, key=sort_key):
        if entity.offset >= last_end:
            kept.append(entity)
            last_end = entity.end
    return kept


def _crosses(entity: Entity, quote: Entity) -> bool:
    inside = quote.offset <= entity.offset and entity.end <= quote.end
    apart = entity.end <= quote.offset or quote.end <= entity.offset
    encloses = entity.offset <= quote.offset and quote.end <= entity.end
    return not (inside or apart or encloses)


def _split(splittable: list[Entity], others: list[Entity]) -> list[Entity]:
    """Merge touching entities of one type, cut them at other entities' edges, drop code parts."""
    cuts = sorted({e.offset for e in others} | {e.end for e in others})
    code = [(e.offset, e.end) for e in others if e.type in PRE_LIKE]
    result: list[Entity] = []
    for kind in SPLITTABLE:
        spans: list[list[int]] = []
        for e in sorted((e for e in splittable if e.type == kind), key=lambda e: e.offset):
            if spans and e.offset <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], e.end)
            else:
                spans.append([e.offset, e.end])
        for start, end in spans:
            points = [start, *(c for c in cuts if start < c < end), end]
            for a, b in itertools.pairwise(points):
                if not any(lo <= a and b <= hi for lo, hi in code):
                    result.append(Entity(kind, a, b - a))
    return result


def fix_entities(entities: list[Entity]) -> list[Entity]:
    """Make entities obey Telegram's nesting rules the way tdlib's fix_entities does."""
    entities = [e for e in entities if e.length > 0]
    splittable = [e for e in entities if e.type in SPLITTABLE]
    quotes = _remove_intersecting([e for e in entities if e.type in BLOCKQUOTES])
    continuous = _remove_intersecting(
        [e for e in entities if e.type not in SPLITTABLE and e.type not in BLOCKQUOTES]
    )
    continuous = [e for e in continuous if not any(_crosses(e, q) for q in quotes)]
    others = continuous + quotes
    return sorted(_split(splittable, others) + others, key=sort_key)


def _strip_entities(text: str, entities: list[Entity]) -> list[Entity]:
    """Drop leading whitespace of entities and entities made of whitespace only."""
    kept: list[Entity] = []
    for entity in entities:
        if entity.type in HIDDEN_DATA:
            kept.append(entity)
            continue
        while entity.length > 0 and text[entity.offset] in " \n":
            entity.offset += 1
            entity.length -= 1
        if entity.length > 0:
            kept.append(entity)
    return kept


def _trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip spaces and newlines at both ends of the text, like Telegram."""
    end = len(text.rstrip(" \n"))
    kept: list[Entity] = []
    for entity in entities:
        if entity.offset >= end:
            continue
        entity.length = min(entity.end, end) - entity.offset
        kept.append(entity)
    text = text[:end]
    first = min([e.offset for e in kept], default=len(text))
    start = 0
    while start < first and text[start] in " \n":
        start += 1
    for entity in kept:
        entity.offset -= start
    return text[start:], kept


# --- automatic entities (what Telegram finds by itself) ----------------------------------------

_DETECTORS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "bot_command",
        re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])"),
    ),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#(?!\d+\b)\w{1,256}")),
    ("cashtag", re.compile(r"(?<![\w$])\$[A-Z]{3,8}(?![\w$])")),
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w@])")),
    ("url", re.compile(r"(?<![\w@/])(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)),
)


def find_entities(text: str) -> list[Entity]:
    """Entities Telegram finds on its own in u16 text: commands, mentions, hashtags, URLs."""
    found: list[Entity] = []
    for kind, pattern in _DETECTORS:
        for match in pattern.finditer(text):
            value = match.group(0)
            if kind == "url":
                value = value.rstrip(".,;:!?)'\"")
            found.append(Entity(kind, match.start(), len(value)))
    return _remove_intersecting(found)


def _merge_new(entities: list[Entity], new: list[Entity]) -> list[Entity]:
    """Add found entities that do not collide with continuous entities or blockquote edges."""
    blocking = [e for e in entities if e.type not in SPLITTABLE and e.type not in BLOCKQUOTES]
    quotes = [e for e in entities if e.type in BLOCKQUOTES]
    merged = list(entities)
    for candidate in new:
        overlaps = any(candidate.offset < e.end and e.offset < candidate.end for e in blocking)
        if not overlaps and not any(_crosses(candidate, q) for q in quotes):
            merged.append(candidate)
    return fix_entities(merged)


def fix_formatted_text(
    text: str, entities: Iterable[Entity], *, detect: bool = True
) -> tuple[str, list[Entity]]:
    """Clean u16 text and entities like Telegram before storing: (text, entities), maybe empty."""
    items = [Entity(e.type, e.offset, e.length, dict(e.extra)) for e in entities]
    text = _clean(text, items)
    items = _strip_entities(text, fix_entities(items))
    text, items = _trim(text, items)
    items = fix_entities(items)
    if detect and text:
        items = _strip_entities(text, _merge_new(items, find_entities(text)))
    return text, sorted(items, key=sort_key)


def format_text(
    raw: str,
    *,
    parse_mode: str | None = None,
    entities: object = None,
    strict_ampersand: bool = True,
    lookup_user: UserLookup | None = None,
) -> tuple[str, list[JSON]]:
    """Turn Bot API text parameters into the stored (text, entities); text may come back empty."""
    if entities is not None:
        u16 = to_u16(raw)
        parsed = entities_from_json(entities, u16, lookup_user)
    elif parse_mode is None or parse_mode == "":
        u16, parsed = to_u16(raw), []
    elif parse_mode.lower() == "html":
        u16, parsed = parse_html(raw, strict_ampersand=strict_ampersand, lookup_user=lookup_user)
    elif parse_mode.lower() in ("markdown", "markdownv2"):
        raise FormatError("the tinbao sandbox supports parse_mode HTML only")
    else:
        raise FormatError("unsupported parse_mode")
    u16, fixed = fix_formatted_text(u16, parsed)
    return from_u16(u16), [e.to_dict() for e in fixed]
