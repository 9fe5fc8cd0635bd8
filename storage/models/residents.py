"""What the bot remembers of residents, keyed by pseudonyms, never by Telegram ids.

Rate limits have no table: they live in the bot's memory only (storage.limits).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class ResidentPreference(Base):
    """A resident's chosen language, under a stable HMAC of their user id."""

    __tablename__ = "resident_preference"

    pseudonym: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(5))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
