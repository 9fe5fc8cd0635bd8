"""Warnings about crime methods, written by broadcasters and pushed to areas (issue 5).

A warning follows CAP 1.2 (OASIS Common Alerting Protocol): severity, urgency, certainty,
and a message type (Alert, Update, Cancel) that may reference an earlier warning.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

# Crime methods warned about, from the seeds' practice; the same keys as tip categories.
WARNING_CATEGORIES = (
    "fraud",
    "drugs",
    "weapons",
    "child_marriage",
    "fire",
    "theft",
    "trafficking",
    "gambling",
    "traffic",
    "other",
)
WARNING_STATUSES = ("draft", "scheduled", "sending", "sent", "cancelled")
MSG_TYPES = ("Alert", "Update", "Cancel")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor")
URGENCIES = ("Immediate", "Expected", "Future")
CERTAINTIES = ("Observed", "Likely", "Possible")


class CrimeWarning(Base):
    """One warning in Vietnamese (and optionally English); texts are public, so in clear."""

    __tablename__ = "warning"
    __table_args__ = (Index("ix_warning_status_scheduled", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    msg_type: Mapped[str] = mapped_column(String(8), default="Alert")
    references_id: Mapped[int | None] = mapped_column(ForeignKey("warning.id"))
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(10))
    urgency: Mapped[str] = mapped_column(String(10))
    certainty: Mapped[str] = mapped_column(String(10))
    title_vi: Mapped[str] = mapped_column(String(200))
    body_vi: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str | None] = mapped_column(String(200))
    body_en: Mapped[str | None] = mapped_column(Text)
    # Re-encoded without metadata (EXIF, GPS) before it is stored.
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    image_mime: Mapped[str | None] = mapped_column(String(32))
    # The unit that issued it: officers of this unit and above see it in the console.
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    scheduled_at: Mapped[dt.datetime | None] = mapped_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    expires_at: Mapped[dt.datetime | None] = mapped_column()
    cancelled_at: Mapped[dt.datetime | None] = mapped_column()
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcast.id"))


class WarningUnit(Base):
    """A target area of a warning; a unit covers its descendants."""

    __tablename__ = "warning_unit"

    warning_id: Mapped[int] = mapped_column(
        ForeignKey("warning.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True, index=True)
