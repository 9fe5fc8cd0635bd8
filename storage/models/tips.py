"""Tips, the messages about them and their attachments: content is always sealed."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, new_uuid, utcnow


class Tip(Base):
    """One report from a resident; nothing here names or locates the resident in clear."""

    __tablename__ = "tip"
    __table_args__ = (
        Index("ix_tip_unit_status_created", "unit_id", "status", "created_at"),
        # Covers the triage queue's counts under any filter (storage/triage/queue.py).
        Index("ix_tip_queue", "unit_id", "status", "category", "priority", "created_at"),
        # Newest first across many units: the page is read off this index, rows only for 25.
        Index("ix_tip_created_status_unit", "created_at", "status", "unit_id"),
        # Few tips are duplicates: a partial index stays tiny and the planner always takes it.
        Index(
            "ix_tip_duplicate_of",
            "duplicate_of_id",
            sqlite_where=text("duplicate_of_id IS NOT NULL"),
            postgresql_where=text("duplicate_of_id IS NOT NULL"),
        ),
        # Tips nobody opened yet (the 24-hour hand-over flag): counted on every queue page.
        Index(
            "ix_tip_unopened",
            "unit_id",
            "status",
            "created_at",
            sqlite_where=text("first_opened_at IS NULL"),
            postgresql_where=text("first_opened_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    status: Mapped[str] = mapped_column(String(16), default="new")
    outcome: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    assigned_officer_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tip.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    first_opened_at: Mapped[dt.datetime | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    purge_after: Mapped[dt.datetime | None] = mapped_column(index=True)
    legal_hold: Mapped[bool] = mapped_column(default=False)
    attachment_count: Mapped[int] = mapped_column(default=0)
    # Content (text, place, address, location) sealed to the console key, bound to `id`.
    key_id: Mapped[str] = mapped_column(String(32), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Found again with the receipt: lookup value and the tipster's wrapped private key.
    receipt_lookup: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    tipster_public_key: Mapped[bytes] = mapped_column(LargeBinary)
    tipster_private_wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    # Optional reply route: the chat id sealed to the bot's relay key.
    reply_route_key_id: Mapped[str | None] = mapped_column(String(32))
    reply_route_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)


class TipMessage(Base):
    """A follow-up from the tipster, a reply from an officer, or an internal note."""

    __tablename__ = "tip_message"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    tip_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tip.id", ondelete="CASCADE"), index=True)
    # "tipster" (follow-up), "officer" (reply to the tipster) or "note" (officers only).
    direction: Mapped[str] = mapped_column(String(8))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The console's copy, sealed to the console key.
    key_id: Mapped[str] = mapped_column(String(32))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Replies only: the tipster's copy, sealed to the tipster's public key.
    tipster_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    read_by_tipster_at: Mapped[dt.datetime | None] = mapped_column()


class Attachment(Base):
    """A photo, video, voice note or document, metadata stripped where it can be, sealed."""

    __tablename__ = "attachment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    tip_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tip.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tip_message.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    key_id: Mapped[str] = mapped_column(String(32))
    # Sealed: the file name and the stripped bytes.
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Only when the tipster agreed to keep the untouched original as evidence.
    original_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The file could not be cleaned (a video, most audio) and the tipster, told it may carry
    # location or device data, chose to send it as it is.
    sent_as_is: Mapped[bool] = mapped_column(default=False)


class RefCounter(Base):
    """The last public reference number handed out in a year (TB-2026-000123)."""

    __tablename__ = "ref_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)
