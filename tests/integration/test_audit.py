"""The audit log is a hash chain: edits, deletions and a cut tail are all reported."""

from __future__ import annotations

import asyncio

from sqlalchemy import delete, select, update

from storage import audit
from storage.core import Core
from storage.models import AuditEvent


async def _write_events(core: Core, count: int) -> None:
    async with core.db.write() as session:
        for i in range(count):
            await audit.record(
                session, "tip.read", actor="officer:lan", subject_type="tip", subject_id=str(i)
            )


async def _verify(core: Core) -> audit.ChainReport:
    async with core.db.read() as session:
        return await audit.verify_chain(session)


async def test_an_untouched_chain_verifies(core: Core) -> None:
    await _write_events(core, 5)
    report = await _verify(core)
    assert report.intact
    assert report.events == 5


async def test_concurrent_appends_keep_one_chain(core: Core) -> None:
    await asyncio.gather(*(_write_events(core, 3) for _ in range(8)))
    report = await _verify(core)
    assert report.events == 24
    assert report.intact, report.problems


async def test_an_edited_row_is_reported(core: Core) -> None:
    await _write_events(core, 4)
    async with core.db.write() as session:
        await session.execute(
            update(AuditEvent).where(AuditEvent.seq == 2).values(actor="officer:someone-else")
        )
    report = await _verify(core)
    assert not report.intact
    assert [(p.seq, p.problem) for p in report.problems] == [
        (2, "was changed after it was written")
    ]


async def test_a_deleted_row_is_reported(core: Core) -> None:
    await _write_events(core, 4)
    async with core.db.write() as session:
        await session.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
    problems = (await _verify(core)).problems
    assert any("missing" in p.problem for p in problems)
    assert any(p.seq == 3 and "does not follow" in p.problem for p in problems)


async def test_a_cut_tail_is_reported(core: Core) -> None:
    await _write_events(core, 4)
    async with core.db.write() as session:
        await session.execute(delete(AuditEvent).where(AuditEvent.seq == 4))
    problems = (await _verify(core)).problems
    assert [p.problem for p in problems] == ["the newest events were removed"]


async def test_a_rehashed_forgery_breaks_the_link_after_it(core: Core) -> None:
    """Recomputing the hash of an edited row does not help: the next row no longer follows."""
    await _write_events(core, 3)
    async with core.db.write() as session:
        event = (await session.scalars(select(AuditEvent).where(AuditEvent.seq == 1))).one()
        event.actor = "forged"
        event.hash = audit._event_hash(event)
    problems = (await _verify(core)).problems
    assert [(p.seq, p.problem) for p in problems] == [(2, "does not follow the event before it")]
