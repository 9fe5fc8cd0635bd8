"""Who receives broadcasts: neighbourhood groups and subscribed residents.

A group's chat id and title are not personal and are kept in clear. A resident's chat id
is kept only here, sealed to the bot's relay key, and found again by an HMAC pseudonym.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, new_uuid, utcnow

GROUP_STATUSES = ("pending", "approved", "rejected")


class ChatGroup(Base):
    """A Telegram group the bot was added to; it receives nothing until approved."""

    __tablename__ = "chat_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # False once the bot was removed or Telegram refused a send (Forbidden).
    active: Mapped[bool] = mapped_column(default=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    language: Mapped[str] = mapped_column(String(5), default="vi")
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class GroupCode(Base):
    """A one-time code an officer hands to a group admin; only its hash is kept."""

    __tablename__ = "group_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column()
    group_id: Mapped[int | None] = mapped_column(ForeignKey("chat_group.id"))


class Subscriber(Base):
    """A resident's private chat that receives warnings; the chat id is sealed (relay key)."""

    __tablename__ = "subscriber"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    # HMAC of the Telegram user id for the purpose "subscription": how /subscribe finds it.
    resident_key: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    key_id: Mapped[str] = mapped_column(String(32))
    chat_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    language: Mapped[str] = mapped_column(String(5), default="vi")
    # Comma-separated warning categories; empty means every category.
    categories: Mapped[str] = mapped_column(String(400), default="")
    # Hours (Vietnam time) between which non-urgent messages wait; None means none.
    quiet_start: Mapped[int | None] = mapped_column(SmallInteger)
    quiet_end: Mapped[int | None] = mapped_column(SmallInteger)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SubscriptionUnit(Base):
    """A commune (or any unit) a subscriber follows."""

    __tablename__ = "subscription_unit"

    subscriber_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True, index=True)
