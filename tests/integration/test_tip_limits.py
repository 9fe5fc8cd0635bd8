"""Per-resident limits on tips, receipt guesses and follow-ups, counted in memory only."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from storage import tip_limits, tips
from storage.core import Core
from storage.models import Attachment, Tip, Unit

USER = 5550001234
OTHER = 5550004321
NOON = 1_776_000_000.0 - 1_776_000_000.0 % 86400 + 12 * 3600  # a day's noon, UTC
CONTENT = tips.TipContent(text="Có người buôn bán ma tuý ở đầu ngõ.")


def _with_limits(core: Core, **limits: int) -> Core:
    changed = dataclasses.replace(core.settings.limits, **limits)
    return dataclasses.replace(core, settings=dataclasses.replace(core.settings, limits=changed))


def _photo(number: int) -> tips.NewAttachment:
    return tips.NewAttachment("photo", "image/jpeg", f"photo-{number}.jpg", b"\xff\xd8 jpeg")


async def test_hourly_limit_refuses_then_the_next_hour_allows(core: Core) -> None:
    core = _with_limits(core, tips_per_hour=2, tips_per_day=10)
    assert tip_limits.claim_submission(core, USER, now=NOON) is None
    assert tip_limits.claim_submission(core, USER, now=NOON + 60) is None
    refused = tip_limits.claim_submission(core, USER, now=NOON + 120)
    assert refused == tip_limits.Refusal(
        limit=2, window_seconds=3600, retry_after_seconds=3600 - 120 + 1
    )
    # Refused attempts are not counted: the next hour has the full allowance again.
    assert tip_limits.claim_submission(core, USER, now=NOON + 3600) is None
    assert tip_limits.claim_submission(core, USER, now=NOON + 3660) is None
    # Someone else was never affected.
    assert tip_limits.claim_submission(core, OTHER, now=NOON + 3700) is None


async def test_daily_limit_spans_the_hours(core: Core) -> None:
    core = _with_limits(core, tips_per_hour=5, tips_per_day=3)
    for hour in range(3):
        assert tip_limits.claim_submission(core, USER, now=NOON + hour * 3600) is None
    refused = tip_limits.claim_submission(core, USER, now=NOON + 3 * 3600)
    assert refused is not None and refused.window_seconds == 86400 and refused.limit == 3
    assert tip_limits.claim_submission(core, USER, now=NOON + 86400) is None


async def test_receipt_attempts_are_throttled_per_resident(core: Core) -> None:
    core = _with_limits(core, receipt_attempts_per_hour=3)
    results = [tip_limits.claim_receipt_attempt(core, USER, now=NOON + i) for i in range(4)]
    assert results[:3] == [None, None, None]
    assert results[3] is not None and results[3].retry_after_seconds == 3600 - 3 + 1
    assert tip_limits.claim_receipt_attempt(core, OTHER, now=NOON + 4) is None
    assert tip_limits.claim_receipt_attempt(core, USER, now=NOON + 3600) is None


async def test_submission_over_the_limit_stores_nothing(core: Core) -> None:
    core = _with_limits(core, tips_per_hour=1)
    first = await tips.submit_tip(core, category="drugs", content=CONTENT, resident=USER)
    with pytest.raises(tip_limits.OverLimit) as over:
        await tips.submit_tip(core, category="drugs", content=CONTENT, resident=USER)
    assert over.value.refusal.limit == 1 and over.value.refusal.window_seconds == 3600
    await tips.submit_tip(core, category="drugs", content=CONTENT, resident=OTHER)
    async with core.db.read() as session:
        refs = (await session.scalars(select(Tip.ref))).all()
    assert first.ref in refs and len(refs) == 2  # the refused one left nothing behind


async def test_a_tip_that_fails_to_store_is_not_counted(core: Core) -> None:
    core = _with_limits(core, tips_per_hour=1)
    broken = dataclasses.replace(CONTENT, place_unit_id=None)
    async with core.db.write() as session:  # no police unit at all: storing must fail
        for tip_unit in (await session.scalars(select(Unit))).all():
            tip_unit.active = False
    with pytest.raises(tips.TipError):
        await tips.submit_tip(core, category="drugs", content=broken, resident=USER)
    assert tip_limits.submission_refusal(core, USER) is None


async def test_an_early_look_at_the_limit_counts_nothing(core: Core) -> None:
    core = _with_limits(core, tips_per_hour=1)
    assert tip_limits.submission_refusal(core, USER, now=NOON) is None
    assert tip_limits.submission_refusal(core, USER, now=NOON) is None  # still nothing counted
    assert tip_limits.claim_submission(core, USER, now=NOON) is None
    refusal = tip_limits.submission_refusal(core, USER, now=NOON + 60)
    assert refusal is not None and refusal.limit == 1


async def test_limits_live_in_the_bot_process_and_a_restart_forgets_them(core: Core) -> None:
    core = _with_limits(core, tips_per_hour=1)
    await tips.submit_tip(core, category="drugs", content=CONTENT, resident=USER)
    assert tip_limits.submission_refusal(core, USER) is not None
    restarted = Core(db=core.db, vault=core.vault, settings=core.settings)
    assert tip_limits.submission_refusal(restarted, USER) is None


async def test_follow_ups_are_limited_per_hour(core: Core) -> None:
    core = _with_limits(core, follow_ups_per_hour=2)
    submitted = await tips.submit_tip(core, category="drugs", content=CONTENT)
    access = await tips.unlock_with_receipt(core, submitted.receipt)
    assert access is not None
    for text in ("Thêm: xe máy biển 29A", "Thêm: thường lúc 22 giờ"):
        await tips.add_follow_up(core, access, text, resident=USER)
    assert tip_limits.follow_up_refusal(core, USER) is not None
    with pytest.raises(tip_limits.OverLimit):
        await tips.add_follow_up(core, access, "Thêm lần ba", resident=USER)
    view = await tips.tipster_view(core, access)
    assert view is not None and sum(e.direction == "tipster" for e in view.thread) == 2


async def test_files_added_later_respect_the_per_tip_cap(core: Core) -> None:
    core = _with_limits(core, attachments_per_tip=3)
    submitted = await tips.submit_tip(
        core, category="drugs", content=CONTENT, attachments=[_photo(1), _photo(2)]
    )
    access = await tips.unlock_with_receipt(core, submitted.receipt)
    assert access is not None
    await tips.add_follow_up(core, access, "", [_photo(3)], resident=USER)
    with pytest.raises(tips.TooManyFiles):
        await tips.add_follow_up(core, access, "", [_photo(4)], resident=USER)
    view = await tips.tipster_view(core, access)
    assert view is not None and view.attachments == 3
    async with core.db.read() as session:
        stored = (await session.scalars(select(Attachment))).all()
    assert len(stored) == 3
    # The refused file did not use up a follow-up either.
    assert core.limits.peek(USER, "follow_up", window_seconds=3600) == 1
