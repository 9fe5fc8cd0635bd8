"""Messages waiting to reach Telegram, written in the same transaction as their cause."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, new_uuid, utcnow

OUTBOX_STATES = ("pending", "sending", "sent", "dead")


class OutboxMessage(Base):
    """One message for the bot to send; the payload (chat and text) is sealed to the relay key."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_due", "state", "due_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    kind: Mapped[str] = mapped_column(String(32))
    # A stable key so that the same cause never queues the same message twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    # A worker that took the row owns it until then; after a crash another may take it.
    lease_until: Mapped[dt.datetime | None] = mapped_column()
    # Wiped once sent: what has reached the chat need not wait in the database.
    key_id: Mapped[str | None] = mapped_column(String(32))
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column()
