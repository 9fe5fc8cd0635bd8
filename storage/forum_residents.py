"""What residents do in the forum: find sessions, ask, say "I have this question too",
report an abusive answer, and read the answers.

A resident appears only as an HMAC pseudonym bound to one session (`forum:<id>`), so
their acts in two sessions cannot be linked, and closing a session erases it from the
questions. A complaint about an officer's conduct carries no pseudonym at all: the people
it is about run this database. The text of a question is sealed to the console key; the
bot, which holds only the public key, never reads it back.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, residents, subscriptions
from storage.contexts import forum_question_context, forum_route_context
from storage.core import Core
from storage.crypto import seal
from storage.forum import (
    CLOSED_SHOWN_FOR,
    ForumError,
    ForumNotFound,
    SessionInfo,
    load_session,
    session_info,
)
from storage.limits import Rule
from storage.models import (
    QUESTION_KINDS,
    ForumAnswer,
    ForumQuestion,
    ForumReport,
    ForumSession,
    ForumVote,
    Unit,
    utcnow,
)
from storage.reply_route import ReplyRoute as ReplyRoute

TEXT_MIN, TEXT_MAX = 10, 1000
NAME_MAX = 40
RATE_WINDOW = 3600


class ForumClosed(ForumError):
    """The session no longer takes questions or votes."""


class RateLimited(ForumError):
    """The resident asked too many questions in the last hour."""


@dataclass(frozen=True)
class PublicAnswer:
    """An official answer as published."""

    text: str
    signed_by: str
    published_at: dt.datetime
    edited: bool


@dataclass(frozen=True)
class PublicQuestion:
    """A published question, with its answer once there is one."""

    id: uuid.UUID
    session_id: int
    kind: str
    text: str
    name: str | None
    votes: int
    answer: PublicAnswer | None


@dataclass(frozen=True)
class MyQuestion:
    """One of the resident's own questions in a session (the bot cannot read pending text)."""

    id: uuid.UUID
    kind: str
    status: str
    created_at: dt.datetime
    decline_reason: str | None
    public_text: str | None


@dataclass(frozen=True)
class Overview:
    """A session seen from inside /forum."""

    info: SessionInfo
    answered: int
    waiting: int
    mine: int


@dataclass(frozen=True)
class Asked:
    """A question that went to the moderation queue."""

    question_id: uuid.UUID
    session: SessionInfo


Outcome = Literal["added", "already", "hidden", "closed", "gone"]


@dataclass(frozen=True)
class Counted:
    """What a vote or a report did, and the count after it."""

    outcome: Outcome
    count: int = 0


def forum_key(core: Core, session_id: int, user_id: int) -> bytes:
    """The resident's pseudonym within one session."""
    return residents.resident_key(core, f"forum:{session_id}", user_id)


def _clean(text: str) -> str:
    kept = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())
    return kept.strip()


def check_text(text: str) -> str:
    """The question as it will be stored, or ForumError saying what is wrong."""
    text = _clean(text)
    if len(text) < TEXT_MIN:
        raise ForumError(f"a question needs at least {TEXT_MIN} characters", "too_short")
    if len(text) > TEXT_MAX:
        raise ForumError(f"a question has at most {TEXT_MAX} characters", "too_long")
    return text


def check_name(name: str | None) -> str | None:
    """A display name, or None for anonymous."""
    if name is None:
        return None
    name = " ".join(_clean(name).split())
    if not name:
        return None
    if len(name) > NAME_MAX:
        raise ForumError(f"a name has at most {NAME_MAX} characters", "name_long")
    return name


async def resident_areas(core: Core, user_id: int) -> list[int]:
    """The units the resident follows for warnings, if they subscribed."""
    found = await subscriptions.get(core, user_id)
    return list(found.unit_ids) if found is not None else []


async def _area_ids(session: AsyncSession, unit_ids: list[int]) -> set[int]:
    """The units, everything above them and everything below them."""
    chosen = (await session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))).all()
    ids: set[int] = set()
    for unit in chosen:
        ids.update(int(part) for part in unit.path.strip("/").split("/") if part)
        below = await session.scalars(select(Unit.id).where(Unit.path.startswith(unit.path)))
        ids.update(below.all())
    return ids


async def sessions_for(
    core: Core, unit_ids: list[int]
) -> tuple[list[SessionInfo], list[SessionInfo]]:
    """Open sessions for the areas, and those closed in the last months."""
    if not unit_ids:
        return [], []
    since = utcnow() - CLOSED_SHOWN_FOR
    async with core.db.read() as session:
        area = await _area_ids(session, unit_ids)
        rows = (
            await session.execute(
                select(ForumSession, Unit)
                .join(Unit, Unit.id == ForumSession.unit_id)
                .where(
                    ForumSession.unit_id.in_(area),
                    or_(
                        ForumSession.status == "open",
                        (ForumSession.status == "closed") & (ForumSession.closed_at >= since),
                    ),
                )
                .order_by(ForumSession.closes_at.desc(), ForumSession.id.desc())
            )
        ).all()
    infos = [session_info(row, unit) for row, unit in rows]
    return [i for i in infos if i.status == "open"], [i for i in infos if i.status == "closed"]


