"""/forum: the forum "Công an lắng nghe ý kiến Nhân dân" in the resident's chat.

The open sessions of the resident's areas (their warning subscription's communes, or one
they pick from the unit tree for this chat) and those closed in the last months; inside a
session the answered questions, "I have this question too", reports of abusive answers,
and the resident's own questions. Asking is a conversation, in `handlers.forum_ask`.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler

from handlers import common, forum_ask, forum_views
from handlers.context import Context, TinbaoApp, core_of, is_private, language_of
from handlers.conversation import on_button
from handlers.forum_views import View
from handlers.i18n import plain, t
from handlers.menu import alert, answer, callback_arg, replace
from storage import forum_residents, units
from storage.forum_residents import Counted

COMMANDS = ("forum",)
# Areas picked in this chat, kept in memory only (user_data is not persisted).
AREAS_KEY = "forum.areas"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


async def _show(update: Update, view: View) -> None:
    """Replace the pressed message with the view, or send it as a new message."""
    await answer(update)
    await replace(update, *view)


async def _areas(update: Update, context: Context) -> list[int]:
    """Units picked in this chat, else the resident's warning subscription."""
    picked = context.user_data.get(AREAS_KEY) if context.user_data is not None else None
    if picked:
        return list(picked)
    user = update.effective_user
    return await forum_residents.resident_areas(core_of(context), user.id) if user else []


async def home(update: Update, context: Context) -> None:
    """/forum or the menu's Forum button."""
    language = await language_of(update, context)
    if not is_private(update):
        await common.use_private(update, context)
        return
    area_ids = await _areas(update, context)
    if not area_ids:
        await pick_area(update, context)
        return
    core = core_of(context)
    opened, closed = await forum_residents.sessions_for(core, area_ids)
    async with core.db.read() as session:
        found = [await units.get_unit(session, unit_id) for unit_id in area_ids]
    names = [units.place_name(unit, language) for unit in found if unit is not None]
    await _show(update, forum_views.home(language, names, opened, len(closed)))


async def pick_area(update: Update, context: Context) -> None:
    """Walk the unit tree to the commune (or ward) whose forums to show."""
    language = await language_of(update, context)
    query = update.callback_query
    browsing = query is not None and (query.data or "").startswith("forum:area:")
    parent_id, page = (
        (int(callback_arg(update, 2)), int(callback_arg(update, 3))) if browsing else (0, 0)
    )
    async with core_of(context).db.read() as session:
        parent = await units.get_unit(session, parent_id) if parent_id else None
        below = await units.children(session, parent.id if parent else None)
        with_children = await units.has_children(session, [u.id for u in below])
    await _show(update, forum_views.area_picker(language, parent, below, with_children, page))


async def choose_area(update: Update, context: Context) -> None:
    """Remember the picked unit for this chat and show its forums."""
    if context.user_data is not None:
        context.user_data[AREAS_KEY] = [int(callback_arg(update, 2))]
    await home(update, context)


async def closed_sessions(update: Update, context: Context) -> None:
    """The sessions of the resident's areas that ended in the last months."""
    language = await language_of(update, context)
    _opened, closed = await forum_residents.sessions_for(
        core_of(context), await _areas(update, context)
    )
    await _show(update, forum_views.closed_list(language, closed))


async def show_session(update: Update, context: Context) -> None:
    """One session: its description, state and what the resident can do."""
    language = await language_of(update, context)
    sid = int(callback_arg(update, 2))
    user = update.effective_user
    overview = await forum_residents.overview(core_of(context), sid, user.id if user else 0)
    if overview is None:
        await alert(update, plain(language, "forum.gone"))
        return
    await _show(update, forum_views.session_view(language, overview))


async def list_questions(update: Update, context: Context) -> None:
    """Answered (or still waiting) published questions of a session, paged."""
    language = await language_of(update, context)
    which, sid = callback_arg(update, 1), int(callback_arg(update, 2))
    page = int(callback_arg(update, 3))
    core = core_of(context)
    user = update.effective_user
    overview = await forum_residents.overview(core, sid, user.id if user else 0)
    if overview is None:
        await alert(update, plain(language, "forum.gone"))
        return
    found = await forum_residents.public_questions(core, sid, answered=which == "ans")
    view = forum_views.question_list(language, overview.info, found, page, answered=which == "ans")
    await _show(update, view)


