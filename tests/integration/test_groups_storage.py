"""Groups as stored: approval within the officer's jurisdiction, codes, moves, removal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage import groups, outbox
from storage.core import Core
from storage.groups import GroupError
from storage.models import AuditEvent, OutboxMessage
from tests.support.broadcasting import broadcaster
from tests.support.officers import unit_id


async def test_an_officer_approves_only_within_their_unit_and_the_group_is_told(
    core: Core,
) -> None:
    registration = await groups.bot_added(core, -6001, "Tổ tự quản số 2")
    assert registration.status == "pending" and registration.newly_requested
    yen_bai = await broadcaster(core, "quang", "YB")
    with pytest.raises(GroupError):
        await groups.approve(
            core, yen_bai, registration.group_id, await unit_id(core, "LS-THANH-LONG")
        )
    lang_son = await broadcaster(core, "thuy", "LS")
    await groups.approve(
        core, lang_son, registration.group_id, await unit_id(core, "LS-THANH-LONG")
    )
    (notice,) = await outbox.claim_due(core, core.vault.require_relay())
    assert notice.payload.chat_id == -6001
    assert notice.payload.message == "groups.approved"
    assert notice.payload.params == {"place": "xã Thanh Long"}
    async with core.db.read() as session:
        actions = (await session.scalars(select(AuditEvent.action))).all()
        assert (await session.scalars(select(OutboxMessage))).one().kind == "group_notice"
    assert "group.request" in actions and "group.approve" in actions
    # Yên Bái's officer does not even see it listed.
    async with core.db.read() as session:
        assert await groups.list_groups(session, yen_bai, status="approved") == []


async def test_a_code_binds_once_and_only_to_its_unit(core: Core) -> None:
    officer = await broadcaster(core, "thuy", "LS")
    with pytest.raises(GroupError):
        await groups.new_code(core, officer, await unit_id(core, "YB-GIA-HOI"))
    code = await groups.new_code(core, officer, await unit_id(core, "LS-BAO-LAM"))
    assert len(code) == 14 and code.count("-") == 2
    unit = await groups.redeem_code(core, -6002, "Thôn Khuổi Mò", code.replace("-", " "))
    assert unit is not None and unit.code == "LS-BAO-LAM"
    assert await groups.redeem_code(core, -6003, "Nhóm khác", code) is None
    found = await groups.status_of(core, -6002)
    assert found is not None and found.status == "approved" and found.active


async def test_a_group_that_moves_or_drops_the_bot_is_followed(core: Core) -> None:
    officer = await broadcaster(core, "thuy", "LS")
    registration = await groups.bot_added(core, -6004, "Nhóm cũ")
    await groups.approve(core, officer, registration.group_id, await unit_id(core, "LS"))
    await groups.migrated(core, -6004, -1006004)
    await groups.retitle(core, -1006004, "Nhóm mới")
    moved = await groups.status_of(core, -1006004)
    assert moved is not None and moved.title == "Nhóm mới"
    assert await groups.bot_removed(core, -1006004)
    back = await groups.bot_added(core, -1006004, "Nhóm mới")
    assert back.status == "approved" and back.active and not back.newly_requested
