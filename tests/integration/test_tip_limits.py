"""Per-resident limits on tips and receipt guesses, counted under rotating pseudonyms."""

from __future__ import annotations

import dataclasses
import struct

import pytest
from sqlalchemy import select

from storage import tips
from storage.core import Core
from storage.models import RateCounter

USER = 5550001234
OTHER = 5550004321
NOON = 1_776_000_000.0 - 1_776_000_000.0 % 86400 + 12 * 3600  # a day's noon, UTC


def _with_limits(core: Core, **limits: int) -> Core:
    changed = dataclasses.replace(core.settings.limits, **limits)
    return dataclasses.replace(core, settings=dataclasses.replace(core.settings, limits=changed))


async def test_hourly_limit_refuses_then_the_next_hour_allows(core: Core) -> None:
    core = _with_limits(core, tips_per_hour=2, tips_per_day=10)
    assert await tips.claim_submission(core, USER, now=NOON) is None
    assert await tips.claim_submission(core, USER, now=NOON + 60) is None
    refused = await tips.claim_submission(core, USER, now=NOON + 120)
    assert refused == tips.Refusal(limit=2, window_seconds=3600, retry_after_seconds=3600 - 120 + 1)
    # Refused attempts are not counted: the next hour has the full allowance again.
    assert await tips.claim_submission(core, USER, now=NOON + 3600) is None
    assert await tips.claim_submission(core, USER, now=NOON + 3660) is None
    # Someone else was never affected.
    assert await tips.claim_submission(core, OTHER, now=NOON + 120) is None


async def test_daily_limit_spans_the_hours(core: Core) -> None:
    core = _with_limits(core, tips_per_hour=5, tips_per_day=3)
    for hour in range(3):
        assert await tips.claim_submission(core, USER, now=NOON + hour * 3600) is None
    refused = await tips.claim_submission(core, USER, now=NOON + 3 * 3600)
    assert refused is not None and refused.window_seconds == 86400 and refused.limit == 3
    assert await tips.claim_submission(core, USER, now=NOON + 86400) is None


async def test_receipt_attempts_are_throttled_per_resident(core: Core) -> None:
    core = _with_limits(core, receipt_attempts_per_hour=3)
    results = [await tips.claim_receipt_attempt(core, USER, now=NOON + i) for i in range(4)]
    assert results[:3] == [None, None, None]
    assert results[3] is not None and results[3].retry_after_seconds == 3600 - 3 + 1
    assert await tips.claim_receipt_attempt(core, OTHER, now=NOON) is None
    assert await tips.claim_receipt_attempt(core, USER, now=NOON + 3600) is None


@pytest.mark.parametrize("action", ["submission", "receipt"])
async def test_counters_never_hold_the_user_id(core: Core, action: str) -> None:
    if action == "submission":
        await tips.claim_submission(core, USER, now=NOON)
    else:
        await tips.claim_receipt_attempt(core, USER, now=NOON)
    async with core.db.read() as session:
        rows = (await session.scalars(select(RateCounter))).all()
    assert rows
    for row in rows:
        for packed in (str(USER).encode(), struct.pack(">q", USER), struct.pack("<q", USER)):
            assert packed not in row.pseudonym
    # A new window gives a new, unlinkable key.
    await tips.claim_receipt_attempt(core, USER, now=NOON + 2 * 86400)
    async with core.db.read() as session:
        keys = {row.pseudonym for row in (await session.scalars(select(RateCounter))).all()}
    assert len(keys) == len(rows) + 1


async def test_submission_counts_in_its_own_transaction_and_refuses_over_the_limit(
    core: Core,
) -> None:
    core = _with_limits(core, tips_per_hour=1)
    content = tips.TipContent(text="Có người buôn bán ma tuý ở đầu ngõ.")
    first = await tips.submit_tip(core, category="drugs", content=content, resident=USER)
    with pytest.raises(tips.OverLimit) as over:
        await tips.submit_tip(core, category="drugs", content=content, resident=USER)
    assert over.value.refusal.limit == 1 and over.value.refusal.window_seconds == 3600
    await tips.submit_tip(core, category="drugs", content=content, resident=OTHER)
    async with core.db.read() as session:
        refs = (await session.scalars(select(tips.Tip.ref))).all()
    assert first.ref in refs and len(refs) == 2  # the refused one left nothing behind


async def test_an_early_look_at_the_limit_counts_nothing(core: Core) -> None:
    core = _with_limits(core, tips_per_hour=1)
    assert await tips.submission_refusal(core, USER, now=NOON) is None
    assert await tips.submission_refusal(core, USER, now=NOON) is None  # still nothing counted
    assert await tips.claim_submission(core, USER, now=NOON) is None
    refusal = await tips.submission_refusal(core, USER, now=NOON + 60)
    assert refusal is not None and refusal.limit == 1