async def _question_view(update: Update, context: Context, question_id: uuid.UUID) -> View | None:
    language = await language_of(update, context)
    core = core_of(context)
    question = await forum_residents.public_question(core, question_id)
    if question is None:
        return None
    user = update.effective_user
    overview = await forum_residents.overview(core, question.session_id, user.id if user else 0)
    if overview is None:
        return None
    return forum_views.question_view(language, question, overview.info)


async def show_question(update: Update, context: Context) -> None:
    """A published question with its answer and the vote and report buttons."""
    language = await language_of(update, context)
    view = await _question_view(update, context, uuid.UUID(callback_arg(update, 2)))
    if view is None:
        await alert(update, plain(language, "forum.question.gone"))
        return
    await _show(update, view)


async def _count(
    update: Update, context: Context, use_case: Callable[..., Awaitable[Counted]], key: str
) -> tuple[str, View | None]:
    """Count the resident's vote or report once, say the outcome; the question as it is now."""
    language = await language_of(update, context)
    question_id = uuid.UUID(callback_arg(update, 2))
    user = update.effective_user
    assert user is not None
    result = await use_case(core_of(context), question_id, user.id)
    await alert(update, plain(language, f"{key}.{result.outcome}"))
    return result.outcome, await _question_view(update, context, question_id)


async def vote(update: Update, context: Context) -> None:
    """ "I have this question too": counted once per resident; a repeat says so."""
    outcome, view = await _count(update, context, forum_residents.vote, "forum.vote")
    if view is not None and outcome == "added":
        await replace(update, *view)  # the pop-up answered the press


async def report(update: Update, context: Context) -> None:
    """The report button: ask before counting it."""
    language = await language_of(update, context)
    question_id = callback_arg(update, 2)
    query = update.callback_query
    assert query is not None
    await answer(update)
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramError):
            await query.message.edit_reply_markup(
                reply_markup=forum_views.report_confirm(language, question_id)
            )


async def report_confirmed(update: Update, context: Context) -> None:
    """Count the report; enough of them hide the question until a moderator looks."""
    _outcome, view = await _count(update, context, forum_residents.report, "forum.report")
    if view is not None:
        await replace(update, *view)  # the pop-up answered the press
        return
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        language = await language_of(update, context)
        with contextlib.suppress(TelegramError):
            await query.message.edit_text(t(language, "forum.question.hidden_now"))


async def my_questions(update: Update, context: Context) -> None:
    """The resident's own questions in a session: pending, answered, declined (and why)."""
    language = await language_of(update, context)
    sid = int(callback_arg(update, 2))
    user = update.effective_user
    assert user is not None
    core = core_of(context)
    overview = await forum_residents.overview(core, sid, user.id)
    if overview is None:
        await alert(update, plain(language, "forum.gone"))
        return
    mine = await forum_residents.my_questions(core, sid, user.id)
    await _show(update, forum_views.mine_view(language, overview.info, mine))


def register(application: TinbaoApp) -> None:
    """The asking conversation first, then the browsing buttons."""
    forum_ask.register(application)
    application.add_handler(CommandHandler("forum", home))
    application.add_handler(on_button(r"^(menu:forum|forum:home)$", home))
    application.add_handler(on_button(r"^forum:area:\d{1,9}:\d{1,4}$", pick_area))
    application.add_handler(on_button(r"^forum:pick:\d{1,9}$", choose_area))
    application.add_handler(on_button(r"^forum:closed$", closed_sessions))
    application.add_handler(on_button(r"^forum:s:\d{1,9}$", show_session))
    application.add_handler(on_button(r"^forum:(ans|wait):\d{1,9}:\d{1,4}$", list_questions))
    application.add_handler(on_button(rf"^forum:q:{UUID}$", show_question))
    application.add_handler(on_button(rf"^forum:vote:{UUID}$", vote))
    application.add_handler(on_button(rf"^forum:rep:{UUID}$", report))
    application.add_handler(on_button(rf"^forum:repok:{UUID}$", report_confirmed))
    application.add_handler(on_button(r"^forum:mine:\d{1,9}$", my_questions))
    # Any other forum: button is stale or forged; the common fallback says so.
