"""Every resident-facing text exists in Vietnamese and English, with the same placeholders."""

from __future__ import annotations

import string

import pytest

from handlers.i18n import LANGUAGES, MissingMessage, as_language, catalog, plain, t


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogs_have_the_same_messages() -> None:
    assert set(catalog("vi")) == set(catalog("en"))
    assert len(catalog("vi")) > 20


@pytest.mark.parametrize("key", sorted(catalog("vi")))
def test_placeholders_match(key: str) -> None:
    assert _fields(catalog("vi")[key]) == _fields(catalog("en")[key])


def test_vietnamese_is_written_with_diacritics() -> None:
    welcome = t("vi", "start.welcome")
    assert "Toàn dân bảo vệ an ninh Tổ quốc" in welcome
    assert "Công an lắng nghe ý kiến Nhân dân" in welcome
    assert "113" in welcome


def test_parameters_are_escaped_but_catalog_markup_is_kept() -> None:
    from markupsafe import Markup

    text = Markup("<b>{name}</b>").format(name="<script>")
    assert str(text) == "<b>&lt;script&gt;</b>"
    assert "<b>" in t("vi", "lang.set")


def test_language_resolution() -> None:
    assert as_language("en-GB") == "en"
    assert as_language("vi") == "vi"
    assert as_language("fr") == "vi"
    assert as_language(None) == "vi"
    assert set(LANGUAGES) == {"vi", "en"}


def test_missing_message_is_loud() -> None:
    with pytest.raises(MissingMessage):
        t("vi", "no.such.message")
    with pytest.raises(MissingMessage):
        plain("en", "no.such.message")
