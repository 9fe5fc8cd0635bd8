"""The delivery worker's side of `delivery` rows: take due rows, record what happened.

Every state change is committed before the worker moves on: a row is leased ("sending")
before its message goes out and settled right after, so a worker that dies leaves at most
its in-flight rows to be sent again once their lease runs out. On PostgreSQL several
workers take rows with FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.core import Core
from storage.crypto import KeyRing
from storage.models import Broadcast, ChatGroup, Delivery, Subscriber, utcnow
from storage.subscriptions import open_chat_id

MAX_BACKOFF = dt.timedelta(minutes=30)
# Transient failures (network, 5xx) are retried this often (back-off up to 30 minutes: about
# nine hours in all) before the row counts as failed; flood waits do not count.
MAX_ATTEMPTS = 24


@dataclass(frozen=True)
class Job:
    """One message to send: where, in which language, and which broadcast."""

    id: int
    broadcast_id: int
    chat_id: int
    is_group: bool
    language: str
    attempts: int
    priority: int
    group_id: int | None
    subscriber_id: uuid.UUID | None


@dataclass(frozen=True)
class Content:
    """What a broadcast says (immutable once queued, so workers may cache it)."""

    texts: dict[str, str]
    image: bytes | None
    image_mime: str | None
    photo_file_id: str | None


Verdict = Literal["sent", "retry", "failed", "gone", "defer"]


@dataclass(frozen=True)
class Outcome:
    """How a send ended; `gone` also deactivates the chat (blocked, kicked)."""

    job: Job
    verdict: Verdict
    message_id: int | None = None
    error: str | None = None
    delay: dt.timedelta | None = None
    # Retries that are not the message's fault (flood limits, deferral) are not counted.
    counts: bool = True


async def claim(core: Core, ring: KeyRing, *, limit: int, lease: dt.timedelta) -> list[Job]:
    """Lease up to `limit` due rows, urgent first, then oldest; inactive targets are skipped."""
    now = utcnow()
    due = or_(
        (Delivery.state == "pending") & (Delivery.due_at <= now),
        (Delivery.state == "sending") & (Delivery.lease_until < now),
    )
    async with core.db.read() as session:  # an idle worker looks without taking the write lock
        if await session.scalar(select(Delivery.id).where(due).limit(1)) is None:
            return []
    async with core.db.write() as session:
        query = (
            select(Delivery)
            .where(due)
            .order_by(Delivery.priority, Delivery.due_at, Delivery.id)
            .limit(limit)
        )
        if not core.db.sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = list((await session.scalars(query)).all())
        group_ids = {r.group_id for r in rows if r.group_id is not None}
        sub_ids = {r.subscriber_id for r in rows if r.subscriber_id is not None}
        groups = {
            g.id: g
            for g in (await session.scalars(select(ChatGroup).where(ChatGroup.id.in_(group_ids))))
        }
        subs = {
            s.id: s
            for s in (await session.scalars(select(Subscriber).where(Subscriber.id.in_(sub_ids))))
        }
        jobs = []
        for row in rows:
            group = groups.get(row.group_id) if row.group_id is not None else None
            sub = subs.get(row.subscriber_id) if row.subscriber_id is not None else None
            if group is not None and group.active and group.status == "approved":
                chat_id, is_group = group.chat_id, True
            elif sub is not None and sub.active:
                chat_id, is_group = open_chat_id(ring, sub), False
            else:
                row.state, row.lease_until, row.last_error = "skipped", None, "chat inactive"
                continue
            row.state, row.lease_until = "sending", now + lease
            jobs.append(
                Job(
                    row.id,
                    row.broadcast_id,
                    chat_id,
                    is_group,
                    row.language,
                    row.attempts,
                    row.priority,
                    row.group_id,
                    row.subscriber_id,
                )
            )
    return jobs


async def content(core: Core, broadcast_id: int) -> Content | None:
    """The texts and picture of a broadcast."""
    async with core.db.read() as session:
        row = await session.get(Broadcast, broadcast_id)
        if row is None:
            return None
        texts = {"vi": row.text_vi}
        if row.text_en:
            texts["en"] = row.text_en
        return Content(texts, row.image, row.image_mime, row.photo_file_id)


async def remember_photo(core: Core, broadcast_id: int, file_id: str) -> None:
    """Telegram's id for the uploaded picture: the other chats get it without an upload."""
    async with core.db.write() as session:
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.photo_file_id.is_(None))
            .values(photo_file_id=file_id)
        )


