"""Set-up shared by the forum tests: moderators, approved groups, an open session."""

from __future__ import annotations

import datetime as dt

from storage import forum, groups, officers, units
from storage.auth import Identity
from storage.core import Core
from storage.forum_answers import Published
from storage.models import utcnow

ANNOUNCEMENT = {
    "vi": "<b>Diễn đàn “Công an lắng nghe ý kiến Nhân dân”</b> đã mở.",
    "en": "<b>The forum “Police listen to the People”</b> is open.",
}


def render(published: Published) -> dict[str, str]:
    """A plain stand-in for the console's rendering of an answer for the groups."""
    return {
        "vi": f"Hỏi: {published.question}\nĐáp: {published.answer}",
        "en": f"Q: {published.question}\nA: {published.answer}",
    }


async def unit_id(core: Core, code: str) -> int:
    """The id of a demo unit."""
    async with core.db.read() as session:
        unit = await units.get_unit_by_code(session, code)
        assert unit is not None
        return unit.id


async def moderator(core: Core, username: str, unit_code: str) -> Identity:
    """A moderator account of a unit, as the console would identify them."""
    created = await officers.add_officer(
        core.db,
        username=username,
        password="mật khẩu đủ dài 42",
        roles=["moderator"],
        unit_code=unit_code,
    )
    async with core.db.read() as session:
        unit = await units.get_unit_by_code(session, unit_code)
        assert unit is not None
        return Identity(
            officer_id=created.id,
            username=username,
            display_name=username,
            roles=frozenset({"moderator"}),
            unit_id=unit.id,
            unit_code=unit.code,
            unit_path=unit.path,
            language="vi",
            totp_enabled=False,
        )


async def approved_group(
    core: Core, officer: Identity, *, chat_id: int, title: str, unit_code: str
) -> int:
    """A neighbourhood group the bot is in, approved for a unit."""
    registration = await groups.bot_added(core, chat_id, title)
    await groups.approve(core, officer, registration.group_id, await unit_id(core, unit_code))
    return registration.group_id


async def open_session(
    core: Core,
    officer: Identity,
    *,
    unit_code: str = "LS-THANH-LONG",
    group_ids: list[int] | None = None,
    title: str = "Diễn đàn “Công an lắng nghe ý kiến Nhân dân” xã Thanh Long",
) -> int:
    """A session that is open now and closes in a week."""
    now = utcnow()
    session_id = await forum.create_session(
        core,
        officer,
        unit_id=await unit_id(core, unit_code),
        title=title,
        description="Nhân dân nêu ý kiến, kiến nghị về an ninh trật tự ở địa phương.",
        opens_at=now - dt.timedelta(minutes=5),
        closes_at=now + dt.timedelta(days=7),
        group_ids=group_ids or [],
    )
    await forum.open_session(core, officer, session_id, announcement=ANNOUNCEMENT)
    return session_id
