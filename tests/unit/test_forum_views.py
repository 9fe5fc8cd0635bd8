"""The forum screens: residents' words are escaped, buttons follow the session's state,
and every callback fits Telegram's 64 bytes."""

from __future__ import annotations

import datetime as dt
import uuid

from telegram import InlineKeyboardMarkup

from handlers import forum_views
from handlers.i18n import LANGUAGES
from storage.forum import SessionInfo
from storage.forum_residents import MyQuestion, Overview, PublicAnswer, PublicQuestion
from storage.models import utcnow


def _session(status: str = "open", closes_in: dt.timedelta = dt.timedelta(days=1)) -> SessionInfo:
    now = utcnow()
    return SessionInfo(
        id=123456789,
        unit_id=2,
        unit_code="LS-THANH-LONG",
        police={"vi": "Công an xã Thanh Long", "en": "Thanh Long commune police"},
        place={"vi": "xã Thanh Long", "en": "Thanh Long commune"},
        title="Diễn đàn <Thanh Long> & bà con",
        description="",
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + closes_in,
        status=status,
        publish_group_ids=(),
        opened_at=now,
        closed_at=None,
    )


def _question(answered: bool = True) -> PublicQuestion:
    answer = PublicAnswer("Đến <b>trụ sở</b> Công an xã.", "front", utcnow(), edited=True)
    return PublicQuestion(
        id=uuid.uuid4(),
        session_id=123456789,
        kind="question",
        text="<script>alert(1)</script> Đăng ký tạm trú ở đâu?",
        name="Chị <i>Lan</i>",
        votes=7,
        answer=answer if answered else None,
    )


def _data(markup: InlineKeyboardMarkup) -> list[str]:
    return [str(b.callback_data) for row in markup.inline_keyboard for b in row]


def test_residents_words_are_escaped_and_the_answer_is_signed() -> None:
    text, markup = forum_views.question_view("vi", _question(), _session())
    assert "&lt;script&gt;" in text and "<script>" not in text
    assert "Chị &lt;i&gt;Lan&lt;/i&gt;" in text
    assert "Đến &lt;b&gt;trụ sở&lt;/b&gt;" in text
    assert "Ủy ban MTTQ Việt Nam xã Thanh Long giải đáp" in text
    assert "đã được chỉnh sửa" in text
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert "🙋 Tôi cũng có câu hỏi này (7)" in labels and "🚩 Báo cáo vi phạm" in labels


def test_no_votes_once_the_session_stops_taking_questions_and_no_report_before_an_answer() -> None:
    _text, closed = forum_views.question_view("en", _question(), _session("closed"))
    assert not any(d.startswith("forum:vote:") for d in _data(closed))
    assert any(d.startswith("forum:rep:") for d in _data(closed))
    _text, waiting = forum_views.question_view("vi", _question(answered=False), _session())
    assert not any(d.startswith("forum:rep:") for d in _data(waiting))
    assert _data(waiting)[-1] == "forum:wait:123456789:0"


def test_session_view_offers_asking_only_while_open() -> None:
    open_view = Overview(_session(), answered=2, waiting=1, mine=1)
    text, markup = forum_views.session_view("vi", open_view)
    assert "Diễn đàn &lt;Thanh Long&gt; &amp; bà con" in text
    assert "forum:ask:123456789" in _data(markup)
    assert "forum:mine:123456789" in _data(markup)
    late = Overview(_session(closes_in=dt.timedelta(minutes=-1)), answered=0, waiting=0, mine=0)
    text, markup = forum_views.session_view("vi", late)
    assert "hết thời gian nhận câu hỏi" in text
    assert not any(d.startswith("forum:ask:") for d in _data(markup))


def test_every_callback_fits_telegram() -> None:
    session = _session()
    views = []
    for language in LANGUAGES:
        views.append(forum_views.question_view(language, _question(), session))
        views.append(forum_views.session_view(language, Overview(session, 1, 1, 1)))
        views.append(
            forum_views.question_list(language, session, [_question()] * 20, 2, answered=True)
        )
        views.append(forum_views.home(language, ["xã Thanh Long"], [session], 3))
    confirm = forum_views.report_confirm("vi", str(uuid.uuid4()))
    for data in [d for _t, m in views for d in _data(m)] + _data(confirm):
        assert len(data.encode()) <= 64, data


def test_my_questions_show_the_state_and_the_reason() -> None:
    mine = [
        MyQuestion(uuid.uuid4(), "question", "pending", utcnow(), None, None),
        MyQuestion(uuid.uuid4(), "opinion", "declined", utcnow(), "Đã chuyển <UBND> xã", None),
    ]
    text, _markup = forum_views.mine_view("vi", _session(), mine)
    assert "đang chờ duyệt" in text
    assert "Lý do: Đã chuyển &lt;UBND&gt; xã" in text
