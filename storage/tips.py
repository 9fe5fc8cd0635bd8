"""Use cases of a tip's life seen from the resident: submit, come back with the receipt,
add information, and read the officers' replies (DESIGN §4).

Nothing here stores or logs a tip's content, a Telegram id or a receipt in clear.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, tip_limits
from storage.contexts import (
    attachment_context,
    reply_route_context,
    tip_context,
    tip_message_context,
    tipster_key_context,
    tipster_message_context,
)
from storage.core import Core
from storage.crypto import (
    KeyPair,
    PublicKey,
    SealError,
    derive_receipt_keys_async,
    new_receipt,
    new_tipster_keys,
    normalize_receipt,
    open_sealed,
    seal,
    unwrap_private_key,
    wrap_private_key,
)
from storage.models import Attachment, RefCounter, Tip, TipMessage, Unit, utcnow
from storage.reply_route import ReplyRoute as ReplyRoute

# DESIGN §3, from the practice of the seed provinces.
CATEGORIES = (
    "drugs",
    "weapons",
    "theft",
    "fraud",
    "gambling",
    "trafficking",
    "child_marriage",
    "dispute",
    "fire",
    "traffic",
    "corruption",
    "other",
)
MAX_TEXT = 4096


class TipError(ValueError):
    """A submission that cannot be accepted; the message says which field."""


@dataclass(frozen=True)
class TipContent:
    """Everything the resident told, sealed as one value (kept out of `repr`)."""

    text: str = field(repr=False)
    place_unit_id: int | None = None
    address: str | None = field(default=None, repr=False)
    latitude: float | None = field(default=None, repr=False)
    longitude: float | None = field(default=None, repr=False)
    language: str = "vi"

    def to_bytes(self) -> bytes:
        """JSON, the form that is sealed."""
        return json.dumps(asdict(self), ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> TipContent:
        """Read back what `to_bytes` wrote."""
        raw: dict[str, Any] = json.loads(data)
        return cls(**raw)


@dataclass(frozen=True)
class NewAttachment:
    """A file ready to store: metadata stripped from `data`, or `as_is` with consent."""

    kind: str
    mime_type: str
    filename: str
    data: bytes = field(repr=False)
    original: bytes | None = field(default=None, repr=False)
    # Not cleanable (videos, most audio): the tipster was told and chose to send it as it is.
    as_is: bool = False


@dataclass(frozen=True)
class Submitted:
    """What the resident is told once: the public reference and the receipt."""

    tip_id: uuid.UUID
    ref: str
    receipt: str = field(repr=False)
    unit_id: int


@dataclass(frozen=True)
class ThreadEntry:
    """One line of the tip's thread as the tipster sees it."""

    direction: str
    created_at: dt.datetime
    # Officer replies only; the tipster's own follow-ups are sealed to the console alone.
    text: str | None = None


@dataclass(frozen=True)
class TipsterView:
    """What someone holding the receipt may see."""

    tip_id: uuid.UUID
    ref: str
    category: str
    status: str
    outcome: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    thread: list[ThreadEntry] = field(default_factory=list)
    # Files the tip carries, its own and those added since (capped per tip).
    attachments: int = 0


def _check(category: str, content: TipContent, attachments: Sequence[NewAttachment]) -> None:
    if category not in CATEGORIES:
        raise TipError(f"unknown category {category!r}")
    if not content.text.strip() and not attachments:
        raise TipError("a tip needs a description or a file")
    if len(content.text) > MAX_TEXT:
        raise TipError(f"the description is longer than {MAX_TEXT} characters")
    if (content.latitude is None) != (content.longitude is None):
        raise TipError("a location needs both latitude and longitude")
    if content.latitude is not None and not (
        -90 <= content.latitude <= 90 and -180 <= (content.longitude or 0) <= 180
    ):
        raise TipError("the location is outside the globe")


async def next_ref(session: AsyncSession, year: int) -> str:
    """The next public reference of the year, e.g. TB-2026-000123, atomically."""
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        dialect_insert(RefCounter)
        .values(year=year, last=1)
        .on_conflict_do_update(index_elements=["year"], set_={"last": RefCounter.last + 1})
        .returning(RefCounter.last)
    )
    number = int((await session.execute(statement)).scalar_one())
    return f"TB-{year}-{number:06d}"


