"""What the resident reads in /tip and /status: both languages, escaped, in plain words."""

from __future__ import annotations

import datetime as dt
import string
import uuid

import pytest
from markupsafe import Markup

from handlers import status, tip
from handlers.flow import Trail, category_label, excerpt
from handlers.i18n import catalog, plain, t
from handlers.menu import MENU_ITEMS
from handlers.status.view import render_view
from handlers.tip.describe import count_text
from handlers.tip.draft import Draft
from handlers.tip.submit import _submission
from storage.tips import CATEGORIES, NewAttachment, ThreadEntry, TipsterView

STATES = ["new", "triaged", "assigned", "investigating"] + [
    f"closed.{o}" for o in ("actioned", "unfounded", "duplicate", "spam", "referred")
]
WHEN = dt.datetime(2026, 4, 12, 7, 5, tzinfo=dt.UTC)


def _keys() -> list[str]:
    keys = [f"tip.category.{c}" for c in CATEGORIES]
    keys += [f"tip.file.{k}" for k in ("photo", "video", "voice", "audio", "document")]
    keys += [f"tip.files.refused_{r}" for r in ("type", "size", "unreadable")]
    keys += [f"status.{part}.{s}" for part in ("state", "meaning") for s in STATES]
    return [*keys, "tip.reply_pushed", "command.tip", "command.status"]


@pytest.mark.parametrize("key", _keys())
def test_every_text_the_flows_compose_exists_in_both_languages(key: str) -> None:
    assert catalog("vi").get(key) and catalog("en").get(key)


def test_pushed_reply_names_the_reference_and_escapes_the_officer() -> None:
    parsed = string.Formatter().parse(catalog("vi")["tip.reply_pushed"])
    fields = {name for _, name, _, _ in parsed if name}
    assert fields == {"ref", "text"}
    pushed = t("vi", "tip.reply_pushed", ref="TB-2026-000123", text="<a href='x'>bấm</a>")
    assert "TB-2026-000123" in pushed and "&lt;a href=" in pushed and "<a href" not in pushed


def test_categories_read_like_the_movement_speaks() -> None:
    labels = [category_label("vi", c) for c in CATEGORIES]
    assert "💊 Ma tuý, trồng cây có chứa chất ma tuý" in labels
    assert any("tự giác giao nộp" in label for label in labels)
    assert any("xuất nhập cảnh trái phép" in label for label in labels)
    assert any("hòa giải" in label for label in labels)
    assert category_label("en", "fraud") == "📱 Fraud, high-tech crime"


def test_contact_choice_says_what_each_option_keeps() -> None:
    for language in ("vi", "en"):
        text = t(language, "tip.contact.ask")
        assert ("liên kết đã mã hóa" if language == "vi" else "sealed (encrypted) link") in text
        assert "/status" in text
    assert "mã biên nhận" in plain("vi", "tip.contact.none")
    assert "trả lời trong cuộc trò chuyện này" in plain("vi", "tip.contact.chat")


def test_menu_buttons_lead_to_the_flows() -> None:
    assert {"tip", "status"} <= set(MENU_ITEMS)
    assert tip.COMMANDS == ("tip",) and status.COMMANDS == ("status",)


def _view(thread: list[ThreadEntry], state: str = "new", outcome: str | None = None) -> TipsterView:
    return TipsterView(uuid.uuid4(), "TB-2026-000007", "drugs", state, outcome, WHEN, WHEN, thread)


@pytest.mark.parametrize("state", STATES)
def test_status_is_said_in_plain_words(state: str) -> None:
    code, _, outcome = state.partition(".")
    view = _view([], code, outcome or None)
    for language in ("vi", "en"):
        text = render_view(language, view)
        assert plain(language, f"status.state.{state}") in text
        assert plain(language, f"status.meaning.{state}") in text
        assert "TB-2026-000007" in text and "12/04/2026 14:05" in text  # Vietnam time


def test_thread_escapes_officer_words_and_keeps_the_newest_when_long() -> None:
    replies = [
        ThreadEntry("officer", WHEN + dt.timedelta(minutes=i), f"trả lời số {i} <b>x</b> " * 30)
        for i in range(20)
    ]
    text = render_view("vi", _view([ThreadEntry("tipster", WHEN), *replies]))
    assert len(text) < 4096
    assert "trả lời số 19" in text and "trả lời số 0 " not in text
    assert "Các tin cũ hơn không hiển thị" in text
    assert "&lt;b&gt;x&lt;/b&gt;" in text
    assert "Chưa có trả lời" in render_view("vi", _view([]))


def test_summary_parameters_are_escaped() -> None:
    text = t("vi", "tip.description.current", text="<script>alert(1)</script>")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert str(Markup("<b>{x}</b>").format(x="<i>")) == "<b>&lt;i&gt;</b>"


def test_numbers_and_excerpts() -> None:
    assert count_text("vi", 5_242_880) == "5.242.880"
    assert count_text("en", 5_242_880) == "5,242,880"
    assert excerpt("a" * 10, 20) == "a" * 10
    assert excerpt("a" * 30, 20) == "a" * 20 + "…"


def test_originals_go_only_when_the_resident_agreed() -> None:
    draft = Draft(token="0" * 12, trail=Trail(42), category="drugs", text="x" * 20)
    draft.attachments.append(NewAttachment("photo", "image/jpeg", "photo-1.jpg", b"clean", b"raw"))
    assert draft.has_originals
    sent = _submission(draft, "vi")
    assert [a.original for a in sent["attachments"]] == [None] and sent["reply_route"] is None
    draft.keep_originals, draft.reply_route = True, True
    sent = _submission(draft, "en")
    assert [a.original for a in sent["attachments"]] == [b"raw"]
    assert sent["reply_route"].chat_id == 42 and sent["reply_route"].language == "en"
