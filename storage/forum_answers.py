"""Official answers: written and edited by moderators (an edit keeps the earlier text in
the audit log: answers are official public text), then published to the session's
groups, to the askers through their reply routes, and in /forum.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from storage.broadcast import queue_broadcast
from storage.core import Core
from storage.forum import ForumError, Moderator, SessionInfo, Texts, session_info
from storage.forum_moderation import (
    approve_fields,
    askers_to_tell,
    content,
    excerpt,
    load_question,
    notify,
    record,
    require_open,
)
from storage.models import SIGNERS, ForumAnswer, utcnow

# An answer and an excerpt of its question fit in one Telegram message (4,096 characters).
ANSWER_MIN, ANSWER_MAX = 2, 3000


@dataclass(frozen=True)
class Published:
    """What the face renders into the message for the session's groups."""

    session: SessionInfo
    kind: str
    question: str
    name: str | None
    answer: str
    signed_by: str


Renderer = Callable[[Published], Texts]


def check_answer(text: str, signed_by: str) -> str:
    text = text.strip()
    if not ANSWER_MIN <= len(text) <= ANSWER_MAX:
        raise ForumError(f"an answer needs {ANSWER_MIN} to {ANSWER_MAX} characters", "answer")
    if signed_by not in SIGNERS:
        raise ForumError(f"unknown signer {signed_by!r}", "signer")
    return text


async def save_answer(
    core: Core,
    moderator: Moderator,
    question_id: uuid.UUID,
    *,
    text: str,
    signed_by: str = "police",
) -> bool:
    """Write or edit the official answer; an edit keeps the earlier text in the audit log.

    A pending question is approved by being answered. Returns True when the text changed.
    """
    text = check_answer(text, signed_by)
    async with core.db.write() as session:
        question, row, _unit = await load_question(session, moderator, question_id)
        answer = await session.scalar(
            select(ForumAnswer).where(ForumAnswer.question_id == question.id)
        )
        if answer is None:
            require_open(row)
            if question.status not in ("pending", "approved"):
                raise ForumError("only a question waiting for an answer can be answered", "decided")
            if question.status == "pending":
                approve_fields(core, moderator, question, None, None)
                await record(session, moderator, "approve", question, {"public": question.public})
            session.add(
                ForumAnswer(
                    question_id=question.id,
                    officer_id=moderator.officer_id,
                    text=text,
                    signed_by=signed_by,
                )
            )
            await record(session, moderator, "answer", question, {"signed_by": signed_by})
            return True
        if answer.text == text and answer.signed_by == signed_by:
            return False
        earlier = {"earlier_text": answer.text, "earlier_signed_by": answer.signed_by}
        answer.text, answer.signed_by, answer.updated_at = text, signed_by, utcnow()
        if answer.published_at is not None:
            answer.edits += 1
        await record(session, moderator, "answer_edit", question, earlier)
        return True


async def publish_answer(
    core: Core, moderator: Moderator, question_id: uuid.UUID, *, render: Renderer
) -> int:
    """Publish the answer: to the session's groups (public questions), to the askers through
    their reply routes, and in /forum. Returns how many group deliveries were queued.
    """
    async with core.db.write() as session:
        question, row, unit = await load_question(session, moderator, question_id)
        require_open(row)
        answer = await session.scalar(
            select(ForumAnswer).where(ForumAnswer.question_id == question.id)
        )
        if answer is None:
            raise ForumError("write the answer first", "no_answer")
        if answer.published_at is not None:
            raise ForumError("the answer is already published", "published")
        answer.published_at, question.status = utcnow(), "answered"
        info = session_info(row, unit)
        text, name = content(core, question)
        queued = 0
        if question.public:
            published = Published(info, question.kind, text, name, answer.text, answer.signed_by)
            queued = await queue_broadcast(
                session,
                core,
                kind="forum",
                source_id=f"answer:{answer.id}",
                unit_ids=[unit.id],
                texts=render(published),
                subscribers=False,
                group_ids=list(info.publish_group_ids),
            )
        askers = await askers_to_tell(session, question)
        for asker in askers:
            asked, _name = content(core, asker)
            params = {
                "title": row.title,
                "question": excerpt(asked),
                "answer": answer.text,
                # The official name, in Vietnamese: the console cannot read the route's language.
                "signer": info.signer(answer.signed_by, "vi"),
            }
            notify(session, core, asker, "answered", params)
        await record(
            session,
            moderator,
            "publish",
            question,
            {"groups": queued, "notified": len(askers), "public": question.public},
        )
        return queued