async def route_unit(session: AsyncSession, unit_id: int | None) -> Unit:
    """The chosen unit, else the root of the tree (the province police)."""
    if unit_id is not None:
        unit = await session.get(Unit, unit_id)
        if unit is not None and unit.active:
            return unit
    root = await session.scalar(
        select(Unit).where(Unit.parent_id.is_(None), Unit.active.is_(True)).order_by(Unit.id)
    )
    if root is None:
        raise TipError("no police unit is configured")
    return root


def _store_attachments(
    session: AsyncSession,
    console: PublicKey,
    tip_id: uuid.UUID,
    message_id: uuid.UUID | None,
    attachments: Sequence[NewAttachment],
) -> None:
    for item in attachments:
        attachment_id = uuid.uuid4()
        meta = json.dumps({"filename": item.filename}).encode()
        # The sealed value is a small JSON header, a newline, then the bytes.
        body = meta + b"\n" + item.data
        original = (
            seal(console, item.original, attachment_context(attachment_id, "original"))
            if item.original is not None
            else None
        )
        session.add(
            Attachment(
                id=attachment_id,
                tip_id=tip_id,
                message_id=message_id,
                kind=item.kind,
                mime_type=item.mime_type,
                size=len(item.data),
                key_id=console.key_id,
                sealed=seal(console, body, attachment_context(attachment_id)),
                original_sealed=original,
                sent_as_is=item.as_is,
            )
        )


async def submit_tip(
    core: Core,
    *,
    category: str,
    content: TipContent,
    attachments: Sequence[NewAttachment] = (),
    reply_route: ReplyRoute | None = None,
    resident: int | None = None,
) -> Submitted:
    """Seal and store a new tip in one transaction; the receipt is returned, never stored.

    With `resident` (a Telegram user id, only ever used in memory) the tip is first counted
    against the per-resident limits (storage.tip_limits); over a limit, `OverLimit` is
    raised and nothing is stored or counted; a tip that fails to store is not counted.
    """
    _check(category, content, attachments)
    return await tip_limits.counted(
        core,
        resident,
        tip_limits.tip_rules(core),
        lambda: _store_tip(core, category, content, attachments, reply_route),
    )


async def _store_tip(
    core: Core,
    category: str,
    content: TipContent,
    attachments: Sequence[NewAttachment],
    reply_route: ReplyRoute | None,
) -> Submitted:
    receipt = new_receipt()
    keys = await derive_receipt_keys_async(
        receipt, core.vault.require_secrets().receipt_salt, core.settings.kdf
    )
    tipster = new_tipster_keys()
    tip_id = uuid.uuid4()
    console = core.vault.console_public
    route_blob = None
    if reply_route is not None:
        route_blob = reply_route.seal(core.vault.relay_public, reply_route_context(tip_id))
    now = utcnow()
    async with core.db.write() as session:
        unit = await route_unit(session, content.place_unit_id)
        ref = await next_ref(session, now.year)
        session.add(
            Tip(
                id=tip_id,
                ref=ref,
                category=category,
                unit_id=unit.id,
                created_at=now,
                updated_at=now,
                attachment_count=len(attachments),
                key_id=console.key_id,
                sealed=seal(console, content.to_bytes(), tip_context(tip_id)),
                receipt_lookup=keys.lookup,
                tipster_public_key=tipster.public.to_bytes(),
                tipster_private_wrapped=wrap_private_key(
                    tipster, keys.wrapping_key, tipster_key_context(tip_id)
                ),
                reply_route_key_id=core.vault.relay_public.key_id if route_blob else None,
                reply_route_sealed=route_blob,
            )
        )
        await session.flush()
        _store_attachments(session, console, tip_id, None, attachments)
        await audit.record(
            session,
            "tip.submit",
            actor="resident",
            subject_type="tip",
            subject_id=ref,
            details={
                "category": category,
                "unit": unit.code,
                "attachments": len(attachments),
                "reply_route": route_blob is not None,
            },
        )
    return Submitted(tip_id=tip_id, ref=ref, receipt=receipt, unit_id=unit.id)


