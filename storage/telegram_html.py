"""Telegram HTML as the Bot API accepts it (parse_mode HTML), checked before it is queued.

Allowed: <b> <strong> <i> <em> <u> <ins> <s> <strike> <del> <tg-spoiler>
<span class="tg-spoiler"> <a href> <code> <pre> (with <code class="language-x"> directly
inside) <blockquote> (optionally `expandable`) and <tg-emoji emoji-id>; the entities &lt;
&gt; &amp; &quot; and numeric ones. Every other `<`, `>` or `&` must be escaped. A text
that passes here is what Telegram would take, and is safe to show in the console.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

SIMPLE_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "code", "pre"}
)
ALL_TAGS = SIMPLE_TAGS | {"a", "span", "blockquote", "tg-emoji"}
NAMED_ENTITIES = frozenset({"lt", "gt", "amp", "quot"})
LINK_SCHEMES = ("http://", "https://", "tg://")

_TOKEN = re.compile(
    r"<(?P<close>/)?(?P<name>[a-zA-Z][a-zA-Z0-9-]*)(?P<attrs>(?:\s+[^<>]*?)?)\s*>"
    r"|&(?P<entity>#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]+);"
    r"|(?P<bad>[<>&])"
)
_ATTR = re.compile(r"""\s*([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


class HtmlError(ValueError):
    """Text Telegram would refuse with "can't parse entities"; the message says where."""


@dataclass(frozen=True)
class _Open:
    name: str
    at: int


def _attributes(raw: str, at: int) -> dict[str, str]:
    attrs: dict[str, str] = {}
    position = 0
    raw = raw.strip()
    while position < len(raw):
        match = _ATTR.match(raw, position)
        if match is None or match.end() == position:
            raise HtmlError(f"malformed attributes at character {at}")
        name = match.group(1).lower()
        value = next((g for g in match.group(2, 3, 4) if g is not None), "")
        attrs[name] = html.unescape(value)
        position = match.end()
    return attrs


def _check_open(name: str, attrs: dict[str, str], stack: list[_Open], at: int) -> None:
    names = [o.name for o in stack]
    if any(n in ("pre", "code") for n in names) and not (
        name == "code" and names and names[-1] == "pre"
    ):
        raise HtmlError(f"<{name}> inside <{names[-1]}> at character {at}")
    if name in SIMPLE_TAGS:
        allowed = {"class"} if name == "code" and "pre" in names else set()
        if name == "code" and attrs.get("class", "language-x")[:9] != "language-":
            raise HtmlError(f"<code class> must be language-… at character {at}")
    elif name == "a":
        allowed = {"href"}
        if "a" in names:
            raise HtmlError(f"a link inside a link at character {at}")
        if not attrs.get("href", "").startswith(LINK_SCHEMES):
            raise HtmlError(f"<a> needs an http(s):// or tg:// href at character {at}")
    elif name == "span":
        allowed = {"class"}
        if attrs.get("class") != "tg-spoiler":
            raise HtmlError(f'only <span class="tg-spoiler"> is allowed (character {at})')
    elif name == "blockquote":
        allowed = {"expandable"}
        if "blockquote" in names:
            raise HtmlError(f"a quote inside a quote at character {at}")
    else:  # tg-emoji
        allowed = {"emoji-id"}
        if not attrs.get("emoji-id", "").isdigit():
            raise HtmlError(f"<tg-emoji> needs a numeric emoji-id at character {at}")
    extra = set(attrs) - allowed
    if extra:
        raise HtmlError(f"attribute {sorted(extra)[0]!r} not allowed on <{name}> (character {at})")


def _check_entity(entity: str, at: int) -> None:
    if entity.startswith("#"):
        number = int(entity[2:], 16) if entity[1:2] in ("x", "X") else int(entity[1:])
        if not 0 < number <= 0x10FFFF:
            raise HtmlError(f"numeric entity out of range at character {at}")
    elif entity not in NAMED_ENTITIES:
        raise HtmlError(f"unsupported entity &{entity}; at character {at} (escape & as &amp;)")


@dataclass(frozen=True)
class Token:
    """A piece of Telegram HTML: text, an opening or closing tag, or an entity."""

    kind: str  # "text", "open", "close", "entity"
    value: str  # the text, the tag name, or the entity decoded
    attrs: dict[str, str]
    at: int


def tokens(text: str) -> Iterator[Token]:
    """The pieces of `text` in order; raises HtmlError where Telegram would refuse it."""
    stack: list[_Open] = []
    position = 0
    for match in _TOKEN.finditer(text):
        at = match.start()
        if at > position:
            yield Token("text", text[position:at], {}, position)
        position = match.end()
        if match.group("bad"):
            raise HtmlError(
                f"unescaped {match.group('bad')!r} at character {at} (use &lt; &gt; &amp;)"
            )
        if match.group("entity"):
            _check_entity(match.group("entity"), at)
            yield Token("entity", html.unescape(match.group(0)), {}, at)
            continue
        name = match.group("name").lower()
        if name not in ALL_TAGS:
            raise HtmlError(f"tag <{name}> is not supported by Telegram (character {at})")
        if match.group("close"):
            if not stack or stack[-1].name != name:
                expected = f"</{stack[-1].name}>" if stack else "no closing tag"
                raise HtmlError(f"</{name}> at character {at}, expected {expected}")
            stack.pop()
            yield Token("close", name, {}, at)
            continue
        attrs = _attributes(match.group("attrs") or "", at)
        _check_open(name, attrs, stack, at)
        stack.append(_Open(name, at))
        yield Token("open", name, attrs, at)
    if position < len(text):
        yield Token("text", text[position:], {}, position)
    if stack:
        raise HtmlError(f"<{stack[-1].name}> at character {stack[-1].at} is never closed")


def check_html(text: str) -> None:
    """Raise HtmlError unless Telegram would accept `text` with parse_mode HTML."""
    for _token in tokens(text):
        pass


def is_valid(text: str) -> bool:
    """True when Telegram would accept `text`."""
    try:
        check_html(text)
    except HtmlError:
        return False
    return True


def to_plain(text: str) -> str:
    """The text a reader sees, without tags, entities decoded (for CAP, Atom, previews)."""
    return html.unescape(re.sub(r"<[^<>]*>", "", text))


def visible_length(text: str) -> int:
    """Length as Telegram counts it against its limits (UTF-16 code units, after parsing)."""
    return len(to_plain(text).encode("utf-16-le")) // 2
