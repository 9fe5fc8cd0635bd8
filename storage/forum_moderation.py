"""The moderators' side of the forum: the queue, approve / merge / decline / hide, and
abuse reports; official answers are in `storage.forum_answers`.

Every function checks the officer's jurisdiction: a question of another unit's session
does not exist for them (`ForumNotFound`). Every change is an audit event.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, outbox
from storage.contexts import forum_question_context
from storage.core import Core
from storage.forum import (
    NOTICE_PREFIX,
    ForumError,
    ForumNotFound,
    Moderator,
    load_session,
)
from storage.forum_residents import _insert_once
from storage.models import (
    TOPICS,
    ForumAnswer,
    ForumQuestion,
    ForumSession,
    ForumVote,
    Unit,
    utcnow,
)

REASON_MIN, REASON_MAX = 3, 500
# What the asker's notice quotes of their own question.
EXCERPT = 200


@dataclass(frozen=True)
class AnswerView:
    """An answer as the console shows it."""

    text: str
    signed_by: str
    officer_id: int
    published_at: dt.datetime | None
    edits: int


@dataclass(frozen=True)
class QueueItem:
    """A question as moderators see it, its text opened with the console key."""

    id: uuid.UUID
    kind: str
    status: str
    created_at: dt.datetime
    text: str
    name: str | None
    votes: int
    public: bool
    topic: str | None
    decline_reason: str | None
    merged_into_id: uuid.UUID | None
    hidden_by: str | None
    reports: int
    new_reports: int
    answer: AnswerView | None

    @property
    def flagged(self) -> bool:
        """Reported since a moderator last looked, or hidden by reports."""
        return self.new_reports > 0 or self.hidden_by == "reports"


def content(core: Core, question: ForumQuestion) -> tuple[str, str | None]:
    ring = core.vault.require_console()
    data = ring.open(question.key_id, question.sealed, forum_question_context(question.id))
    raw = json.loads(data)
    return str(raw["text"]), raw.get("name")


async def load_question(
    session: AsyncSession, moderator: Moderator, question_id: uuid.UUID
) -> tuple[ForumQuestion, ForumSession, Unit]:
    question = await session.get(ForumQuestion, question_id)
    if question is None:
        raise ForumNotFound(f"no question {question_id}")
    row, unit = await load_session(session, moderator, question.session_id)
    return question, row, unit


def require_open(row: ForumSession) -> None:
    if row.status != "open":
        raise ForumError("the session is not open", "not_open")


async def record(
    session: AsyncSession,
    moderator: Moderator,
    action: str,
    question: ForumQuestion,
    details: Mapping[str, object] | None = None,
) -> None:
    await audit.record(
        session,
        f"forum.question.{action}",
        actor=moderator.actor,
        officer_id=moderator.officer_id,
        subject_type="forum_question",
        subject_id=str(question.id),
        details={"session": question.session_id, **(details or {})},
    )


async def questions(core: Core, moderator: Moderator, session_id: int) -> list[QueueItem]:
    """Every question of a session, the most shared first, texts opened (an audited read)."""
    async with core.db.write() as session:
        row, _unit = await load_session(session, moderator, session_id)
        found = (
            await session.execute(
                select(ForumQuestion, ForumAnswer)
                .outerjoin(ForumAnswer, ForumAnswer.question_id == ForumQuestion.id)
                .where(ForumQuestion.session_id == row.id)
                .order_by(ForumQuestion.vote_count.desc(), ForumQuestion.created_at)
            )
        ).all()
        items = []
        for question, answer in found:
            text, name = content(core, question)
            items.append(
                QueueItem(
                    id=question.id,
                    kind=question.kind,
                    status=question.status,
                    created_at=question.created_at,
                    text=text,
                    name=name,
                    votes=question.vote_count,
                    public=question.public,
                    topic=question.topic,
                    decline_reason=question.decline_reason,
                    merged_into_id=question.merged_into_id,
                    hidden_by=question.hidden_by if question.hidden_at is not None else None,
                    reports=question.report_count,
                    new_reports=question.report_count - question.reports_reviewed,
                    answer=AnswerView(
                        answer.text,
                        answer.signed_by,
                        answer.officer_id,
                        answer.published_at,
                        answer.edits,
                    )
                    if answer is not None
                    else None,
                )
            )
        await audit.record(
            session,
            "forum.questions.read",
            actor=moderator.actor,
            officer_id=moderator.officer_id,
            subject_type="forum_session",
            subject_id=str(row.id),
            details={"questions": len(items)},
        )
        return items


def _publish_text(core: Core, question: ForumQuestion) -> None:
    text, name = content(core, question)
    question.public_text, question.public_name = text, name


def _unpublish(question: ForumQuestion) -> None:
    question.public, question.public_text, question.public_name = False, None, None


def approve_fields(
    core: Core,
    moderator: Moderator,
    question: ForumQuestion,
    public: bool | None,
    topic: str | None,
) -> None:
    if topic is not None and topic not in TOPICS:
        raise ForumError(f"unknown topic {topic!r}", "topic")
    # Opinions and complaints stay with the moderators unless one of them publishes them.
    question.public = (question.kind == "question") if public is None else public
    if question.public:
        _publish_text(core, question)
    else:
        _unpublish(question)
    default_topic = "officer_conduct" if question.kind == "complaint" else None
    question.topic = topic or question.topic or default_topic
    if question.status == "pending":
        question.status = "approved"
    question.decided_at, question.decided_by = utcnow(), moderator.officer_id


async def approve(
    core: Core,
    moderator: Moderator,
    question_id: uuid.UUID,
    *,
    public: bool | None = None,
    topic: str | None = None,
) -> None:
    """Accept a question; published in /forum unless it is an opinion or complaint."""
    async with core.db.write() as session:
        question, row, _unit = await load_question(session, moderator, question_id)
        require_open(row)
        if question.status not in ("pending", "approved", "answered"):
            raise ForumError("this question was already declined or merged", "decided")
        approve_fields(core, moderator, question, public, topic)
        await record(
            session, moderator, "approve", question, {"public": question.public, "topic": topic}
        )


async def askers_to_tell(session: AsyncSession, question: ForumQuestion) -> list[ForumQuestion]:
    """The question and those merged into it that carry a reply route."""
    merged = await session.scalars(
        select(ForumQuestion).where(ForumQuestion.merged_into_id == question.id)
    )
    return [q for q in [question, *merged.all()] if q.route_sealed is not None]


def notify(
    session: AsyncSession,
    core: Core,
    question: ForumQuestion,
    event: str,
    params: dict[str, str],
) -> None:
    """Tell one asker through their sealed reply route; the bot opens it when sending."""
    outbox.enqueue(
        session,
        core.vault.relay_public,
        f"forum_{event}",
        outbox.Payload(
            message=f"forum.notice.{event}",
            params=params,
            route_kind="forum_question",
            route_id=str(question.id),
        ),
        dedupe_key=f"{NOTICE_PREFIX}{question.id}:{event}",
    )


def excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


async def decline(core: Core, moderator: Moderator, question_id: uuid.UUID, *, reason: str) -> int:
    """Decline with a reason the asker is told; returns how many askers were notified."""
    reason = reason.strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise ForumError(f"a reason needs {REASON_MIN} to {REASON_MAX} characters", "reason")
    async with core.db.write() as session:
        question, row, _unit = await load_question(session, moderator, question_id)
        require_open(row)
        if question.status not in ("pending", "approved"):
            raise ForumError("only a question waiting for an answer can be declined", "decided")
        question.status, question.decline_reason = "declined", reason
        question.decided_at, question.decided_by = utcnow(), moderator.officer_id
        _unpublish(question)
        askers = await askers_to_tell(session, question)
        for asker in askers:
            text, _name = content(core, asker)
            params = {"title": row.title, "question": excerpt(text), "reason": reason}
            notify(session, core, asker, "declined", params)
        await record(session, moderator, "decline", question, {"notified": len(askers)})
        return len(askers)


async def merge(
    core: Core, moderator: Moderator, question_id: uuid.UUID, *, into: uuid.UUID
) -> None:
    """Merge a duplicate into another question of the session: its supporters move along."""
    async with core.db.write() as session:
        question, row, _unit = await load_question(session, moderator, question_id)
        target, _row, _u = await load_question(session, moderator, into)
        require_open(row)
        if target.session_id != question.session_id or target.id == question.id:
            raise ForumError(
                "a question merges into another question of the same session", "merge_target"
            )
        if question.status not in ("pending", "approved"):
            raise ForumError("only a question waiting for an answer can be merged", "decided")
        if target.status not in ("pending", "approved", "answered"):
            raise ForumError(
                "the question to merge into was declined or merged itself", "merge_target"
            )
        keys = (
            await session.scalars(
                select(ForumVote.pseudonym).where(ForumVote.question_id == question.id)
            )
        ).all()
        for key in keys:
            await _insert_once(session, ForumVote, target.id, key)
        await session.execute(delete(ForumVote).where(ForumVote.question_id == question.id))
        # Questions merged before into this one follow it to the target.
        for earlier in (
            await session.scalars(
                select(ForumQuestion).where(ForumQuestion.merged_into_id == question.id)
            )
        ).all():
            earlier.merged_into_id = target.id
        await session.flush()
        target.vote_count = int(
            await session.scalar(
                select(func.count())
                .select_from(ForumVote)
                .where(ForumVote.question_id == target.id)
            )
            or 0
        )
        question.status, question.merged_into_id = "merged", target.id
        question.decided_at, question.decided_by = utcnow(), moderator.officer_id
        _unpublish(question)
        if question.route_sealed is not None:
            text, _name = content(core, question)
            notify(
                session, core, question, "merged", {"title": row.title, "question": excerpt(text)}
            )
        await record(session, moderator, "merge", question, {"into": str(target.id)})


async def hide(core: Core, moderator: Moderator, question_id: uuid.UUID) -> None:
    """Take a question out of /forum; the reports so far count as looked at."""
    async with core.db.write() as session:
        question, _row, _unit = await load_question(session, moderator, question_id)
        question.hidden_at, question.hidden_by = utcnow(), "moderator"
        question.reports_reviewed = question.report_count
        await record(session, moderator, "hide", question)


async def restore(core: Core, moderator: Moderator, question_id: uuid.UUID) -> None:
    """Show a hidden or reported question again: the reports so far were looked at."""
    async with core.db.write() as session:
        question, _row, _unit = await load_question(session, moderator, question_id)
        question.hidden_at, question.hidden_by = None, None
        reviewed = question.report_count - question.reports_reviewed
        question.reports_reviewed = question.report_count
        await record(session, moderator, "restore", question, {"reports_reviewed": reviewed})


# Reported since a moderator last looked, or hidden by the reports until one does.
REPORTED = or_(
    ForumQuestion.report_count > ForumQuestion.reports_reviewed,
    ForumQuestion.hidden_by == "reports",
)


def count_within(moderator: Moderator) -> Select[int]:
    """A count of the questions of the moderator's units, to narrow with `.where`."""
    return (
        select(func.count())
        .select_from(ForumQuestion)
        .join(ForumSession, ForumSession.id == ForumQuestion.session_id)
        .join(Unit, Unit.id == ForumSession.unit_id)
        .where(Unit.path.startswith(moderator.unit_path, autoescape=True))
    )


async def flagged_count(core: Core, moderator: Moderator) -> int:
    """Questions of the moderator's units reported since a moderator last looked."""
    async with core.db.read() as session:
        return int(await session.scalar(count_within(moderator).where(REPORTED)) or 0)
