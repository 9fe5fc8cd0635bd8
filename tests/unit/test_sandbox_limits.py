"""Flood limits of the sandbox, with a fake clock: what a delivery worker runs into."""

import pytest

from sandbox.limits import FloodControl, FloodLimits, TooManyRequests


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_private_chat_allows_a_short_burst_then_one_per_second() -> None:
    clock = Clock()
    flood = FloodControl(FloodLimits(), clock)
    for _ in range(3):
        flood.acquire(42, is_group=False)
    with pytest.raises(TooManyRequests) as refused:
        flood.acquire(42, is_group=False)
    assert refused.value.retry_after == 1
    clock.now += 1.0
    flood.acquire(42, is_group=False)
    assert flood.accepted(42) == [1000.0, 1000.0, 1000.0, 1001.0]
    assert flood.rejected(42) == 1
    flood.acquire(43, is_group=False)  # another chat is not affected


def test_group_gets_twenty_a_minute_and_a_long_retry_after() -> None:
    clock = Clock()
    flood = FloodControl(FloodLimits(), clock)
    for _ in range(20):
        flood.acquire(-100, is_group=True)
    with pytest.raises(TooManyRequests) as refused:
        flood.acquire(-100, is_group=True)
    assert refused.value.retry_after == 3  # one more token every 60/20 seconds


def test_overall_limit_spans_chats() -> None:
    clock = Clock()
    flood = FloodControl(FloodLimits(private_burst=100, private_per_second=100), clock)
    for chat_id in range(30):
        flood.acquire(chat_id, is_group=False)
    with pytest.raises(TooManyRequests):
        flood.acquire(999, is_group=False)
    assert flood.total_accepted == 30
    assert flood.max_in_window(None, 1.0) == 30


def test_scale_speeds_every_rate_up_but_retry_after_stays_whole_seconds() -> None:
    clock = Clock()
    flood = FloodControl(FloodLimits(scale=60.0), clock)
    for _ in range(20):
        flood.acquire(-7, is_group=True)
    with pytest.raises(TooManyRequests) as refused:
        flood.acquire(-7, is_group=True)
    assert refused.value.retry_after == 1
    clock.now += 0.05  # 20/min scaled by 60 is 20/s
    flood.acquire(-7, is_group=True)


def test_counting_without_enforcing() -> None:
    flood = FloodControl(None, Clock())
    for _ in range(50):
        flood.acquire(5, is_group=False)
    assert len(flood.accepted(5)) == 50
    assert flood.rejected(5) == 0
