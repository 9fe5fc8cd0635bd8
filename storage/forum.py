"""The forum "Công an lắng nghe ý kiến Nhân dân": sessions, jurisdiction and the summary.

A moderator creates a session for a unit, opens it (announced to the unit's groups and
subscribers) and closes it, which fixes its summary and erases the residents' pseudonyms
and reply routes of the session. What residents do is in `storage.forum_residents`, the
moderation queue and the answers in `storage.forum_moderation`, what the moderators' pages
list in `storage.forum_queries`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.broadcast import groups_of_unit, queue_broadcast
from storage.core import Core
from storage.models import (
    ForumQuestion,
    ForumReport,
    ForumSession,
    ForumVote,
    OutboxMessage,
    Unit,
    utcnow,
)
from storage.units import place_name, police_name

TITLE_MIN, TITLE_MAX = 3, 200
DESCRIPTION_MAX = 2000
# Closed sessions stay listed in /forum for about three months.
CLOSED_SHOWN_FOR = dt.timedelta(days=92)
TOP_TOPICS = 5
# Outbox dedupe keys of messages to askers start with this, then the question id.
NOTICE_PREFIX = "forum-q:"

# Telegram HTML per language ("vi" required), rendered by the face that calls.
Texts = dict[str, str]


class ForumError(ValueError):
    """A request that cannot be honoured; the message says why, `code` names it for faces."""

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code


class ForumNotFound(LookupError):
    """No such session or question, or one outside the officer's units (shown as 404)."""


class Moderator(Protocol):
    """The officer acting: `storage.auth.Identity` is one."""

    @property
    def officer_id(self) -> int:
        """The officer's id."""
        ...

    @property
    def unit_path(self) -> str:
        """The path of the officer's unit; they see that unit and the units below it."""
        ...

    @property
    def actor(self) -> str:
        """How the audit log names the officer."""
        ...


@dataclass(frozen=True)
class SessionInfo:
    """A session as residents and moderators see it."""

    id: int
    unit_id: int
    unit_code: str
    police: dict[str, str]
    place: dict[str, str]
    title: str
    description: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    status: str
    publish_group_ids: tuple[int, ...]
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None

    def signer(self, signed_by: str, language: str) -> str:
        """Who signs an answer: the unit's police, or the Fatherland Front of its area."""
        if signed_by == "front":
            if language == "vi":
                return f"Ủy ban MTTQ Việt Nam {self.place['vi']}"
            return f"Vietnam Fatherland Front Committee of {self.place['en']}"
        return self.police["vi" if language == "vi" else "en"]

    def accepting(self, now: dt.datetime | None = None) -> bool:
        """True while residents may ask and vote."""
        return self.status == "open" and (now or utcnow()) < self.closes_at


@dataclass(frozen=True)
class Summary:
    """What a closed session amounted to; it feeds the statistics."""

    received: int
    answered: int
    declined: int
    participants: int
    top_topics: tuple[tuple[str, int], ...]


def session_info(row: ForumSession, unit: Unit) -> SessionInfo:
    """The public description of a session row."""
    return SessionInfo(
        id=row.id,
        unit_id=unit.id,
        unit_code=unit.code,
        police={lang: police_name(unit, lang) for lang in ("vi", "en")},
        place={lang: place_name(unit, lang) for lang in ("vi", "en")},
        title=row.title,
        description=row.description,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        status=row.status,
        publish_group_ids=tuple(int(i) for i in json.loads(row.publish_group_ids or "[]")),
        opened_at=row.opened_at,
        closed_at=row.closed_at,
    )


def summary_of(row: ForumSession) -> Summary | None:
    """The stored summary of a closed session."""
    if row.received is None:
        return None
    topics = json.loads(row.top_topics or "[]")
    return Summary(
        received=row.received,
        answered=row.answered or 0,
        declined=row.declined or 0,
        participants=row.participants or 0,
        top_topics=tuple((str(name), int(count)) for name, count in topics),
    )


async def load_session(
    session: AsyncSession, moderator: Moderator | None, session_id: int
) -> tuple[ForumSession, Unit]:
    """A session and its unit; outside the moderator's units it does not exist."""
    row = await session.get(ForumSession, session_id)
    unit = await session.get(Unit, row.unit_id) if row is not None else None
    if row is None or unit is None:
        raise ForumNotFound(f"no forum session {session_id}")
    if moderator is not None and not unit.path.startswith(moderator.unit_path):
        raise ForumNotFound(f"no forum session {session_id}")
    return row, unit


async def _check_groups(session: AsyncSession, unit_id: int, group_ids: Sequence[int]) -> None:
    allowed = {group.id for group in await groups_of_unit(session, unit_id)}
    if not set(group_ids) <= allowed:
        raise ForumError("answers can only go to approved groups of the session's area", "groups")


async def create_session(
    core: Core,
    moderator: Moderator,
    *,
    unit_id: int,
    title: str,
    description: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    group_ids: Sequence[int] = (),
) -> int:
    """A new session in draft: residents see it once a moderator opens it."""
    title, description = title.strip(), description.strip()
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise ForumError(f"the title needs {TITLE_MIN} to {TITLE_MAX} characters", "title")
    if len(description) > DESCRIPTION_MAX:
        raise ForumError(
            f"the description is longer than {DESCRIPTION_MAX} characters", "description"
        )
    if closes_at <= opens_at:
        raise ForumError("the session must close after it opens", "times")
    if closes_at <= utcnow():
        raise ForumError("the closing time has already passed", "past")
    async with core.db.write() as session:
        unit = await session.get(Unit, unit_id)
        if unit is None or not unit.path.startswith(moderator.unit_path):
            raise ForumNotFound(f"no unit {unit_id}")
        await _check_groups(session, unit_id, group_ids)
        row = ForumSession(
            unit_id=unit_id,
            title=title,
            description=description,
            opens_at=opens_at,
            closes_at=closes_at,
            publish_group_ids=json.dumps(sorted(set(group_ids))),
            created_by=moderator.officer_id,
        )
        session.add(row)
        await session.flush()
        await audit.record(
            session,
            "forum.session.create",
            actor=moderator.actor,
            officer_id=moderator.officer_id,
            subject_type="forum_session",
            subject_id=str(row.id),
            details={"unit": unit.code, "groups": len(set(group_ids))},
        )
        return row.id


