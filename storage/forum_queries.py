"""What the moderators' pages read about forum sessions: the list with its queue sizes,
the choices of the new-session form, how far an announcement has gone, group titles."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from storage.broadcast import Progress, groups_of_unit, progress
from storage.core import Core
from storage.forum import Moderator, SessionInfo, load_session, session_info
from storage.models import ChatGroup, ForumQuestion, ForumSession, Unit


@dataclass(frozen=True)
class SessionRow:
    """A line of the moderators' session list."""

    info: SessionInfo
    pending: int
    awaiting_answer: int
    answered: int
    reported: int


async def list_sessions(core: Core, moderator: Moderator) -> list[SessionRow]:
    """The sessions of the moderator's units, newest first, with their queue sizes."""
    async with core.db.read() as session:
        rows = (
            await session.execute(
                select(ForumSession, Unit)
                .join(Unit, Unit.id == ForumSession.unit_id)
                .where(Unit.path.startswith(moderator.unit_path, autoescape=True))
                .order_by(ForumSession.opens_at.desc(), ForumSession.id.desc())
            )
        ).all()
        ids = [row.id for row, _unit in rows]
        counts: Counter[tuple[int, str]] = Counter()
        reported: Counter[int] = Counter()
        if ids:
            found = await session.execute(
                select(ForumQuestion.session_id, ForumQuestion.status, func.count())
                .where(ForumQuestion.session_id.in_(ids))
                .group_by(ForumQuestion.session_id, ForumQuestion.status)
            )
            for sid, status, number in found.all():
                counts[(sid, status)] = int(number)
            flagged = await session.execute(
                select(ForumQuestion.session_id, func.count())
                .where(
                    ForumQuestion.session_id.in_(ids),
                    ForumQuestion.report_count > ForumQuestion.reports_reviewed,
                )
                .group_by(ForumQuestion.session_id)
            )
            for sid, number in flagged.all():
                reported[sid] = int(number)
        return [
            SessionRow(
                info=session_info(row, unit),
                pending=counts[(row.id, "pending")],
                awaiting_answer=counts[(row.id, "approved")],
                answered=counts[(row.id, "answered")],
                reported=reported[row.id],
            )
            for row, unit in rows
        ]


@dataclass(frozen=True)
class Choices:
    """What the session form offers: the moderator's units and their approved groups."""

    units: list[Unit]
    groups: list[tuple[ChatGroup, Unit]]


async def choices(core: Core, moderator: Moderator) -> Choices:
    """Units a moderator may hold a session for, and the groups that can receive answers."""
    async with core.db.read() as session:
        found = await session.scalars(
            select(Unit)
            .where(
                Unit.path.startswith(moderator.unit_path, autoescape=True), Unit.active.is_(True)
            )
            .order_by(Unit.path)
        )
        within = list(found.all())
        by_id = {unit.id: unit for unit in within}
        top = next((u for u in within if u.path == moderator.unit_path), None)
        groups = await groups_of_unit(session, top.id) if top is not None else []
        return Choices(
            units=within,
            groups=[(g, by_id[g.unit_id]) for g in groups if g.unit_id in by_id],
        )


async def default_groups(core: Core, unit_id: int) -> list[int]:
    """Every approved group of a unit's area: where answers go unless the moderator chose."""
    async with core.db.read() as session:
        return [group.id for group in await groups_of_unit(session, unit_id)]


async def announcement_progress(core: Core, moderator: Moderator, session_id: int) -> Progress:
    """How far the opening announcement has gone."""
    async with core.db.read() as session:
        row, _unit = await load_session(session, moderator, session_id)
        return await progress(session, "forum", f"session:{row.id}")


async def group_titles(core: Core, group_ids: Sequence[int]) -> list[str]:
    """Titles of the groups a session publishes to."""
    if not group_ids:
        return []
    async with core.db.read() as session:
        found = await session.scalars(
            select(ChatGroup.title)
            .where(ChatGroup.id.in_(list(group_ids)))
            .order_by(ChatGroup.title)
        )
        return list(found.all())
