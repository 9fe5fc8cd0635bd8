"""Message catalogs: Vietnamese first, English second, from gettext .po files via Babel.

Each feature keeps its own catalog file (`locales/<lang>/<feature>.po`); message ids are
symbolic (`start.welcome`), and the Vietnamese catalog is the reference.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from markupsafe import Markup

from storage.catalogs import read_catalogs

Language = Literal["vi", "en"]
LANGUAGES: tuple[Language, ...] = ("vi", "en")
DEFAULT_LANGUAGE: Language = "vi"
LOCALES_DIR = Path(__file__).parent / "locales"


class MissingMessage(KeyError):
    """A message id that no catalog defines."""


@cache
def catalog(language: Language) -> dict[str, str]:
    """All messages of one language, merged from every .po file of that language."""
    return read_catalogs(LOCALES_DIR, language)


def as_language(code: str | None) -> Language:
    """Map a Telegram `language_code` (or a stored choice) to a language we speak."""
    if code and code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def t(language: Language, key: str, /, **params: object) -> str:
    """The message `key` in `language`, as Telegram HTML; every parameter is escaped.

    Catalog texts may carry Telegram HTML (<b>, <i>, <code>); parameters never do, unless
    the caller passes a `markupsafe.Markup` built from escaped parts.
    """
    text = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE).get(key)
    if text is None:
        raise MissingMessage(key)
    # The catalog text is ours and trusted; Markup.format escapes each parameter.
    return str(Markup(text).format(**params)) if params else text  # noqa: S704


def plain(language: Language, key: str, /, **params: object) -> str:
    """The message `key` for places that take no HTML (button labels, alerts)."""
    text = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE).get(key)
    if text is None:
        raise MissingMessage(key)
    return text.format(**params) if params else text
