"""What opening a tip gives: the decrypted tip with its thread, places and timeline."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from storage.tips import TipContent

# Shown inline from the stripped copy; every other type is only ever a download.
INLINE_IMAGES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


@dataclass(frozen=True)
class UnitInfo:
    """A unit as the tip page names it."""

    id: int
    code: str
    name: str
    kind: str
    path: str


@dataclass(frozen=True)
class AttachmentInfo:
    """An attachment's clear metadata (the name is sealed and shown after opening)."""

    id: uuid.UUID
    kind: str
    mime_type: str
    size: int
    message_id: uuid.UUID | None
    created_at: dt.datetime
    # Could not be cleaned of its metadata; the tipster chose to send it as it is.
    sent_as_is: bool = False

    @property
    def is_image(self) -> bool:
        """Shown inline (from the stripped copy) when it is a plain raster image."""
        return self.mime_type in INLINE_IMAGES


@dataclass(frozen=True)
class ThreadItem:
    """A follow-up from the tipster, an officer's reply, or an internal note, decrypted."""

    id: uuid.UUID
    direction: str
    text: str
    created_at: dt.datetime
    officer_name: str | None
    read_by_tipster_at: dt.datetime | None
    attachments: list[AttachmentInfo] = field(default_factory=list)


@dataclass(frozen=True)
class TimelineEvent:
    """An audit event about the tip."""

    seq: int
    at: dt.datetime
    action: str
    actor: str
    officer_name: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class TipDetail:
    """Everything the tip page and the API show."""

    id: uuid.UUID
    ref: str
    category: str
    status: str
    outcome: str | None
    priority: str
    created_at: dt.datetime
    updated_at: dt.datetime
    first_opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    purge_after: dt.datetime | None
    legal_hold: bool
    overdue: bool
    unit: UnitInfo
    unit_chain: list[UnitInfo]
    place_chain: list[UnitInfo]
    content: TipContent
    assigned_officer_id: int | None
    assigned_to: str | None
    duplicate_of: str | None
    duplicates: list[str]
    has_reply_route: bool
    attachments: list[AttachmentInfo]
    thread: list[ThreadItem]
    timeline: list[TimelineEvent]


@dataclass(frozen=True)
class AttachmentFile:
    """An attachment's stripped bytes, for an authorised officer."""

    filename: str
    mime_type: str
    data: bytes
