"""A warning to 300 groups and 1,000 residents through the sandbox with flood limits on.

The sandbox enforces Telegram's limits scaled by SCALE (so a send takes seconds, not
minutes) and injects 5xx errors; the worker is given the same scaled budget. Every active
chat must get the warning exactly once, also when the worker is stopped halfway and a new
one takes over; a worker that dies without a word repeats at most what it had in flight.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.delivery import DeliveryWorker, WorkerSettings
from bot.pacing import Pacer
from sandbox.limits import FloodLimits
from sandbox.model import Chat
from sandbox.world import World
from storage import groups, subscriptions, warnings
from storage.broadcast import Progress
from storage.core import Core
from storage.warning_queries import warning_progress
from tests.support.botenv import BotEnv, running_bot
from tests.support.broadcasting import (
    Audience,
    audience,
    bot_messages,
    broadcaster,
    scaled_budget,
)
from tests.support.officers import unit_id

SCALE = 10.0
GROUPS, RESIDENTS = 300, 1000
TITLE = "Giả danh công an gọi điện lừa đảo"
CONCURRENCY = 8
LEASE = 2.0


@dataclass
class Flood:
    """The running bot, the sandbox world and the chats of one test."""

    env: BotEnv
    world: World
    audience: Audience
    pending_group: Chat
    blocked: Chat

    @property
    def size(self) -> int:
        """How many chats a warning to the area is queued for (the blocked one included)."""
        return len(self.audience.groups) + len(self.audience.residents)

    def worker(self, *, scale: float = SCALE) -> DeliveryWorker:
        """A fresh delivery worker on the bot's token (a restarted process would do the same)."""
        budget = scaled_budget(scale)
        settings = WorkerSettings(
            concurrency=CONCURRENCY, lease_seconds=LEASE, idle_seconds=0.1, horizon_seconds=0.5
        )
        return DeliveryWorker(
            self.env.core, self.env.bot.worker.bot, pacer=Pacer(budget), settings=settings
        )


@pytest.fixture
async def flood(core: Core, request: pytest.FixtureRequest) -> AsyncIterator[Flood]:
    """The lead's bot environment with scaled limits, its own worker stopped, chats in bulk."""
    groups_count, residents_count = getattr(request, "param", (GROUPS, RESIDENTS))
    async with running_bot(core, limits=FloodLimits(scale=SCALE)) as env:
        await env.bot.worker.stop()
        world = env.sandbox.world
        chats = await audience(core, world, groups=groups_count, residents=residents_count)
        # A group nobody approved, and a resident who blocked the bot after subscribing.
        pending = world.add_group("Nhóm chưa duyệt", [])
        pending.members[world.default_bot.id] = "member"
        await groups.bot_added(core, pending.id, "Nhóm chưa duyệt")
        blocked = chats.residents[-1]
        blocked.blocked = True
        world.faults.random_failures(0.03, seed=5, methods=["sendMessage"])
        yield Flood(env, world, chats, pending, blocked)
        world.faults.clear()


async def _send_warning(flood: Flood) -> int:
    core = flood.env.core
    officer = await broadcaster(core)
    draft = warnings.WarningDraft(
        title_vi=TITLE,
        body_vi="Đối tượng gọi điện xưng là <b>công an</b>, yêu cầu chuyển tiền. Hãy cảnh giác!",
        category="fraud",
        severity="Severe",
        urgency="Expected",
        unit_ids=[await unit_id(core, "LS")],
    )
    warning_id = await warnings.create(core, officer, draft)
    assert await warnings.send_now(core, officer, warning_id) == flood.size
    return warning_id


async def _progress(core: Core, warning_id: int) -> Progress:
    async with core.db.read() as session:
        return await warning_progress(session, warning_id)


async def _until(core: Core, warning_id: int, *, sent: int, timeout: float = 60.0) -> Progress:
    deadline = time.monotonic() + timeout
    while True:
        found = await _progress(core, warning_id)
        if found.sent + found.failed >= sent or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


