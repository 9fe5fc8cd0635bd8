"""Broadcast queueing and the delivery rows' life, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from storage import deliveries, groups, rotation, subscriptions
from storage.broadcast import (
    BroadcastError,
    Progress,
    groups_of_unit,
    progress,
    queue_broadcast,
)
from storage.core import Core
from storage.crypto import KeyPair, KeyRing
from storage.models import Delivery, Subscriber
from tests.support.broadcasting import broadcaster
from tests.support.officers import approved_group, unit_id

LEASE = dt.timedelta(seconds=30)
TEXT = {"vi": "<b>Cảnh báo</b> lừa đảo qua mạng", "en": "<b>Warning</b>: online scams"}


async def _queue(core: Core, unit_code: str = "LS", **kwargs: object) -> int:
    async with core.db.write() as session:
        return await queue_broadcast(
            session,
            core,
            kind="test",
            source_id="1",
            unit_ids=[await unit_id(core, unit_code)],
            texts=dict(TEXT),
            **kwargs,  # type: ignore[arg-type]
        )


async def test_a_province_broadcast_reaches_its_approved_groups_and_subscribers(
    core: Core,
) -> None:
    officer = await broadcaster(core)
    await approved_group(core, officer, -1001, "Tổ dân phố 1", "LS-THANH-LONG")
    await approved_group(core, officer, -1002, "Thôn Nà Tàn", "LS-BAO-LAM")
    await groups.bot_added(core, -1003, "Nhóm chưa duyệt")
    yen_bai = await broadcaster(core, "yenbai", "YB")
    await approved_group(core, yen_bai, -1004, "Nhóm Yên Bái", "YB-GIA-HOI")
    await subscriptions.subscribe(
        core, 501, 501, unit_ids=[await unit_id(core, "LS-THANH-LONG")], language="en"
    )
    await subscriptions.subscribe(
        core, 502, 502, unit_ids=[await unit_id(core, "LS-BAO-LAM")], categories=["drugs"]
    )
    await subscriptions.subscribe(core, 503, 503, unit_ids=[await unit_id(core, "YB-GIA-HOI")])

    assert await _queue(core, category="fraud") == 3  # two groups, one subscriber

    jobs = await deliveries.claim(core, core.vault.require_relay(), limit=10, lease=LEASE)
    assert sorted(j.chat_id for j in jobs) == [-1002, -1001, 501]
    assert {j.chat_id: j.language for j in jobs}[501] == "en"


async def test_group_ids_narrow_a_broadcast_and_pickers_list_active_groups(core: Core) -> None:
    officer = await broadcaster(core)
    first = await approved_group(core, officer, -2001, "Tổ 1", "LS-THANH-LONG")
    await approved_group(core, officer, -2002, "Tổ 2", "LS-THANH-LONG")
    await groups.bot_removed(core, -2002)
    async with core.db.read() as session:
        listed = await groups_of_unit(session, await unit_id(core, "LS"))
    assert [g.title for g in listed] == ["Tổ 1"]
    assert await _queue(core, group_ids=[first], subscribers=False) == 1


async def test_text_that_telegram_refuses_is_refused_before_queueing(core: Core) -> None:
    with pytest.raises(BroadcastError, match="unescaped"):
        async with core.db.write() as session:
            await queue_broadcast(
                session, core, kind="test", source_id="2", unit_ids=[1], texts={"vi": "a < b"}
            )


async def test_the_subscribers_chat_id_is_sealed_and_rotates(core: Core) -> None:
    await subscriptions.subscribe(core, 7_700_001, 7_700_001, unit_ids=[1])
    async with core.db.read() as session:
        row = (await session.scalars(select(Subscriber))).one()
    assert b"7700001" not in row.chat_sealed
    assert b"7700001" not in row.resident_key
    assert subscriptions.open_chat_id(core.vault.require_relay(), row) == 7_700_001
    assert any(c.model is Subscriber for c in rotation.SEALED_COLUMNS)


async def test_sent_failed_and_blocked_rows_are_counted(core: Core) -> None:
    officer = await broadcaster(core)
    await approved_group(core, officer, -3001, "Tổ 3", "LS-THANH-LONG")
    await subscriptions.subscribe(core, 601, 601, unit_ids=[await unit_id(core, "LS-BAO-LAM")])
    await _queue(core)
    group_job, private_job = sorted(
        await deliveries.claim(core, core.vault.require_relay(), limit=10, lease=LEASE),
        key=lambda j: j.chat_id,
    )
    await deliveries.settle(
        core,
        [
            deliveries.Outcome(group_job, "sent", message_id=11),
            deliveries.Outcome(private_job, "gone", error="forbidden: bot was blocked"),
        ],
    )
    async with core.db.read() as session:
        assert await progress(session, "test", "1") == Progress(sent=1, failed=1)
    # The blocked resident is inactive: the next broadcast does not even queue for them.
    assert await _queue(core) == 1
    assert (await subscriptions.get(core, 601)) is not None
    assert not (await subscriptions.get(core, 601)).active  # type: ignore[union-attr]


async def test_a_lease_that_runs_out_gives_the_row_to_another_worker(core: Core) -> None:
    await subscriptions.subscribe(core, 701, 701, unit_ids=[1])
    await _queue(core)
    ring = core.vault.require_relay()
    (job,) = await deliveries.claim(core, ring, limit=10, lease=dt.timedelta(seconds=-1))
    (again,) = await deliveries.claim(core, ring, limit=10, lease=LEASE)
    assert again.id == job.id
    assert await deliveries.claim(core, ring, limit=10, lease=LEASE) == []


async def test_network_errors_back_off_and_flood_waits_do_not_count(core: Core) -> None:
    await subscriptions.subscribe(core, 801, 801, unit_ids=[1])
    await _queue(core)
    ring = core.vault.require_relay()
    (job,) = await deliveries.claim(core, ring, limit=10, lease=LEASE)
    await deliveries.settle(core, [deliveries.Outcome(job, "retry", error="network: 502")])
    async with core.db.read() as session:
        row = (await session.scalars(select(Delivery))).one()
    assert row.state == "pending" and row.attempts == 1
    assert row.due_at > dt.datetime.now(dt.UTC)
    assert await deliveries.claim(core, ring, limit=10, lease=LEASE) == []


async def test_quiet_hours_hold_normal_warnings_but_not_urgent_ones(core: Core) -> None:
    # Quiet all day except the hour that never comes: 0–23 covers every hour but 23.
    await subscriptions.subscribe(core, 901, 901, unit_ids=[1], quiet_start=0, quiet_end=23)
    await subscriptions.subscribe(core, 902, 902, unit_ids=[1], quiet_start=23, quiet_end=22)
    await _queue(core)
    async with core.db.read() as session:
        dues = sorted(r.due_at for r in (await session.scalars(select(Delivery))).all())
    now = dt.datetime.now(dt.UTC)
    assert any(d > now for d in dues)
    async with core.db.write() as session:
        await queue_broadcast(
            session, core, kind="test", source_id="3", unit_ids=[1], texts=TEXT, urgent=True
        )
    async with core.db.read() as session:
        urgent = (await session.scalars(select(Delivery).where(Delivery.priority == 0))).all()
    assert len(urgent) == 2 and all(r.due_at <= dt.datetime.now(dt.UTC) for r in urgent)


async def test_unsubscribing_forgets_the_chat_and_skips_what_was_queued(core: Core) -> None:
    await subscriptions.subscribe(core, 1001, 1001, unit_ids=[1])
    await _queue(core)
    assert await subscriptions.unsubscribe(core, 1001)
    assert await subscriptions.get(core, 1001) is None
    assert await deliveries.claim(core, core.vault.require_relay(), limit=10, lease=LEASE) == []
    async with core.db.read() as session:
        assert (await progress(session, "test", "1")).skipped == 1


async def test_key_rotation_reseals_subscribers_and_delivery_still_finds_them(
    core: Core,
) -> None:
    await subscriptions.subscribe(core, 1101, 1101, unit_ids=[1])
    await _queue(core)
    fresh = KeyPair.generate()
    assert await rotation.reseal_all(core.db, "relay", core.vault.require_relay(), fresh.public)
    ring = KeyRing([fresh], fresh.key_id)
    (job,) = await deliveries.claim(core, ring, limit=10, lease=LEASE)
    assert job.chat_id == 1101


async def test_message_ids_are_kept_for_groups_only(core: Core) -> None:
    """In a private chat the message id counts what was exchanged with the bot (a tip?)."""
    from sqlalchemy import select

    from storage.models.delivery import Delivery

    officer = await broadcaster(core)
    await approved_group(core, officer, -3002, "Tổ 4", "LS-THANH-LONG")
    await subscriptions.subscribe(core, 602, 602, unit_ids=[await unit_id(core, "LS-BAO-LAM")])
    await _queue(core)
    jobs = await deliveries.claim(core, core.vault.require_relay(), limit=10, lease=LEASE)
    await deliveries.settle(
        core, [deliveries.Outcome(job, "sent", message_id=70 + i) for i, job in enumerate(jobs)]
    )
    async with core.db.read() as session:
        rows = (await session.scalars(select(Delivery))).all()
    kept = {row.group_id is not None: row.telegram_message_id for row in rows}
    assert kept[False] is None
    assert kept[True] is not None
