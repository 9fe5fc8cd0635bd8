"""Broadcasts (a warning, a forum announcement) and one delivery row per target chat.

The texts of a broadcast are public and kept in clear. A delivery row names its target
(a group or a subscriber) by row id, never by chat id, and records every state change so
that a worker that dies resumes without losing or repeating messages.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

DELIVERY_STATES = ("pending", "sending", "sent", "failed", "skipped")
# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit id.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Broadcast(Base):
    """What is sent: Telegram HTML per language, an optional picture, its source."""

    __tablename__ = "broadcast"
    __table_args__ = (Index("ix_broadcast_kind_source", "kind", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "warning", "forum", ...: with source_id, the row of the feature that caused it.
    kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str] = mapped_column(String(64))
    text_vi: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(default=False)
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    image_mime: Mapped[str | None] = mapped_column(String(32))
    # Telegram's id for the uploaded picture, so that it is uploaded once, not per chat.
    photo_file_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """One broadcast to one chat: pending → sending → sent | failed | skipped."""

    __tablename__ = "delivery"
    __table_args__ = (
        Index("ix_delivery_state_due", "state", "due_at"),
        UniqueConstraint("broadcast_id", "group_id"),
        UniqueConstraint("broadcast_id", "subscriber_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcast.id", ondelete="CASCADE"), index=True
    )
    # One of the two names the target; both None once the target is gone (an unsubscribed
    # resident's row is deleted), and the row stays for the delivery report.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("chat_group.id", ondelete="SET NULL"))
    subscriber_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subscriber.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[str] = mapped_column(String(5), default="vi")
    # 0 urgent, 1 normal: urgent broadcasts overtake queued normal ones.
    priority: Mapped[int] = mapped_column(SmallInteger, default=1)
    state: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # A worker that took the row owns it until then; after a crash another one may take it.
    lease_until: Mapped[dt.datetime | None] = mapped_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
