"""What moderators do to one question: approve, decline, merge, hide, restore, answer.

Each POST ends in a 303 back to the session page. A question of another unit's session
answers 404, like a missing one.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from admin import kit
from admin.views import forum_texts
from storage import forum_answers, forum_moderation
from storage.auth import Identity
from storage.broadcast import BroadcastError
from storage.core import Core
from storage.forum import ForumError, ForumNotFound

QUESTION = r"{question_id:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}}"
Action = Callable[[Core, Identity, uuid.UUID, dict[str, str]], Awaitable[str]]


async def _approve(core: Core, who: Identity, qid: uuid.UUID, form: dict[str, str]) -> str:
    visibility = form.get("public", "")
    public = {"1": True, "0": False}.get(visibility)
    await forum_moderation.approve(core, who, qid, public=public, topic=form.get("topic") or None)
    return "forum.flash.approved"


async def _decline(core: Core, who: Identity, qid: uuid.UUID, form: dict[str, str]) -> str:
    await forum_moderation.decline(core, who, qid, reason=form.get("reason", ""))
    return "forum.flash.declined"


async def _merge(core: Core, who: Identity, qid: uuid.UUID, form: dict[str, str]) -> str:
    try:
        into = uuid.UUID(form.get("into", ""))
    except ValueError:
        raise ForumError("choose the question to merge into", "merge_target") from None
    await forum_moderation.merge(core, who, qid, into=into)
    return "forum.flash.merged"


async def _hide(core: Core, who: Identity, qid: uuid.UUID, form: dict[str, str]) -> str:
    await forum_moderation.hide(core, who, qid)
    return "forum.flash.hidden"


async def _restore(core: Core, who: Identity, qid: uuid.UUID, form: dict[str, str]) -> str:
    await forum_moderation.restore(core, who, qid)
    return "forum.flash.restored"


async def _answer(core: Core, who: Identity, qid: uuid.UUID, form: dict[str, str]) -> str:
    changed = await forum_answers.save_answer(
        core, who, qid, text=form.get("text", ""), signed_by=form.get("signed_by", "police")
    )
    if form.get("publish") == "1":
        await forum_answers.publish_answer(core, who, qid, render=forum_texts.answer)
        return "forum.flash.published"
    return "forum.flash.answer_saved" if changed else "forum.flash.unchanged"


ACTIONS: dict[str, Action] = {
    "approve": _approve,
    "decline": _decline,
    "merge": _merge,
    "hide": _hide,
    "restore": _restore,
    "answer": _answer,
}


def _back(form: dict[str, str], qid: uuid.UUID) -> str:
    session = form.get("session", "")
    return f"/forum/{session}#q-{qid}" if session.isdigit() else "/forum"


def _handler(name: str, action: Action) -> kit.Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        identity = kit.current(request).identity
        qid = uuid.UUID(request.match_info["question_id"])
        form = await kit.form(request)
        try:
            message = await action(kit.core(request), identity, qid, form)
        except ForumNotFound:
            raise web.HTTPNotFound() from None
        except ForumError as exc:
            kit.flash(request, f"forum.error.{exc.code}", "error")
            return kit.see_other(_back(form, qid))
        except BroadcastError:
            kit.flash(request, "forum.error.too_long", "error")
            return kit.see_other(_back(form, qid))
        kit.flash(request, message)
        return kit.see_other(_back(form, qid))

    handle.__name__ = handle.__qualname__ = f"forum_question_{name}"
    handle.__doc__ = f"POST /forum/questions/{{id}}/{name}."
    return kit.requires("moderator")(handle)


def register(app: web.Application) -> None:
    """One POST route per action."""
    for name, action in ACTIONS.items():
        app.router.add_post(f"/forum/questions/{QUESTION}/{name}", _handler(name, action))
