"""Set-up shared by the forum tests: moderators, an open session, a stand-in renderer."""

from __future__ import annotations

import datetime as dt

from storage import forum
from storage.auth import Identity
from storage.core import Core
from storage.forum_answers import Published
from storage.models import utcnow
from tests.support.officers import officer_identity, unit_id

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


async def moderator(core: Core, username: str, unit_code: str) -> Identity:
    """A moderator account of a unit, as the console would identify them."""
    return await officer_identity(core, username, unit_code, "moderator")


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
