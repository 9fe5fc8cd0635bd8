"""Console catalogs: both languages define the same ids, and every id the console uses exists."""

from __future__ import annotations

import re
from pathlib import Path

from admin.i18n import LOCALES_DIR, catalog, translate

ADMIN = Path(__file__).resolve().parents[2] / "admin"
LITERAL = re.compile(r"""_\(\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")
FLASH = re.compile(r"""["']((?:auth|tip|users|triage|account)\.(?:flash|error)\.[a-z0-9_]+)["']""")
# Ids built in templates from a prefix and a value, with the values they take.
PREFIXES = {
    "status.": ("new", "triaged", "assigned", "investigating", "closed", "open", "all", "overdue"),
    "outcome.": ("actioned", "unfounded", "duplicate", "spam", "referred"),
    "priority.": ("low", "normal", "high", "urgent"),
    "sort.": ("newest", "oldest", "priority", "updated"),
    "age.": ("1d", "7d", "30d", "90d"),
    "role.": ("admin", "triage", "moderator", "broadcaster"),
}


def test_vietnamese_and_english_define_the_same_ids() -> None:
    for path in sorted((LOCALES_DIR / "vi").glob("*.po")):
        assert (LOCALES_DIR / "en" / path.name).exists(), path.name
    assert set(catalog("vi")) == set(catalog("en"))


def test_every_id_used_by_the_console_exists() -> None:
    used: set[str] = set()
    for path in [*ADMIN.rglob("*.html"), *ADMIN.rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        used |= set(LITERAL.findall(text)) | set(FLASH.findall(text))
    used = {key for key in used if not key.endswith(".")}
    missing = sorted(key for key in used if key not in catalog("vi"))
    assert not missing, missing
    for prefix, values in PREFIXES.items():
        for value in values:
            assert prefix + value in catalog("vi"), prefix + value
    from storage.tips import CATEGORIES

    for category in CATEGORIES:
        assert f"category.{category}" in catalog("vi")
        assert f"category.{category}" in catalog("en")


def test_vietnamese_texts_carry_diacritics() -> None:
    assert str(translate("vi", "auth.login.title")) == "Đăng nhập"
    assert "Phiên làm việc đã hết hạn" in str(translate("vi", "auth.expired"))
    assert str(translate("en", "auth.login.title")) == "Sign in"


def test_parameters_are_escaped() -> None:
    text = str(translate("vi", "home.greeting", name="<b>x</b>"))
    assert text == "Xin chào, &lt;b&gt;x&lt;/b&gt;"