def _shown(question: ForumQuestion) -> bool:
    """True when residents may see the question (the Python twin of `_visible`)."""
    return (
        question.public
        and question.hidden_at is None
        and question.status in ("approved", "answered")
    )


def _visible() -> Any:
    return (
        ForumQuestion.public.is_(True)
        & ForumQuestion.hidden_at.is_(None)
        & ForumQuestion.status.in_(("approved", "answered"))
    )


async def overview(core: Core, session_id: int, user_id: int) -> Overview | None:
    """A session that residents may see (not a draft), with its counts for this resident."""
    async with core.db.read() as session:
        try:
            row, unit = await load_session(session, None, session_id)
        except ForumNotFound:
            return None
        if row.status == "draft":
            return None
        statuses = (
            await session.scalars(
                select(ForumQuestion.status).where(
                    ForumQuestion.session_id == session_id, _visible()
                )
            )
        ).all()
        mine = await session.scalars(
            select(ForumQuestion.id).where(
                ForumQuestion.session_id == session_id,
                ForumQuestion.asker_key == forum_key(core, session_id, user_id),
            )
        )
        return Overview(
            info=session_info(row, unit),
            answered=sum(1 for s in statuses if s == "answered"),
            waiting=sum(1 for s in statuses if s == "approved"),
            mine=len(mine.all()),
        )


def _public(question: ForumQuestion, answer: ForumAnswer | None) -> PublicQuestion:
    published = None
    if answer is not None and answer.published_at is not None:
        published = PublicAnswer(
            text=answer.text,
            signed_by=answer.signed_by,
            published_at=answer.published_at,
            edited=answer.edits > 0,
        )
    return PublicQuestion(
        id=question.id,
        session_id=question.session_id,
        kind=question.kind,
        text=question.public_text or "",
        name=question.public_name,
        votes=question.vote_count,
        answer=published,
    )


async def public_questions(core: Core, session_id: int, *, answered: bool) -> list[PublicQuestion]:
    """Published questions of a session, the most shared first: answered ones or waiting ones."""
    async with core.db.read() as session:
        rows = (
            await session.execute(
                select(ForumQuestion, ForumAnswer)
                .outerjoin(ForumAnswer, ForumAnswer.question_id == ForumQuestion.id)
                .where(
                    ForumQuestion.session_id == session_id,
                    _visible(),
                    ForumQuestion.status == ("answered" if answered else "approved"),
                )
                .order_by(ForumQuestion.vote_count.desc(), ForumQuestion.created_at)
            )
        ).all()
    return [_public(question, answer) for question, answer in rows]


async def public_question(core: Core, question_id: uuid.UUID) -> PublicQuestion | None:
    """One published question, or None when it is not (or no longer) shown."""
    async with core.db.read() as session:
        found = (
            await session.execute(
                select(ForumQuestion, ForumAnswer)
                .outerjoin(ForumAnswer, ForumAnswer.question_id == ForumQuestion.id)
                .where(ForumQuestion.id == question_id, _visible())
            )
        ).first()
    return _public(found[0], found[1]) if found is not None else None


async def my_questions(core: Core, session_id: int, user_id: int) -> list[MyQuestion]:
    """The resident's questions in a session, while it is open (complaints are never linked)."""
    key = forum_key(core, session_id, user_id)
    async with core.db.read() as session:
        rows = (
            await session.scalars(
                select(ForumQuestion)
                .where(ForumQuestion.session_id == session_id, ForumQuestion.asker_key == key)
                .order_by(ForumQuestion.created_at)
            )
        ).all()
    return [
        MyQuestion(
            id=row.id,
            kind=row.kind,
            status=row.status,
            created_at=row.created_at,
            decline_reason=row.decline_reason,
            public_text=row.public_text if row.public else None,
        )
        for row in rows
    ]


async def ask(
    core: Core,
    *,
    session_id: int,
    user_id: int,
    kind: str,
    text: str,
    display_name: str | None = None,
    route: ReplyRoute | None = None,
) -> Asked:
    """Send a question to the moderation queue."""
    if kind not in QUESTION_KINDS:
        raise ForumError(f"unknown kind {kind!r}", "kind")
    text, name = check_text(text), check_name(display_name)
    async with core.db.read() as session:
        row, unit = await load_session(session, None, session_id)
        info = session_info(row, unit)
    if not info.accepting():
        raise ForumClosed("the session does not take questions now", "closed")
    # Counted in memory only (storage.limits); given back when the question is not stored.
    rule = Rule("forum_question", core.settings.forum.questions_per_hour, RATE_WINDOW)
    moment = time.time()
    if core.limits.take_all(user_id, [rule], now=moment) is not None:
        raise RateLimited(f"at most {rule.limit} questions an hour", "rate")
    try:
        question_id = await _store_question(core, session_id, user_id, kind, text, name, route)
    except BaseException:
        core.limits.refund(user_id, [rule], now=moment)
        raise
    return Asked(question_id, info)


