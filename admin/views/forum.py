"""Forum sessions in the console (role moderator): list, create, open, close, summary, and
the session page with its moderation queue. Question actions are in `forum_questions`.
"""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from admin import kit
from admin.views import forum_api, forum_questions, forum_texts
from storage import forum, forum_moderation, forum_queries
from storage.broadcast import BroadcastError
from storage.forum import ForumError, ForumNotFound
from storage.models import QUESTION_STATES, SIGNERS, TOPICS
from storage.quiet import VIETNAM

SESSION = r"{session_id:\d{1,9}}"
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def session_id_of(request: web.Request) -> int:
    """The session id in the path (the route pattern already checked it is a number)."""
    return int(request.match_info["session_id"])


def parse_local(value: str) -> dt.datetime | None:
    """A `datetime-local` field (Vietnam time) as UTC, or None when it is not one."""
    try:
        naive = dt.datetime.strptime(value.strip(), LOCAL_INPUT)
    except ValueError:
        return None
    return naive.replace(tzinfo=VIETNAM).astimezone(dt.UTC)


@kit.requires("moderator")
async def sessions_page(request: web.Request) -> web.StreamResponse:
    """GET /forum: the sessions of the officer's units, newest first, with their queues."""
    core = kit.core(request)
    identity = kit.current(request).identity
    rows = await forum_queries.list_sessions(core, identity)
    flagged = await forum_moderation.flagged_count(core, identity)
    return kit.render(request, "forum/sessions.html", {"rows": rows, "flagged": flagged})


async def _form_page(
    request: web.Request, values: dict[str, str], error: str | None, status: int = 200
) -> web.Response:
    choices = await forum_queries.choices(kit.core(request), kit.current(request).identity)
    context = {"choices": choices, "values": values, "error": error}
    return kit.render(request, "forum/new.html", context, status=status)


@kit.requires("moderator")
async def new_page(request: web.Request) -> web.StreamResponse:
    """GET /forum/new: the form for a new session."""
    now = dt.datetime.now(VIETNAM).replace(minute=0, second=0, microsecond=0)
    values = {
        "opens_at": (now + dt.timedelta(hours=1)).strftime(LOCAL_INPUT),
        "closes_at": (now + dt.timedelta(days=7, hours=1)).strftime(LOCAL_INPUT),
        "all_groups": "1",
    }
    return await _form_page(request, values, None)


@kit.requires("moderator")
async def create(request: web.Request) -> web.StreamResponse:
    """POST /forum: create a session in draft."""
    core = kit.core(request)
    identity = kit.current(request).identity
    data = await request.post()
    values = {k: v for k, v in data.items() if isinstance(v, str)}
    unit, opens, closes = (
        values.get("unit_id", ""),
        parse_local(values.get("opens_at", "")),
        parse_local(values.get("closes_at", "")),
    )
    if not unit.isdigit() or opens is None or closes is None:
        return await _form_page(request, values, "forum.error.form", status=400)
    if values.get("all_groups"):
        group_ids = await forum_queries.default_groups(core, int(unit))
    else:
        group_ids = [int(g) for g in data.getall("group", []) if isinstance(g, str) and g.isdigit()]
    try:
        session_id = await forum.create_session(
            core,
            identity,
            unit_id=int(unit),
            title=values.get("title", ""),
            description=values.get("description", ""),
            opens_at=opens,
            closes_at=closes,
            group_ids=group_ids,
        )
    except ForumNotFound:
        return await _form_page(request, values, "forum.error.form", status=400)
    except ForumError as exc:
        return await _form_page(request, values, f"forum.error.{exc.code}", status=400)
    kit.flash(request, "forum.flash.created")
    return kit.see_other(f"/forum/{session_id}")


@kit.requires("moderator")
async def session_page(request: web.Request) -> web.StreamResponse:
    """GET /forum/{id}: the session, its queue (texts opened: an audited read) and actions."""
    core = kit.core(request)
    identity = kit.current(request).identity
    session_id = session_id_of(request)
    try:
        info = await forum.get_session(core, identity, session_id)
        items = await forum_moderation.questions(core, identity, session_id)
        announced = await forum_queries.announcement_progress(core, identity, session_id)
    except ForumNotFound:
        raise web.HTTPNotFound() from None
    by_status = {status: [q for q in items if q.status == status] for status in QUESTION_STATES}
    context = {
        "info": info,
        "by_status": by_status,
        "flagged": [q for q in items if q.flagged],
        "targets": [q for q in items if q.status in ("pending", "approved", "answered")],
        "announced": announced,
        "groups": await forum_queries.group_titles(core, info.publish_group_ids),
        "topics": TOPICS,
        "signers": SIGNERS,
        "editable": info.status == "open",
    }
    return kit.render(request, "forum/session.html", context)


async def _act(request: web.Request, action: str) -> web.StreamResponse:
    core = kit.core(request)
    identity = kit.current(request).identity
    session_id = session_id_of(request)
    try:
        if action == "open":
            info = await forum.get_session(core, identity, session_id)
            announcement = forum_texts.announcement(info)
            await forum.open_session(core, identity, session_id, announcement=announcement)
        else:
            await forum.close_session(core, identity, session_id)
    except ForumNotFound:
        raise web.HTTPNotFound() from None
    except ForumError as exc:
        kit.flash(request, f"forum.error.{exc.code}", "error")
        return kit.see_other(f"/forum/{session_id}")
    except BroadcastError:
        kit.flash(request, "forum.error.too_long", "error")
        return kit.see_other(f"/forum/{session_id}")
    if action == "open":
        kit.flash(request, "forum.flash.opened")
        return kit.see_other(f"/forum/{session_id}")
    kit.flash(request, "forum.flash.closed")
    return kit.see_other(f"/forum/{session_id}/summary")


@kit.requires("moderator")
async def open_session(request: web.Request) -> web.StreamResponse:
    """POST /forum/{id}/open: open the session and announce it to the area."""
    return await _act(request, "open")


@kit.requires("moderator")
async def close_session(request: web.Request) -> web.StreamResponse:
    """POST /forum/{id}/close: close it and fix its summary."""
    return await _act(request, "close")


@kit.requires("moderator")
async def summary_page(request: web.Request) -> web.StreamResponse:
    """GET /forum/{id}/summary: what a closed session amounted to."""
    core = kit.core(request)
    identity = kit.current(request).identity
    session_id = session_id_of(request)
    try:
        info = await forum.get_session(core, identity, session_id)
        summary = await forum.get_summary(core, identity, session_id)
    except ForumNotFound:
        raise web.HTTPNotFound() from None
    return kit.render(request, "forum/summary.html", {"info": info, "summary": summary})


def register(app: web.Application) -> None:
    """Pages for moderators, the question actions and the JSON API."""
    kit.add_nav(app, "/forum", "nav.forum", "moderator", order=20)
    app.router.add_get("/forum", sessions_page)
    app.router.add_get("/forum/new", new_page)
    app.router.add_post("/forum", create)
    app.router.add_get(f"/forum/{SESSION}", session_page)
    app.router.add_post(f"/forum/{SESSION}/open", open_session)
    app.router.add_post(f"/forum/{SESSION}/close", close_session)
    app.router.add_get(f"/forum/{SESSION}/summary", summary_page)
    forum_questions.register(app)
    forum_api.register(app)
