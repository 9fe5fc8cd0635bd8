"""Telegram HTML shown in the console as residents will see it.

Only text that passed `storage.telegram_html` is rendered, through a whitelist: each
allowed Telegram tag becomes a fixed browser tag, attributes are rebuilt (links keep only
an escaped http(s)/tg href), everything else is escaped. The result is markup the console
may put in a page as is.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from storage.telegram_html import HtmlError, tokens

_TAGS = {
    "b": "strong",
    "strong": "strong",
    "i": "em",
    "em": "em",
    "u": "u",
    "ins": "u",
    "s": "s",
    "strike": "s",
    "del": "s",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}


def _open(name: str, attrs: dict[str, str]) -> tuple[str, str]:
    """The browser tag that stands for a Telegram tag, and its opening markup."""
    if name in _TAGS:
        return _TAGS[name], f"<{_TAGS[name]}>"
    if name == "a":
        href = escape(attrs.get("href", ""))
        return "a", f'<a href="{href}" rel="noopener noreferrer" target="_blank">'
    if name in ("tg-spoiler", "span"):
        return "span", '<span class="tg-spoiler">'
    return "span", "<span>"  # tg-emoji: its text is the fallback emoji


def preview(text: str) -> Markup:
    """Whitelisted HTML for a valid Telegram text, or the text escaped when it is not valid."""
    parts: list[str] = []
    stack: list[str] = []
    try:
        for token in tokens(text):
            if token.kind in ("text", "entity"):
                parts.append(str(escape(token.value)))
            elif token.kind == "open":
                tag, markup = _open(token.value, token.attrs)
                stack.append(tag)
                parts.append(markup)
            else:
                parts.append(f"</{stack.pop()}>")
    except HtmlError:
        return Markup(escape(text))  # noqa: S704 (escaped in full)
    return Markup("".join(parts))  # noqa: S704 (built from escaped parts and fixed tags)
