"""The shared flood budget: even spacing overall, 1/s per chat, 20 per minute per group."""

from __future__ import annotations

from bot.pacing import FloodBudget, Pacer


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _send_all(pacer: Pacer, clock: Clock, chats: list[int]) -> list[float]:
    """Send one message to each chat in turn as early as the pacer allows; the send times."""
    times = []
    for chat in chats:
        clock.now = max(clock.now, pacer.overall_ready_at(), pacer.chat_ready_at(chat))
        pacer.take(chat)
        times.append(clock.now)
    return times


def test_the_bot_wide_rate_is_even_after_a_small_burst() -> None:
    clock = Clock()
    pacer = Pacer(FloodBudget(overall_per_second=30, overall_burst=3), clock=clock)
    times = _send_all(pacer, clock, list(range(1, 301)))
    assert times[2] == times[0]  # the burst
    assert abs((times[-1] - times[0]) - 297 / 30) < 1e-6  # then exactly 30 a second


def test_a_private_chat_gets_about_one_message_a_second() -> None:
    clock = Clock()
    pacer = Pacer(FloodBudget(private_per_second=1, private_burst=2), clock=clock)
    times = _send_all(pacer, clock, [7] * 5)
    assert [round(t - times[0], 3) for t in times] == [0, 0, 1, 2, 3]


def test_a_group_never_gets_more_than_20_in_a_minute() -> None:
    clock = Clock()
    pacer = Pacer(FloodBudget(), clock=clock)
    times = _send_all(pacer, clock, [-100] * 45)
    for start in times:
        assert sum(start <= t < start + 60 for t in times) <= 20
    assert times[19] - times[0] < 20  # replies in a group come without minutes of delay
    assert 60 <= times[20] - times[0] <= 61


def test_retry_after_holds_the_chat_and_everyone() -> None:
    clock = Clock()
    pacer = Pacer(FloodBudget(), clock=clock)
    pacer.hold_chat(5, 7)
    pacer.hold_all(3)
    assert pacer.chat_ready_at(5) == clock.now + 7
    assert pacer.overall_ready_at() == clock.now + 3
    assert pacer.chat_ready_at(6) <= clock.now
