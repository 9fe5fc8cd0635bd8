"""What waits for an officer, per role, for the console's start page: counts only, never
content, each within the officer's jurisdiction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.auth import Identity
from storage.core import Core
from storage.forum_moderation import REPORTED, count_within
from storage.groups import count_pending
from storage.models import CrimeWarning, ForumQuestion
from storage.triage.queue import open_counts
from storage.warning_queries import issued_within


@dataclass(frozen=True)
class Waiting:
    """The figures of the start page; None where the officer's roles do not reach."""

    new_tips: int | None = None
    overdue_tips: int | None = None
    open_tips: int | None = None
    pending_questions: int | None = None
    reported_questions: int | None = None
    pending_groups: int | None = None
    sending_warnings: int | None = None
    scheduled_warnings: int | None = None


async def _questions(session: AsyncSession, identity: Identity) -> tuple[int, int]:
    """Questions waiting for a moderator, and questions reported since one last looked."""
    within = count_within(identity)
    pending = await session.scalar(within.where(ForumQuestion.status == "pending"))
    reported = await session.scalar(within.where(REPORTED))
    return int(pending or 0), int(reported or 0)


async def _warnings(session: AsyncSession, identity: Identity) -> dict[str, int]:
    """Warnings of the officer's units being sent now or waiting for their time."""
    rows = await session.execute(
        select(CrimeWarning.status, func.count())
        .where(issued_within(identity), CrimeWarning.status.in_(("sending", "scheduled")))
        .group_by(CrimeWarning.status)
    )
    return {status: int(n) for status, n in rows.all()}


async def waiting(core: Core, identity: Identity) -> Waiting:
    """The figures the officer's roles give access to."""
    roles = identity.roles
    figures: dict[str, int] = {}
    async with core.db.read() as session:
        if "triage" in roles:
            tips = await open_counts(session, identity)
            figures |= {
                "new_tips": tips["new"],
                "overdue_tips": tips["overdue"],
                "open_tips": tips["open"],
            }
        if "moderator" in roles:
            pending, reported = await _questions(session, identity)
            figures |= {"pending_questions": pending, "reported_questions": reported}
        if "broadcaster" in roles:
            sending = await _warnings(session, identity)
            figures |= {
                "pending_groups": await count_pending(session),
                "sending_warnings": sending.get("sending", 0),
                "scheduled_warnings": sending.get("scheduled", 0),
            }
    return Waiting(**figures)
