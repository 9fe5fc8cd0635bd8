"""Append to the hash-chained audit log and verify the chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent, AuditHead, utcnow

GENESIS_HASH = "0" * 64


def _event_hash(event: AuditEvent) -> str:
    """SHA-256 over the event's fields in a fixed form, including the previous hash."""
    body = {
        "seq": event.seq,
        "at": event.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "officer_id": event.officer_id,
        "actor": event.actor,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


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


async def verify_chain(session: AsyncSession, *, batch: int = 5000) -> ChainReport:
    """Walk every event in order and report edits, deletions and a truncated tail."""
    problems: list[ChainProblem] = []
    expected_prev, expected_seq, count, last_seq = GENESIS_HASH, 1, 0, 0
    while True:
        rows = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.seq > last_seq)
                .order_by(AuditEvent.seq)
                .limit(batch)
            )
        ).all()
        if not rows:
            break
        for event in rows:
            count += 1
            if event.seq != expected_seq:
                problems.append(
                    ChainProblem(event.seq, f"events {expected_seq}–{event.seq - 1} are missing")
                )
            if event.prev_hash != expected_prev:
                problems.append(ChainProblem(event.seq, "does not follow the event before it"))
            if _event_hash(event) != event.hash:
                problems.append(ChainProblem(event.seq, "was changed after it was written"))
            expected_prev, expected_seq, last_seq = event.hash, event.seq + 1, event.seq
    head = await session.get(AuditHead, 1)
    if head is not None and (head.seq != last_seq or head.last_hash != expected_prev):
        problems.append(ChainProblem(head.seq, "the newest events were removed"))
    return ChainReport(events=count, problems=problems)
