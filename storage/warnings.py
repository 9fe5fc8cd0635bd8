"""Use cases of a warning's life in the console: compose, schedule, send, cancel, follow up.

A warning is sent by `queue_broadcast` (storage.broadcast) in the transaction that marks
it "sending"; the delivery worker sends the rows, starts scheduled warnings when they are
due (`start_due`) and marks them "sent" once nothing is left (`finish_done`). Every change
is an audit event. Who may do what: a broadcaster, on target units within their own unit's
subtree; a warning is seen by officers of its issuing unit and the units above it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.auth import Identity
from storage.broadcast import CAPTION_LIMIT, MESSAGE_LIMIT, progress, queue_broadcast
from storage.core import Core
from storage.media import MediaRefused, strip_image
from storage.models import (
    CERTAINTIES,
    MSG_TYPES,
    SEVERITIES,
    URGENCIES,
    WARNING_CATEGORIES,
    CrimeWarning,
    Unit,
    WarningUnit,
    utcnow,
)
from storage.quiet import VIETNAM
from storage.telegram_html import HtmlError, check_html, visible_length
from storage.units import police_name

CATEGORIES = WARNING_CATEGORIES
EDITABLE = ("draft", "scheduled")
MAX_IMAGE_BYTES = 10 * 1024 * 1024
# The heading of each kind of message (Telegram HTML); the title follows it, escaped.
_HEADINGS = {
    "vi": {"Alert": "⚠️ CẢNH BÁO", "Update": "🔄 CẬP NHẬT CẢNH BÁO", "Cancel": "✅ HỦY CẢNH BÁO"},
    "en": {"Alert": "⚠️ WARNING", "Update": "🔄 WARNING UPDATE", "Cancel": "✅ WARNING CANCELLED"},
}
_UNTIL = {"vi": "hiệu lực đến {date}", "en": "valid until {date}"}


class WarningError(ValueError):
    """A warning or an action that cannot be accepted; the message names the field."""


@dataclass(frozen=True)
class WarningDraft:
    """What a broadcaster writes. Bodies are Telegram HTML, titles plain text."""

    title_vi: str
    body_vi: str
    category: str
    severity: str
    urgency: str
    unit_ids: Sequence[int]
    certainty: str = "Likely"
    title_en: str = ""
    body_en: str = ""
    expires_at: dt.datetime | None = None
    image: bytes | None = None
    # Keep the stored picture when editing without uploading a new one.
    keep_image: bool = field(default=True)


def message_text(warning: CrimeWarning, issuer: Unit, language: str) -> str:
    """The warning as residents receive it, in Telegram HTML."""
    english = language == "en" and bool(warning.title_en and warning.body_en)
    lang = "en" if english else "vi"
    title = warning.title_en if english else warning.title_vi
    body = warning.body_en if english else warning.body_vi
    heading = _HEADINGS[lang][warning.msg_type]
    footer = html.escape(police_name(issuer, lang))
    if warning.expires_at is not None:
        date = warning.expires_at.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")
        footer += " · " + _UNTIL[lang].format(date=date)
    return f"<b>{heading}: {html.escape(title or '')}</b>\n\n{body}\n\n<i>{footer}</i>"


def _check_fields(draft: WarningDraft) -> None:
    if not draft.title_vi.strip() or not draft.body_vi.strip():
        raise WarningError("title_vi: a Vietnamese title and text are required")
    if bool(draft.title_en.strip()) != bool(draft.body_en.strip()):
        raise WarningError("title_en: give both the English title and text, or neither")
    for name, value, allowed in (
        ("category", draft.category, CATEGORIES),
        ("severity", draft.severity, SEVERITIES),
        ("urgency", draft.urgency, URGENCIES),
        ("certainty", draft.certainty, CERTAINTIES),
    ):
        if value not in allowed:
            raise WarningError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
    for name in ("title_vi", "title_en"):
        if len(getattr(draft, name)) > 200:
            raise WarningError(f"{name}: at most 200 characters")
    for name in ("body_vi", "body_en"):
        try:
            check_html(getattr(draft, name))
        except HtmlError as exc:
            raise WarningError(f"{name}: {exc}") from None
    if not draft.unit_ids:
        raise WarningError("unit_ids: choose at least one area")
    if draft.expires_at is not None and draft.expires_at <= utcnow():
        raise WarningError("expires_at: the expiry is in the past")


def _check_length(warning: CrimeWarning, issuer: Unit) -> None:
    limit = CAPTION_LIMIT if warning.image is not None else MESSAGE_LIMIT
    for language in ("vi", "en"):
        if visible_length(message_text(warning, issuer, language)) > limit:
            where = "body_en" if language == "en" else "body_vi"
            raise WarningError(f"{where}: the message is longer than Telegram's {limit} characters")


async def _targets(
    session: AsyncSession, identity: Identity, unit_ids: Sequence[int]
) -> list[Unit]:
    units = list((await session.scalars(select(Unit).where(Unit.id.in_(set(unit_ids))))).all())
    if len(units) != len(set(unit_ids)):
        raise WarningError("unit_ids: an area does not exist")
    if any(not u.path.startswith(identity.unit_path) for u in units):
        raise WarningError("unit_ids: an area is outside your unit")
    return units


async def _image(draft: WarningDraft) -> tuple[bytes, str] | None:
    if draft.image is None:
        return None
    if len(draft.image) > MAX_IMAGE_BYTES:
        raise WarningError("image: larger than 10 MB")
    try:
        data, mime, _ext = await asyncio.to_thread(strip_image, draft.image)
    except MediaRefused:
        raise WarningError("image: not a picture that can be read (JPEG, PNG, WebP)") from None
    return data, mime


async def _apply(
    session: AsyncSession, identity: Identity, row: CrimeWarning, draft: WarningDraft
) -> None:
    _check_fields(draft)
    await _targets(session, identity, draft.unit_ids)
    image = await _image(draft)
    row.title_vi, row.body_vi = draft.title_vi.strip(), draft.body_vi.strip()
    row.title_en, row.body_en = draft.title_en.strip() or None, draft.body_en.strip() or None
    row.category, row.severity = draft.category, draft.severity
    row.urgency, row.certainty = draft.urgency, draft.certainty
    row.expires_at, row.updated_at = draft.expires_at, utcnow()
    if image is not None:
        row.image, row.image_mime = image
    elif not draft.keep_image:
        row.image = row.image_mime = None
    session.add(row)
    await session.flush()
    await session.execute(delete(WarningUnit).where(WarningUnit.warning_id == row.id))
    session.add_all(WarningUnit(warning_id=row.id, unit_id=u) for u in set(draft.unit_ids))
    issuer = await session.get(Unit, row.unit_id)
    assert issuer is not None
    _check_length(row, issuer)


async def _record(
    session: AsyncSession, identity: Identity, action: str, row: CrimeWarning
) -> None:
    await audit.record(
        session,
        action,
        actor=identity.actor,
        officer_id=identity.officer_id,
        subject_type="warning",
        subject_id=str(row.id),
        details={"status": row.status, "msg_type": row.msg_type},
    )


async def create(
    core: Core,
    identity: Identity,
    draft: WarningDraft,
    *,
    msg_type: str = "Alert",
    references_id: int | None = None,
) -> int:
    """Save a new draft; returns its id."""
    if msg_type not in MSG_TYPES:
        raise WarningError(f"msg_type: {msg_type!r} is not one of {', '.join(MSG_TYPES)}")
    async with core.db.write() as session:
        if references_id is not None:
            earlier = await _visible(session, identity, references_id)
            if earlier.status not in ("sending", "sent"):
                raise WarningError("references: only a sent warning can be updated or cancelled")
        elif msg_type != "Alert":
            raise WarningError("references: an update or cancellation names an earlier warning")
        row = CrimeWarning(
            status="draft",
            msg_type=msg_type,
            references_id=references_id,
            unit_id=identity.unit_id,
            created_by=identity.officer_id,
        )
        await _apply(session, identity, row, draft)
        await _record(session, identity, "warning.create", row)
        return row.id


async def _visible(session: AsyncSession, identity: Identity, warning_id: int) -> CrimeWarning:
    row = await session.get(CrimeWarning, warning_id)
    issuer = await session.get(Unit, row.unit_id) if row is not None else None
    if row is None or issuer is None or not issuer.path.startswith(identity.unit_path):
        raise WarningError("no such warning")
    return row


async def _editable(session: AsyncSession, identity: Identity, warning_id: int) -> CrimeWarning:
    row = await _visible(session, identity, warning_id)
    if row.status not in EDITABLE:
        raise WarningError(f"the warning is {row.status} and can no longer be changed")
    return row


async def edit(core: Core, identity: Identity, warning_id: int, draft: WarningDraft) -> None:
    """Change a draft or a scheduled warning."""
    async with core.db.write() as session:
        row = await _editable(session, identity, warning_id)
        await _apply(session, identity, row, draft)
        await _record(session, identity, "warning.edit", row)


async def _start(session: AsyncSession, core: Core, row: CrimeWarning) -> int:
    """Queue the deliveries and mark the warning as sending; returns how many were queued."""
    issuer = await session.get(Unit, row.unit_id)
    assert issuer is not None
    unit_ids = list(
        (
            await session.scalars(
                select(WarningUnit.unit_id).where(WarningUnit.warning_id == row.id)
            )
        ).all()
    )
    texts = {"vi": message_text(row, issuer, "vi")}
    if row.title_en and row.body_en:
        texts["en"] = message_text(row, issuer, "en")
    count = await queue_broadcast(
        session,
        core,
        kind="warning",
        source_id=str(row.id),
        unit_ids=unit_ids,
        texts=texts,
        category=row.category,
        urgent=row.urgency == "Immediate",
        image=row.image,
        image_mime=row.image_mime,
    )
    row.status, row.sent_at, row.updated_at = "sending", utcnow(), utcnow()
    return count


async def send_now(core: Core, identity: Identity, warning_id: int) -> int:
    """Send a draft or scheduled warning now; returns how many chats it was queued for."""
    async with core.db.write() as session:
        row = await _editable(session, identity, warning_id)
        if row.expires_at is not None and row.expires_at <= utcnow():
            raise WarningError("expires_at: the warning has already expired")
        count = await _start(session, core, row)
        await _record(session, identity, "warning.send", row)
        return count


async def schedule(core: Core, identity: Identity, warning_id: int, at: dt.datetime) -> None:
    """Send at `at` (the delivery worker starts it then)."""
    if at <= utcnow():
        raise WarningError("scheduled_at: choose a time in the future")
    async with core.db.write() as session:
        row = await _editable(session, identity, warning_id)
        if row.expires_at is not None and row.expires_at <= at:
            raise WarningError("scheduled_at: the warning would have expired by then")
        row.status, row.scheduled_at, row.updated_at = "scheduled", at, utcnow()
        await _record(session, identity, "warning.schedule", row)


async def cancel(core: Core, identity: Identity, warning_id: int) -> None:
    """Withdraw a draft or scheduled warning before it starts."""
    async with core.db.write() as session:
        row = await _editable(session, identity, warning_id)
        row.status, row.cancelled_at, row.updated_at = "cancelled", utcnow(), utcnow()
        await _record(session, identity, "warning.cancel", row)


async def start_due(core: Core) -> int:
    """Start scheduled warnings whose time has come; returns how many started."""
    started = 0
    query = select(CrimeWarning).where(
        CrimeWarning.status == "scheduled", CrimeWarning.scheduled_at <= utcnow()
    )
    async with core.db.read() as session:  # most ticks find nothing: no write lock for them
        if await session.scalar(query.with_only_columns(CrimeWarning.id).limit(1)) is None:
            return 0
    async with core.db.write() as session:
        for row in (await session.scalars(query)).all():
            if row.expires_at is not None and row.expires_at <= utcnow():
                row.status, row.cancelled_at = "cancelled", utcnow()
                continue
            await _start(session, core, row)
            await audit.record(
                session,
                "warning.send",
                actor="scheduler",
                subject_type="warning",
                subject_id=str(row.id),
                details={"status": row.status, "msg_type": row.msg_type, "scheduled": True},
            )
            started += 1
    return started


async def finish_done(core: Core) -> int:
    """Mark warnings whose deliveries are all settled as sent; returns how many."""
    finished = 0
    query = select(CrimeWarning).where(CrimeWarning.status == "sending")
    async with core.db.read() as session:
        if await session.scalar(query.with_only_columns(CrimeWarning.id).limit(1)) is None:
            return 0
    async with core.db.write() as session:
        for row in (await session.scalars(query)).all():
            if (await progress(session, "warning", str(row.id))).done:
                row.status, row.updated_at = "sent", utcnow()
                finished += 1
    return finished
