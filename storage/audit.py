"""Append to the hash-chained audit log and verify the chain."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent, AuditHead, utcnow

GENESIS_HASH = "0" * 64


# The fields an event's hash covers, in the order `hash_of` takes them.
HASHED = (
    AuditEvent.seq,
    AuditEvent.at,
    AuditEvent.officer_id,
    AuditEvent.actor,
    AuditEvent.action,
    AuditEvent.subject_type,
    AuditEvent.subject_id,
    AuditEvent.details,
    AuditEvent.prev_hash,
)


def hash_of(
    seq: int,
    at: dt.datetime,
    officer_id: int | None,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    details: str,
    prev_hash: str,
) -> str:
    """SHA-256 over an event's fields in a fixed form, including the previous hash."""
    body = {
        "seq": seq,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "officer_id": officer_id,
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "details": details,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _event_hash(event: AuditEvent) -> str:
    """The hash `event` must carry."""
    return hash_of(*(getattr(event, column.key) for column in HASHED))


async def record(
    session: AsyncSession,
    action: str,
    *,
    actor: str,
    officer_id: int | None = None,
    subject_type: str = "",
    subject_id: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event inside the caller's transaction; never put tip content in `details`."""
    # Bumping the head first takes its row lock, so concurrent appends line up one by one.
    head = (
        await session.execute(
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(seq=AuditHead.seq + 1)
            .returning(AuditHead.seq, AuditHead.last_hash)
        )
    ).one()
    event = AuditEvent(
        seq=head.seq,
        at=utcnow(),
        officer_id=officer_id,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=json.dumps(dict(details or {}), sort_keys=True, ensure_ascii=False),
        prev_hash=head.last_hash,
    )
    event.hash = _event_hash(event)
    session.add(event)
    await session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=event.hash))
    return event


@dataclass(frozen=True)
class ChainProblem:
    """One place where the chain does not hold."""

    seq: int
    problem: str


@dataclass(frozen=True)
class ChainReport:
    """The result of checking the whole chain."""

    events: int
    problems: list[ChainProblem]

    @property
    def intact(self) -> bool:
        """True when no event was changed, removed or inserted."""
        return not self.problems


def _check_batch(
    rows: Sequence[Sequence[Any]], expected_prev: str, expected_seq: int
) -> tuple[list[ChainProblem], str, int]:
    """Check consecutive events; returns the problems and what the next event must follow."""
    problems: list[ChainProblem] = []
    for *fields, stored_hash in rows:
        seq, prev_hash = fields[0], fields[-1]
        if seq != expected_seq:
            problems.append(ChainProblem(seq, f"events {expected_seq}–{seq - 1} are missing"))
        if prev_hash != expected_prev:
            problems.append(ChainProblem(seq, "does not follow the event before it"))
        if hash_of(*fields) != stored_hash:
            problems.append(ChainProblem(seq, "was changed after it was written"))
        expected_prev, expected_seq = stored_hash, seq + 1
    return problems, expected_prev, expected_seq


async def verify_chain(session: AsyncSession, *, batch: int = 1000) -> ChainReport:
    """Walk every event in order and report edits, deletions and a truncated tail.

    The hashing of a large log takes seconds of CPU: it runs in a thread, batch by batch,
    so the event loop (and the bot sharing it) keeps answering.
    """
    problems: list[ChainProblem] = []
    expected_prev, expected_seq, count, last_seq = GENESIS_HASH, 1, 0, 0
    while True:
        # Plain rows, not ORM objects: the whole log is read on every check.
        rows = (
            await session.execute(
                select(*HASHED, AuditEvent.hash)
                .where(AuditEvent.seq > last_seq)
                .order_by(AuditEvent.seq)
                .limit(batch)
            )
        ).all()
        if not rows:
            break
        found, expected_prev, expected_seq = await asyncio.to_thread(
            _check_batch, rows, expected_prev, expected_seq
        )
        problems.extend(found)
        count += len(rows)
        last_seq = rows[-1][0]
    head = await session.get(AuditHead, 1)
    if head is not None and (head.seq != last_seq or head.last_hash != expected_prev):
        problems.append(ChainProblem(head.seq, "the newest events were removed"))
    return ChainReport(events=count, problems=problems)
