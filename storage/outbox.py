"""The outbox: what must reach Telegram, queued in the transaction that caused it.

The payload (chat id, text, buttons) is sealed to the bot's relay key, so neither the
console nor a copy of the database can read where a message goes or what it says.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.contexts import outbox_context
from storage.core import Core
from storage.crypto import KeyRing, PublicKey, seal
from storage.models import OutboxMessage, utcnow

LEASE = dt.timedelta(seconds=60)
MAX_BACKOFF = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Payload:
    """One Telegram message: where to, what, and with which inline buttons.

    The text is either ready Telegram HTML (`text`, e.g. written by an officer) or a
    catalog message id (`message` with `params`) that the bot renders in the recipient's
    language. The chat is either known (`chat_id`) or behind a sealed reply route, which
    only the bot can open: a tip's (`route_tip_id`), or another feature's (`route_kind`
    names the bot's resolver, e.g. "forum_question", and `route_id` the row).
    """

    text: str = ""
    message: str = ""
    params: dict[str, str] = field(default_factory=dict)
    chat_id: int | None = None
    route_tip_id: str | None = None
    language: str | None = None
    parse_mode: str = "HTML"
    buttons: list[list[dict[str, str]]] = field(default_factory=list)
    route_kind: str | None = None
    route_id: str | None = None

    def __post_init__(self) -> None:
        if bool(self.text) == bool(self.message):
            raise ValueError("a payload has either text or a message id")
        if (self.route_kind is None) != (self.route_id is None):
            raise ValueError("a feature's reply route needs both its kind and its row id")
        targets = (self.chat_id, self.route_tip_id, self.route_id)
        if sum(target is not None for target in targets) != 1:
            raise ValueError("a payload has either a chat id or a reply route")

    def to_bytes(self) -> bytes:
        """JSON form, sealed as a whole."""
        return json.dumps(asdict(self), ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Payload:
        """Read back what `to_bytes` wrote."""
        raw: dict[str, Any] = json.loads(data)
        return cls(**raw)


@dataclass(frozen=True)
class Claimed:
    """A row a worker took, with its opened payload."""

    id: uuid.UUID
    kind: str
    attempts: int
    payload: Payload


def enqueue(
    session: AsyncSession,
    relay_public: PublicKey,
    kind: str,
    payload: Payload,
    *,
    dedupe_key: str | None = None,
    due_at: dt.datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox inside the caller's transaction."""
    message_id = uuid.uuid4()
    row = OutboxMessage(
        id=message_id,
        kind=kind,
        dedupe_key=dedupe_key,
        due_at=due_at or utcnow(),
        key_id=relay_public.key_id,
        sealed=seal(relay_public, payload.to_bytes(), outbox_context(message_id)),
    )
    session.add(row)
    return row


async def claim_due(core: Core, ring: KeyRing, *, limit: int = 50) -> list[Claimed]:
    """Take up to `limit` due messages for this worker, oldest first, leasing them."""
    now = utcnow()
    async with core.db.write() as session:
        query = (
            select(OutboxMessage)
            .where(
                or_(
                    (OutboxMessage.state == "pending") & (OutboxMessage.due_at <= now),
                    (OutboxMessage.state == "sending") & (OutboxMessage.lease_until < now),
                )
            )
            .order_by(OutboxMessage.due_at, OutboxMessage.created_at)
            .limit(limit)
        )
        if not core.db.sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = list((await session.scalars(query)).all())
        claimed = []
        for row in rows:
            row.state, row.lease_until = "sending", now + LEASE
            assert row.sealed is not None and row.key_id is not None
            data = ring.open(row.key_id, row.sealed, outbox_context(row.id))
            claimed.append(Claimed(row.id, row.kind, row.attempts, Payload.from_bytes(data)))
    return claimed


async def mark_sent(core: Core, message_id: uuid.UUID) -> None:
    """The message reached Telegram: forget its content."""
    async with core.db.write() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(state="sent", sent_at=utcnow(), sealed=None, lease_until=None, last_error=None)
        )


async def retry_later(
    core: Core, message_id: uuid.UUID, *, error: str, delay: dt.timedelta | None = None
) -> None:
    """Try again after `delay`, or after an exponential back-off from the attempt count."""
    async with core.db.write() as session:
        row = await session.get(OutboxMessage, message_id)
        if row is None:
            return
        row.attempts += 1
        exponential = min(MAX_BACKOFF, dt.timedelta(seconds=2 ** min(row.attempts, 12)))
        backoff = exponential if delay is None else delay
        row.state, row.due_at, row.lease_until, row.last_error = (
            "pending",
            utcnow() + backoff,
            None,
            error[:500],
        )


async def mark_dead(core: Core, message_id: uuid.UUID, *, error: str) -> None:
    """Telegram will never take this message (blocked, chat gone): keep why, drop the content."""
    async with core.db.write() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(state="dead", sealed=None, lease_until=None, last_error=error[:500])
        )


async def counts(core: Core) -> dict[str, int]:
    """Messages per state, for /metrics and the console."""
    async with core.db.read() as session:
        rows = await session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        )
        return {state: int(n) for state, n in rows.all()}