async def _store_question(
    core: Core,
    session_id: int,
    user_id: int,
    kind: str,
    text: str,
    name: str | None,
    route: ReplyRoute | None,
) -> uuid.UUID:
    """Seal and store one question of an open session; its id."""
    question_id = uuid.uuid4()
    console, relay = core.vault.console_public, core.vault.relay_public
    body = json.dumps({"text": text, "name": name}, ensure_ascii=False).encode()
    route_blob = None
    if route is not None:
        route_blob = route.seal(relay, forum_route_context(question_id))
    key = None if kind == "complaint" else forum_key(core, session_id, user_id)
    async with core.db.write() as session:
        current = await session.get(ForumSession, session_id)
        if current is None or current.status != "open":
            raise ForumClosed("the session does not take questions now", "closed")
        session.add(
            ForumQuestion(
                id=question_id,
                session_id=session_id,
                kind=kind,
                key_id=console.key_id,
                sealed=seal(console, body, forum_question_context(question_id)),
                asker_key=key,
                vote_count=1 if key is not None else 0,
                route_key_id=relay.key_id if route_blob is not None else None,
                route_sealed=route_blob,
            )
        )
        await session.flush()
        if key is not None:
            # Asking counts as having the question: the asker cannot vote for it again.
            session.add(ForumVote(question_id=question_id, pseudonym=key))
        await audit.record(
            session,
            "forum.question.ask",
            actor="resident",
            subject_type="forum_question",
            subject_id=str(question_id),
            details={
                "session": session_id,
                "kind": kind,
                "named": name is not None,
                "reply_route": route is not None,
            },
        )
    return question_id


async def _insert_once(
    session: AsyncSession, model: type[ForumVote] | type[ForumReport], qid: uuid.UUID, key: bytes
) -> bool:
    """Add the (question, pseudonym) row unless it exists; True when it was added."""
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        dialect_insert(model)
        .values(question_id=qid, pseudonym=key, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(model.question_id)
    )
    return (await session.execute(statement)).first() is not None


async def vote(core: Core, question_id: uuid.UUID, user_id: int) -> Counted:
    """Count "I have this question too" once per resident; a repeated press changes nothing."""
    async with core.db.write() as session:
        question = await session.get(ForumQuestion, question_id)
        if question is None or not _shown(question):
            return Counted("gone")
        row = await session.get(ForumSession, question.session_id)
        if row is None or row.status != "open" or utcnow() >= row.closes_at:
            return Counted("closed", question.vote_count)
        key = forum_key(core, question.session_id, user_id)
        if not await _insert_once(session, ForumVote, question_id, key):
            return Counted("already", question.vote_count)
        count = (
            await session.execute(
                update(ForumQuestion)
                .where(ForumQuestion.id == question_id)
                .values(vote_count=ForumQuestion.vote_count + 1)
                .returning(ForumQuestion.vote_count)
            )
        ).scalar_one()
        await audit.record(
            session,
            "forum.question.vote",
            actor="resident",
            subject_type="forum_question",
            subject_id=str(question_id),
        )
        return Counted("added", int(count))


async def report(core: Core, question_id: uuid.UUID, user_id: int) -> Counted:
    """Report an answered question as abusive; enough reports hide it until a moderator looks."""
    threshold = core.settings.forum.reports_to_hide
    async with core.db.write() as session:
        question = await session.get(ForumQuestion, question_id)
        if question is None or not _shown(question) or question.status != "answered":
            return Counted("gone")
        key = forum_key(core, question.session_id, user_id)
        if not await _insert_once(session, ForumReport, question_id, key):
            return Counted("already", question.report_count)
        count, reviewed = (
            await session.execute(
                update(ForumQuestion)
                .where(ForumQuestion.id == question_id)
                .values(report_count=ForumQuestion.report_count + 1)
                .returning(ForumQuestion.report_count, ForumQuestion.reports_reviewed)
            )
        ).one()
        await audit.record(
            session,
            "forum.question.report",
            actor="resident",
            subject_type="forum_question",
            subject_id=str(question_id),
        )
        if count - reviewed < threshold:
            return Counted("added", int(count))
        await session.execute(
            update(ForumQuestion)
            .where(ForumQuestion.id == question_id)
            .values(hidden_at=utcnow(), hidden_by="reports")
        )
        await audit.record(
            session,
            "forum.question.hide",
            actor="residents",
            subject_type="forum_question",
            subject_id=str(question_id),
            details={"by": "reports", "reports": int(count)},
        )
        return Counted("hidden", int(count))


async def resolve_route(core: Core, question_id: uuid.UUID) -> ReplyRoute | None:
    """Open a question's reply route with the relay key (only the bot process can)."""
    ring = core.vault.require_relay()
    async with core.db.read() as session:
        question = await session.get(ForumQuestion, question_id)
        if question is None or question.route_sealed is None or question.route_key_id is None:
            return None
        return ReplyRoute.open(
            ring, question.route_key_id, question.route_sealed, forum_route_context(question.id)
        )
