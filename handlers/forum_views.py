"""What the forum screens look like: texts and keyboards, built from the use cases' data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from markupsafe import Markup
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.i18n import Language, plain, t
from handlers.menu import button, paged
from storage.forum import SessionInfo
from storage.forum_residents import MyQuestion, Overview, PublicQuestion
from storage.models import Unit
from storage.quiet import VIETNAM
from storage.units import place_name

View = tuple[str, InlineKeyboardMarkup]
LABEL_EXCERPT = 48
PER_PAGE = 6


def when(moment: dt.datetime) -> str:
    """A time as residents read it: Vietnam time, day first."""
    return moment.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")


def _excerpt(text: str, size: int = LABEL_EXCERPT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1].rstrip() + "…"


def _quote(text: str) -> Markup:
    """A resident's or an officer's words, escaped, inside a Telegram block quote."""
    return Markup("<blockquote>{}</blockquote>").format(text)


def home(
    language: Language, areas: Sequence[str], opened: Sequence[SessionInfo], closed: int
) -> View:
    """The /forum screen: open sessions of the resident's areas."""
    lines = [t(language, "forum.home.title")]
    if areas:
        lines.append(t(language, "forum.home.areas", areas=", ".join(areas)))
    lines.append(t(language, "forum.home.open") if opened else t(language, "forum.home.none_open"))
    rows = [
        [InlineKeyboardButton(f"🟢 {_excerpt(info.title, 60)}", callback_data=f"forum:s:{info.id}")]
        for info in opened
    ]
    if closed:
        rows.append([button(language, "forum.button.closed", "forum:closed", count=closed)])
    rows.append([button(language, "forum.button.area", "forum:area:0:0")])
    return "\n\n".join(lines), InlineKeyboardMarkup(rows)


def area_picker(
    language: Language,
    parent: Unit | None,
    units: Sequence[Unit],
    with_children: set[int],
    page: int,
) -> View:
    """Choose the commune (or ward) to follow, walking down the unit tree."""
    items = [
        (
            f"▸ {place_name(unit, language)}"
            if unit.id in with_children
            else place_name(unit, language),
            f"forum:area:{unit.id}:0" if unit.id in with_children else f"forum:pick:{unit.id}",
        )
        for unit in units
    ]
    parent_id = parent.id if parent is not None else 0
    rows = paged(items, page, page_data=f"forum:area:{parent_id}:{{page}}", per_page=10)
    if parent is not None:
        whole = button(
            language,
            "forum.button.whole_area",
            f"forum:pick:{parent.id}",
            place=place_name(parent, language),
        )
        rows.insert(0, [whole])
        up = parent.parent_id or 0
        rows.append([button(language, "button.back", f"forum:area:{up}:0")])
    else:
        rows.append([button(language, "button.back", "forum:home")])
    return t(language, "forum.area.choose"), InlineKeyboardMarkup(rows)


def closed_list(language: Language, closed: Sequence[SessionInfo]) -> View:
    """Sessions of the resident's areas that ended in the last months."""
    rows = [
        [
            InlineKeyboardButton(
                f"🗂 {_excerpt(info.title, 50)} · {info.closes_at.astimezone(VIETNAM):%d/%m}",
                callback_data=f"forum:s:{info.id}",
            )
        ]
        for info in closed
    ]
    rows.append([button(language, "button.back", "forum:home")])
    return t(language, "forum.closed.title"), InlineKeyboardMarkup(rows)


def _state_line(language: Language, info: SessionInfo) -> str:
    if info.status == "closed":
        return t(language, "forum.session.closed")
    if info.accepting():
        return t(language, "forum.session.accepting", closes=when(info.closes_at))
    return t(language, "forum.session.not_accepting")