def _received(flood: Flood) -> dict[int, int]:
    chats = [*flood.audience.groups, *flood.audience.residents, flood.pending_group]
    return {c.id: sum(TITLE in text for text in bot_messages(flood.world, c)) for c in chats}


async def _expect_everyone_once(flood: Flood, warning_id: int, *, repeats_allowed: int) -> None:
    core = flood.env.core
    final = await _until(core, warning_id, sent=flood.size)
    assert final == Progress(sent=flood.size - 1, failed=1), final
    received = _received(flood)
    active = [c.id for c in (*flood.audience.groups, *flood.audience.residents)]
    active.remove(flood.blocked.id)
    missing = [c for c in active if received[c] == 0]
    repeated = [c for c in active if received[c] > 1]
    assert missing == []
    assert len(repeated) <= repeats_allowed and all(received[c] == 2 for c in repeated)
    assert received[flood.pending_group.id] == 0
    assert received[flood.blocked.id] == 0
    # The resident who blocked the bot is no longer a subscriber that receives anything.
    assert await subscriptions.get(core, flood.blocked.id) is not None
    assert not (await subscriptions.get(core, flood.blocked.id)).active  # type: ignore[union-attr]
    # The worker kept to the limits itself: the sandbox never had to refuse a message.
    assert flood.world.default_bot.flood.total_rejected == 0


async def test_stopped_halfway_and_restarted_every_chat_gets_it_exactly_once(
    flood: Flood,
) -> None:
    warning_id = await _send_warning(flood)
    first = flood.worker()
    first.start()
    halfway = await _until(flood.env.core, warning_id, sent=flood.size // 2)
    await first.stop()
    stopped = await _progress(flood.env.core, warning_id)
    assert halfway.sent > 0 and stopped.pending > 0
    second = flood.worker()
    second.start()
    try:
        await _expect_everyone_once(flood, warning_id, repeats_allowed=0)
    finally:
        await second.stop()
    assert flood.world.faults.injected, "the run should have met some 5xx errors"


async def test_killed_without_warning_repeats_at_most_what_was_in_flight(flood: Flood) -> None:
    warning_id = await _send_warning(flood)
    first = flood.worker()
    first.start()
    await _until(flood.env.core, warning_id, sent=flood.size // 3)
    await first.abort()  # no goodbye: leases stay taken until they run out
    # A killed process's SQLite locks go with it; here the half-closed connection of a
    # cancelled task lingers until the garbage collector finalises it.
    gc.collect()
    second = flood.worker()
    second.start()
    try:
        await _expect_everyone_once(flood, warning_id, repeats_allowed=CONCURRENCY)
    finally:
        await second.stop()


# Each 429 stops all sending for a second: a smaller audience keeps this test short.
@pytest.mark.parametrize("flood", [(100, 200)], indirect=True)
async def test_429s_are_honoured_and_nothing_is_lost(flood: Flood) -> None:
    # Telegram allows 4× its real rates here; the worker is told 2.5 times that: 429s come.
    flood.world.default_bot.flood.reset(FloodLimits(scale=4))
    warning_id = await _send_warning(flood)
    worker = flood.worker(scale=10)
    worker.start()
    try:
        final = await _until(flood.env.core, warning_id, sent=flood.size)
    finally:
        await worker.stop()
    calls = list(flood.world.api_calls)
    refusals = [c for c in calls if c.method == "sendmessage" and c.status == 429]
    assert refusals, "the sandbox should have refused some messages"
    for refusal in refusals:
        # Retry-After is at least one second; only messages already in flight may land.
        window = [
            c
            for c in calls
            if c.method == "sendmessage" and c.status == 200 and refusal.at < c.at < refusal.at + 1
        ]
        assert len(window) <= CONCURRENCY + 1, (refusal, len(window))
    assert final == Progress(sent=flood.size - 1, failed=1), final
    received = _received(flood)
    active = [c.id for c in (*flood.audience.groups, *flood.audience.residents)]
    active.remove(flood.blocked.id)
    assert {c: n for c in active if (n := received[c]) != 1} == {}