@dataclass(frozen=True)
class TipsterAccess:
    """Proof of holding the receipt, kept in memory for one /status conversation."""

    tip_id: uuid.UUID
    keypair: KeyPair = field(repr=False)


async def unlock_with_receipt(core: Core, receipt_text: str) -> TipsterAccess | None:
    """The tip behind a receipt, or None; says nothing of whether a reference exists."""
    canonical = normalize_receipt(receipt_text)
    if canonical is None:
        return None
    keys = await derive_receipt_keys_async(
        canonical, core.vault.require_secrets().receipt_salt, core.settings.kdf
    )
    async with core.db.read() as session:
        tip = await session.scalar(select(Tip).where(Tip.receipt_lookup == keys.lookup))
        if tip is None:
            return None
        try:
            keypair = unwrap_private_key(
                tip.tipster_private_wrapped, keys.wrapping_key, tipster_key_context(tip.id)
            )
        except SealError:
            return None
    return TipsterAccess(tip_id=tip.id, keypair=keypair)


async def tipster_view(core: Core, access: TipsterAccess) -> TipsterView | None:
    """Status and thread of the tip, officer replies opened with the tipster's key."""
    async with core.db.write() as session:
        tip = await session.get(Tip, access.tip_id)
        if tip is None:
            return None
        messages = (
            await session.scalars(
                select(TipMessage)
                .where(TipMessage.tip_id == tip.id, TipMessage.direction != "note")
                .order_by(TipMessage.created_at)
            )
        ).all()
        thread = []
        now = utcnow()
        for message in messages:
            text = None
            if message.direction == "officer" and message.tipster_sealed is not None:
                text = open_sealed(
                    access.keypair, message.tipster_sealed, tipster_message_context(message.id)
                ).decode()
                if message.read_by_tipster_at is None:
                    message.read_by_tipster_at = now
            thread.append(ThreadEntry(message.direction, message.created_at, text))
        return TipsterView(
            tip_id=tip.id,
            ref=tip.ref,
            category=tip.category,
            status=tip.status,
            outcome=tip.outcome,
            created_at=tip.created_at,
            updated_at=tip.updated_at,
            thread=thread,
            attachments=tip.attachment_count,
        )


class TooManyFiles(TipError):
    """The tip already carries as many files as one tip may (`attachments_per_tip`)."""


async def add_follow_up(
    core: Core,
    access: TipsterAccess,
    text: str,
    attachments: Sequence[NewAttachment] = (),
    *,
    resident: int | None = None,
) -> uuid.UUID:
    """More information from the tipster, sealed to the console key like the tip.

    Files count against the tip's cap (`TooManyFiles`), and with `resident` the follow-up
    counts against the hourly limit of follow-ups (`OverLimit`), in memory only.
    """
    if not text.strip() and not attachments:
        raise TipError("a follow-up needs text or a file")
    if len(text) > MAX_TEXT:
        raise TipError(f"the text is longer than {MAX_TEXT} characters")
    return await tip_limits.counted(
        core,
        resident,
        tip_limits.follow_up_rules(core),
        lambda: _store_follow_up(core, access, text, attachments),
    )


async def _store_follow_up(
    core: Core, access: TipsterAccess, text: str, attachments: Sequence[NewAttachment]
) -> uuid.UUID:
    message_id = uuid.uuid4()
    console = core.vault.console_public
    cap = core.settings.limits.attachments_per_tip
    async with core.db.write() as session:
        tip = await session.get(Tip, access.tip_id)
        if tip is None:
            raise TipError("the tip no longer exists")
        if attachments and tip.attachment_count + len(attachments) > cap:
            raise TooManyFiles(f"a tip carries at most {cap} files")
        session.add(
            TipMessage(
                id=message_id,
                tip_id=tip.id,
                direction="tipster",
                key_id=console.key_id,
                sealed=seal(console, text.encode(), tip_message_context(message_id)),
            )
        )
        await session.flush()
        _store_attachments(session, console, tip.id, message_id, attachments)
        tip.attachment_count += len(attachments)
        tip.updated_at = utcnow()
        await audit.record(
            session,
            "tip.follow_up",
            actor="resident",
            subject_type="tip",
            subject_id=tip.ref,
            details={"attachments": len(attachments)},
        )
    return message_id