async def get_session(core: Core, moderator: Moderator, session_id: int) -> SessionInfo:
    """One session of the moderator's units."""
    async with core.db.read() as session:
        row, unit = await load_session(session, moderator, session_id)
        return session_info(row, unit)


async def get_summary(core: Core, moderator: Moderator, session_id: int) -> Summary | None:
    """The summary of a closed session of the moderator's units (None while not closed)."""
    async with core.db.read() as session:
        row, _unit = await load_session(session, moderator, session_id)
        return summary_of(row)


async def open_session(
    core: Core, moderator: Moderator, session_id: int, *, announcement: Texts
) -> int:
    """Open a draft session and announce it; returns how many chats it was queued for."""
    async with core.db.write() as session:
        row, unit = await load_session(session, moderator, session_id)
        if row.status != "draft":
            raise ForumError("only a session in draft can be opened", "not_draft")
        if row.closes_at <= utcnow():
            raise ForumError("the closing time has already passed", "past")
        row.status, row.opened_at = "open", utcnow()
        queued = await queue_broadcast(
            session,
            core,
            kind="forum",
            source_id=f"session:{row.id}",
            unit_ids=[unit.id],
            texts=announcement,
        )
        await audit.record(
            session,
            "forum.session.open",
            actor=moderator.actor,
            officer_id=moderator.officer_id,
            subject_type="forum_session",
            subject_id=str(row.id),
            details={"announced_to": queued},
        )
        return queued


async def _summarise(session: AsyncSession, session_id: int) -> Summary:
    questions = (
        await session.execute(
            select(ForumQuestion.status, ForumQuestion.topic, ForumQuestion.asker_key).where(
                ForumQuestion.session_id == session_id
            )
        )
    ).all()
    in_session = select(ForumQuestion.id).where(ForumQuestion.session_id == session_id)
    keys = {key for _status, _topic, key in questions if key is not None}
    for model in (ForumVote, ForumReport):
        found = await session.scalars(
            select(model.pseudonym).where(model.question_id.in_(in_session)).distinct()
        )
        keys.update(found.all())
    # Complaints about officers carry no pseudonym: each counts as one participant.
    unlinked = sum(1 for _status, _topic, key in questions if key is None)
    topics = Counter(topic for status, topic, _key in questions if topic and status != "merged")
    return Summary(
        received=len(questions),
        answered=sum(1 for status, _t, _k in questions if status == "answered"),
        declined=sum(1 for status, _t, _k in questions if status == "declined"),
        participants=len(keys) + unlinked,
        top_topics=tuple(topics.most_common(TOP_TOPICS)),
    )


async def forget_routes(session: AsyncSession) -> int:
    """Erase the reply routes of closed sessions, except where a notice still waits to go."""
    waiting = await session.scalars(
        select(OutboxMessage.dedupe_key).where(
            OutboxMessage.state.in_(("pending", "sending")),
            OutboxMessage.dedupe_key.startswith(NOTICE_PREFIX),
        )
    )
    keep = {str(key).split(":")[1] for key in waiting.all() if key}
    closed = select(ForumSession.id).where(ForumSession.status == "closed")
    candidates = await session.scalars(
        select(ForumQuestion.id).where(
            ForumQuestion.session_id.in_(closed), ForumQuestion.route_sealed.is_not(None)
        )
    )
    ids = [qid for qid in candidates.all() if str(qid) not in keep]
    if ids:
        await session.execute(
            update(ForumQuestion)
            .where(ForumQuestion.id.in_(ids))
            .values(route_key_id=None, route_sealed=None)
        )
    return len(ids)


async def close_session(core: Core, moderator: Moderator, session_id: int) -> Summary:
    """Close an open session: fix its summary, erase its pseudonyms and reply routes."""
    async with core.db.write() as session:
        row, _unit = await load_session(session, moderator, session_id)
        if row.status != "open":
            raise ForumError("only an open session can be closed", "not_open")
        summary = await _summarise(session, row.id)
        row.status, row.closed_at = "closed", utcnow()
        row.received, row.answered, row.declined = (
            summary.received,
            summary.answered,
            summary.declined,
        )
        row.participants = summary.participants
        row.top_topics = json.dumps([list(pair) for pair in summary.top_topics])
        in_session = select(ForumQuestion.id).where(ForumQuestion.session_id == row.id)
        # Votes and reports name residents by pseudonym; their totals stay on the questions.
        for model in (ForumVote, ForumReport):
            await session.execute(delete(model).where(model.question_id.in_(in_session)))
        await session.execute(
            update(ForumQuestion).where(ForumQuestion.session_id == row.id).values(asker_key=None)
        )
        await session.flush()
        await forget_routes(session)
        await audit.record(
            session,
            "forum.session.close",
            actor=moderator.actor,
            officer_id=moderator.officer_id,
            subject_type="forum_session",
            subject_id=str(row.id),
            details={
                "received": summary.received,
                "answered": summary.answered,
                "declined": summary.declined,
                "participants": summary.participants,
            },
        )
        return summary