def _backoff(attempts: int) -> dt.timedelta:
    return min(MAX_BACKOFF, dt.timedelta(seconds=2 ** min(attempts, 12)))


_SETTLE = (
    update(Delivery.__table__)  # type: ignore[arg-type]
    .where(Delivery.__table__.c.id == bindparam("b_id"))
    .where(Delivery.__table__.c.state == "sending")
    .values(
        state=bindparam("b_state"),
        attempts=bindparam("b_attempts"),
        due_at=bindparam("b_due"),
        sent_at=bindparam("b_sent"),
        telegram_message_id=bindparam("b_message"),
        last_error=bindparam("b_error"),
        lease_until=None,
    )
)


def _values(outcome: Outcome, now: dt.datetime) -> dict[str, object]:
    """The row's new state after `outcome` (the job knows the attempts made before)."""
    job = outcome.job
    attempts = job.attempts + 1 if outcome.counts else job.attempts
    values: dict[str, object] = {
        "b_id": job.id,
        "b_attempts": attempts,
        "b_due": now,
        "b_sent": None,
        "b_message": None,
        "b_error": (outcome.error or "")[:500] or None,
    }
    if outcome.verdict == "sent":
        # Kept for groups only: in a private chat the id counts the messages exchanged
        # with the bot, which would hint at a tip sent between two warnings.
        message_id = outcome.message_id if job.is_group else None
        values.update(b_state="sent", b_sent=now, b_message=message_id)
    elif outcome.verdict in ("failed", "gone") or attempts >= MAX_ATTEMPTS:
        values.update(b_state="failed")
    else:
        delay = outcome.delay if outcome.delay is not None else _backoff(attempts)
        values.update(b_state="pending", b_due=now + delay)
    return values


async def settle(core: Core, outcomes: Sequence[Outcome]) -> None:
    """Record outcomes in one transaction (the worker commits them as they come).

    Rows no longer leased ("sending") are left alone: another worker owns them now.
    """
    if not outcomes:
        return
    now = utcnow()
    async with core.db.write() as session:
        await session.execute(_SETTLE, [_values(o, now) for o in outcomes])
        await _deactivate(session, [o.job for o in outcomes if o.verdict == "gone"])


async def _deactivate(session: AsyncSession, jobs: Iterable[Job]) -> None:
    group_ids = [j.group_id for j in jobs if j.group_id is not None]
    sub_ids = [j.subscriber_id for j in jobs if j.subscriber_id is not None]
    if group_ids:
        await session.execute(
            update(ChatGroup).where(ChatGroup.id.in_(group_ids)).values(active=False)
        )
    if sub_ids:
        await session.execute(
            update(Subscriber).where(Subscriber.id.in_(sub_ids)).values(active=False)
        )


async def release(core: Core, jobs: Sequence[tuple[Job, dt.datetime]]) -> None:
    """Give leased rows back to the queue, due at the given times (not an attempt)."""
    if not jobs:
        return
    async with core.db.write() as session:
        for job, due in jobs:
            await session.execute(
                update(Delivery)
                .where(Delivery.id == job.id, Delivery.state == "sending")
                .values(state="pending", due_at=due, lease_until=None)
            )


async def migrate_group(core: Core, group_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: later sends go to its new chat id."""
    async with core.db.write() as session:
        clash = await session.scalar(select(ChatGroup.id).where(ChatGroup.chat_id == new_chat_id))
        if clash is None:
            await session.execute(
                update(ChatGroup).where(ChatGroup.id == group_id).values(chat_id=new_chat_id)
            )
