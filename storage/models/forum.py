"""The forum "Công an lắng nghe ý kiến Nhân dân": sessions, questions, votes, reports, answers.

A question is a resident's words until a moderator publishes it: its text is sealed to the
console key, and only a published question keeps a copy in clear. Residents appear only as
HMAC pseudonyms bound to one session, and those are erased when the session closes.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, new_uuid, utcnow

SESSION_STATES = ("draft", "open", "closed")
QUESTION_KINDS = ("question", "opinion", "complaint")
QUESTION_STATES = ("pending", "approved", "answered", "declined", "merged")
# What residents ask about at the forums of the seed provinces.
TOPICS = (
    "residence",
    "traffic",
    "fraud",
    "drugs",
    "theft",
    "weapons",
    "dispute",
    "child_marriage",
    "fire",
    "officer_conduct",
    "other",
)
SIGNERS = ("police", "front")


class ForumSession(Base):
    """One forum held by a unit: open for questions between two times, then summed up."""

    __tablename__ = "forum_session"
    __table_args__ = (Index("ix_forum_session_unit_status", "unit_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[dt.datetime] = mapped_column()
    closes_at: Mapped[dt.datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(8), default="draft")
    # JSON list of neighbourhood group ids (the warnings module's) that receive answers.
    publish_group_ids: Mapped[str] = mapped_column(Text, default="[]")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[dt.datetime | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    # The summary, fixed when the session closes; it feeds the statistics.
    received: Mapped[int | None] = mapped_column()
    answered: Mapped[int | None] = mapped_column()
    declined: Mapped[int | None] = mapped_column()
    participants: Mapped[int | None] = mapped_column()
    # JSON list of [topic, count], most frequent first.
    top_topics: Mapped[str | None] = mapped_column(Text)


class ForumQuestion(Base):
    """A question, opinion or complaint about an officer's conduct, as a resident sent it."""

    __tablename__ = "forum_question"
    __table_args__ = (Index("ix_forum_question_session_status", "session_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    session_id: Mapped[int] = mapped_column(ForeignKey("forum_session.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # Shown in /forum and in the groups; opinions and complaints only when a moderator says so.
    public: Mapped[bool] = mapped_column(default=False)
    topic: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("forum_question.id"))
    # Text and optional display name, sealed to the console key and bound to `id`.
    key_id: Mapped[str] = mapped_column(String(32), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # The copy in clear, kept only once the question is published.
    public_text: Mapped[str | None] = mapped_column(Text)
    public_name: Mapped[str | None] = mapped_column(String(60))
    # The asker's pseudonym for this session only; none for complaints about officers.
    asker_key: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)
    vote_count: Mapped[int] = mapped_column(default=0)
    report_count: Mapped[int] = mapped_column(default=0)
    # Reports a moderator has already looked at; hiding counts only the ones after.
    reports_reviewed: Mapped[int] = mapped_column(default=0)
    hidden_at: Mapped[dt.datetime | None] = mapped_column()
    hidden_by: Mapped[str | None] = mapped_column(String(10))
    # Optional reply route: chat id and language sealed to the bot's relay key.
    route_key_id: Mapped[str | None] = mapped_column(String(32))
    route_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)


class ForumVote(Base):
    """A resident's "I have this question too": one per resident and question, by pseudonym."""

    __tablename__ = "forum_vote"

    question_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("forum_question.id", ondelete="CASCADE"), primary_key=True
    )
    pseudonym: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ForumReport(Base):
    """A resident's report that a published question or answer is abusive."""

    __tablename__ = "forum_report"

    question_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("forum_question.id", ondelete="CASCADE"), primary_key=True
    )
    pseudonym: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ForumAnswer(Base):
    """The official answer to a question: public text, signed by the police or the Front."""

    __tablename__ = "forum_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("forum_question.id", ondelete="CASCADE"), unique=True
    )
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id"))
    text: Mapped[str] = mapped_column(Text)
    signed_by: Mapped[str] = mapped_column(String(8), default="police")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    edits: Mapped[int] = mapped_column(default=0)
