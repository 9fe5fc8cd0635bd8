"""Units and officers for tests that call the use cases as the console would."""

from __future__ import annotations

from storage import groups, officers, units
from storage.auth import Identity
from storage.core import Core


async def unit_id(core: Core, code: str) -> int:
    """The id of a demo unit."""
    async with core.db.read() as session:
        unit = await units.get_unit_by_code(session, code)
        assert unit is not None
        return unit.id


async def officer_identity(core: Core, username: str, unit_code: str, role: str) -> Identity:
    """A new officer with one role, as the console identifies them."""
    created = await officers.add_officer(
        core.db,
        username=username,
        password="mật khẩu đủ dài 42",
        roles=[role],
        unit_code=unit_code,
    )
    async with core.db.read() as session:
        unit = await units.get_unit_by_code(session, unit_code)
        assert unit is not None
    return Identity(
        officer_id=created.id,
        username=username,
        display_name=username,
        roles=frozenset({role}),
        unit_id=unit.id,
        unit_code=unit.code,
        unit_path=unit.path,
        language="vi",
        totp_enabled=False,
    )


async def approved_group(
    core: Core, officer: Identity, chat_id: int, title: str, unit_code: str
) -> int:
    """A neighbourhood group the bot was added to, approved for a unit."""
    registration = await groups.bot_added(core, chat_id, title)
    await groups.approve(core, officer, registration.group_id, await unit_id(core, unit_code))
    return registration.group_id