def session_view(language: Language, overview: Overview) -> View:
    """One session: what it is about, and what a resident can do in it."""
    info = overview.info
    text = t(
        language,
        "forum.session.view",
        title=info.title,
        police=info.police[language],
        opens=when(info.opens_at),
        closes=when(info.closes_at),
        description=info.description or "—",
    )
    text += "\n\n" + _state_line(language, info)
    rows = []
    if info.accepting():
        rows.append([button(language, "forum.button.ask", f"forum:ask:{info.id}")])
    rows.append(
        [
            button(
                language, "forum.button.answered", f"forum:ans:{info.id}:0", count=overview.answered
            )
        ]
    )
    if overview.waiting:
        rows.append(
            [
                button(
                    language,
                    "forum.button.waiting",
                    f"forum:wait:{info.id}:0",
                    count=overview.waiting,
                )
            ]
        )
    if overview.mine:
        rows.append(
            [button(language, "forum.button.mine", f"forum:mine:{info.id}", count=overview.mine)]
        )
    rows.append([button(language, "button.back", "forum:home")])
    return text, InlineKeyboardMarkup(rows)


def question_list(
    language: Language,
    info: SessionInfo,
    questions: Sequence[PublicQuestion],
    page: int,
    *,
    answered: bool,
) -> View:
    """Published questions as buttons, the most shared first, a page at a time."""
    which = "ans" if answered else "wait"
    items = [(f"👥 {q.votes} · {_excerpt(q.text)}", f"forum:q:{q.id}") for q in questions]
    rows = paged(
        items, page, page_data=f"forum:{which}:{info.id}:{{page}}", per_page=PER_PAGE, columns=1
    )
    rows.append([button(language, "button.back", f"forum:s:{info.id}")])
    key = "forum.list.answered" if answered else "forum.list.waiting"
    if not questions:
        key += "_none"
    return t(language, key, title=info.title), InlineKeyboardMarkup(rows)


def question_view(language: Language, question: PublicQuestion, info: SessionInfo) -> View:
    """A published question, its supporters and the official answer."""
    asker = question.name or plain(language, "forum.anonymous")
    kind = plain(language, f"forum.kind.{question.kind}")
    parts = [
        t(language, "forum.question.head", kind=kind, asker=asker),
        str(_quote(question.text)),
        t(language, "forum.question.votes", count=question.votes),
    ]
    answer = question.answer
    if answer is not None:
        parts.append(
            t(
                language,
                "forum.question.answer_head",
                signer=info.signer(answer.signed_by, language),
            )
        )
        parts.append(str(_quote(answer.text)))
        if answer.edited:
            parts.append(t(language, "forum.question.edited"))
    rows = []
    if info.accepting():
        rows.append(
            [
                button(
                    language, "forum.button.vote", f"forum:vote:{question.id}", count=question.votes
                )
            ]
        )
    if answer is not None:
        rows.append([button(language, "forum.button.report", f"forum:rep:{question.id}")])
    back = f"forum:{'ans' if answer is not None else 'wait'}:{info.id}:0"
    rows.append([button(language, "button.back", back)])
    return "\n\n".join(parts), InlineKeyboardMarkup(rows)


def report_confirm(language: Language, question_id: str) -> InlineKeyboardMarkup:
    """Are you sure? A report hides an answer from everyone once enough residents agree."""
    return InlineKeyboardMarkup(
        [
            [button(language, "forum.button.report_yes", f"forum:repok:{question_id}")],
            [button(language, "forum.button.report_no", f"forum:q:{question_id}")],
        ]
    )


def mine_view(language: Language, info: SessionInfo, mine: Sequence[MyQuestion]) -> View:
    """The resident's own questions in a session and where each stands."""
    lines = [t(language, "forum.mine.title", title=info.title)]
    for number, item in enumerate(mine, start=1):
        state = t(language, f"forum.mine.{item.status}", reason=item.decline_reason or "")
        kind = plain(language, f"forum.kind.{item.kind}")
        line = t(language, "forum.mine.line", number=number, kind=kind, sent=when(item.created_at))
        line += " — " + state
        if item.public_text:
            line += "\n" + str(_quote(_excerpt(item.public_text, 200)))
        lines.append(line)
    lines.append(t(language, "forum.mine.note"))
    rows = [[button(language, "button.back", f"forum:s:{info.id}")]]
    return "\n\n".join(lines), InlineKeyboardMarkup(rows)
