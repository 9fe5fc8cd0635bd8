"""Console texts: gettext .po catalogs under `admin/locales/<lang>/<feature>.po`, read with Babel.

Message ids are symbolic (`triage.queue.title`); Vietnamese is the reference and every id
exists in both languages. Templates call `_("id", name=value)`; parameters are escaped.
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


@cache
def catalog(language: Language) -> dict[str, str]:
    """All console messages of one language, merged from every .po file of that language."""
    return read_catalogs(LOCALES_DIR, language)


def as_language(code: str | None, default: Language = DEFAULT_LANGUAGE) -> Language:
    """A supported language from a stored choice or a cookie."""
    if code == "en":
        return "en"
    if code == "vi":
        return "vi"
    return default


def translate(language: Language, key: str, /, **params: object) -> Markup:
    """The message `key` as safe HTML; an unknown id shows as itself so it is easy to spot."""
    text = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    # Catalog texts are ours and trusted; Markup.format escapes every parameter.
    return Markup(text).format(**params) if params else Markup(text)  # noqa: S704


def translate_or(language: Language, key: str, fallback: str) -> Markup:
    """The message `key`, or `fallback` (escaped) when no catalog defines it."""
    text = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE).get(key)
    return Markup(text) if text is not None else Markup.escape(fallback)  # noqa: S704


def plain(language: Language, key: str, /, **params: object) -> str:
    """The message `key` as plain text (JSON errors, headers)."""
    text = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**params) if params else text
