"""Per-resident limits in memory: counted right, all or nothing, and forgotten per window."""

from __future__ import annotations

from storage.limits import ResidentLimits, Rule

USER, OTHER = 5550001234, 5550004321
NOON = 1_776_000_000.0 - 1_776_000_000.0 % 86400 + 12 * 3600


def test_counts_up_to_the_limit_per_resident_and_window() -> None:
    limits = ResidentLimits()
    taken = [limits.take(USER, "tip", limit=3, window_seconds=3600, now=NOON) for _ in range(5)]
    assert taken == [True, True, True, False, False]
    assert limits.peek(USER, "tip", window_seconds=3600, now=NOON) == 3  # refusals not counted
    assert limits.take(OTHER, "tip", limit=3, window_seconds=3600, now=NOON)
    assert limits.take(USER, "receipt", limit=3, window_seconds=3600, now=NOON)
    assert limits.take(USER, "tip", limit=3, window_seconds=3600, now=NOON + 3600)


def test_take_all_counts_nothing_when_one_limit_refuses() -> None:
    limits = ResidentLimits()
    rules = [Rule("tip.day", 2, 86400), Rule("tip.hour", 1, 3600)]
    assert limits.take_all(USER, rules, now=NOON) is None
    assert limits.take_all(USER, rules, now=NOON + 60) == Rule("tip.hour", 1, 3600)
    assert limits.peek(USER, "tip.day", window_seconds=86400, now=NOON + 60) == 1
    assert limits.take_all(USER, rules, now=NOON + 3600) is None
    assert limits.take_all(USER, rules, now=NOON + 7200) == Rule("tip.day", 2, 86400)
    assert limits.peek(USER, "tip.hour", window_seconds=3600, now=NOON + 7200) == 0


def test_a_refund_gives_the_use_back() -> None:
    limits = ResidentLimits()
    rules = [Rule("tip.hour", 1, 3600)]
    assert limits.take_all(USER, rules, now=NOON) is None
    limits.refund(USER, rules, now=NOON)
    assert limits.peek(USER, "tip.hour", window_seconds=3600, now=NOON) == 0
    limits.refund(USER, rules, now=NOON)  # never below nothing
    assert limits.take_all(USER, rules, now=NOON) is None


def test_a_window_and_its_secret_are_dropped_when_it_ends() -> None:
    clock = [NOON]
    limits = ResidentLimits(clock=lambda: clock[0])
    limits.take(USER, "tip", limit=5, window_seconds=3600)
    limits.take(USER, "tip.day", limit=5, window_seconds=86400)
    assert limits.windows() == 2
    clock[0] = NOON + 3600
    assert limits.peek(USER, "tip", window_seconds=3600) == 0
    assert limits.windows() == 1  # the hour is gone, the day goes on
    clock[0] = NOON + 86400
    assert limits.peek(USER, "tip.day", window_seconds=86400) == 0
    assert limits.windows() == 0


def test_keys_come_from_a_fresh_random_secret_not_from_any_stored_key() -> None:
    first, second = ResidentLimits(), ResidentLimits()
    first.take(USER, "tip", limit=5, window_seconds=3600, now=NOON)
    second.take(USER, "tip", limit=5, window_seconds=3600, now=NOON)
    (one,) = first._windows.values()
    (two,) = second._windows.values()
    assert one.secret != two.secret and one.counts.keys() != two.counts.keys()
    assert str(USER).encode() not in next(iter(one.counts))
