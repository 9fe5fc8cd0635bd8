"""How many tips, receipt guesses and follow-ups one resident may send (DESIGN §4).

Counted in the bot's memory only, under per-window secrets (storage.limits): no row in
the database tells who sent what, or when they first did. Limits hold per bot process
and start afresh when it restarts — the price of keeping no record.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from storage.core import Core
from storage.limits import Rule

T = TypeVar("T")
HOUR, DAY = 3600, 86400


@dataclass(frozen=True)
class Refusal:
    """A resident over a limit: which one, and how long until the window turns."""

    limit: int
    window_seconds: int
    retry_after_seconds: int


class OverLimit(ValueError):
    """The resident has sent as many as allowed for now; nothing was stored or counted."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__("limit reached")
        self.refusal = refusal


def _refusal(rule: Rule, now: float) -> Refusal:
    window = rule.window_seconds
    return Refusal(rule.limit, window, int(window - now % window) + 1)


def tip_rules(core: Core) -> tuple[Rule, ...]:
    """Tips per day and per hour."""
    limits = core.settings.limits
    return Rule("tip.day", limits.tips_per_day, DAY), Rule("tip.hour", limits.tips_per_hour, HOUR)


def follow_up_rules(core: Core) -> tuple[Rule, ...]:
    """Texts and files added through /status, per hour."""
    return (Rule("follow_up", core.settings.limits.follow_ups_per_hour, HOUR),)


def _claim(core: Core, user_id: int, rules: Sequence[Rule], now: float | None) -> Refusal | None:
    moment = time.time() if now is None else now
    reached = core.limits.take_all(user_id, rules, now=moment)
    return None if reached is None else _refusal(reached, moment)


def _first_full(
    core: Core, user_id: int, rules: Sequence[Rule], now: float | None
) -> Refusal | None:
    moment = time.time() if now is None else now
    for rule in rules:
        used = core.limits.peek(
            user_id, rule.action, window_seconds=rule.window_seconds, now=moment
        )
        if used >= rule.limit:
            return _refusal(rule, moment)
    return None


async def counted(
    core: Core, user_id: int | None, rules: Sequence[Rule], action: Callable[[], Awaitable[T]]
) -> T:
    """Count one use against `rules`, then run `action`; nothing is counted without a user.

    Over a limit, `OverLimit` is raised and `action` does not run; when `action` fails,
    the use is given back.
    """
    if user_id is None:
        return await action()
    moment = time.time()
    refusal = _claim(core, user_id, rules, moment)
    if refusal is not None:
        raise OverLimit(refusal)
    try:
        return await action()
    except BaseException:
        core.limits.refund(user_id, rules, now=moment)
        raise


def claim_submission(
    core: Core, telegram_user_id: int, *, now: float | None = None
) -> Refusal | None:
    """Count one submission against the hourly and daily limits, or refuse (counting nothing)."""
    return _claim(core, telegram_user_id, tip_rules(core), now)


def submission_refusal(
    core: Core, telegram_user_id: int, *, now: float | None = None
) -> Refusal | None:
    """Whether the resident is already at a tip limit, counting nothing (for an early word)."""
    return _first_full(core, telegram_user_id, tip_rules(core), now)


def claim_receipt_attempt(
    core: Core, telegram_user_id: int, *, now: float | None = None
) -> Refusal | None:
    """Count one receipt attempt (right or wrong) against the hourly limit, or refuse."""
    rule = Rule("receipt", core.settings.limits.receipt_attempts_per_hour, HOUR)
    return _claim(core, telegram_user_id, [rule], now)


def follow_up_refusal(
    core: Core, telegram_user_id: int, *, now: float | None = None
) -> Refusal | None:
    """Whether the resident is already at the follow-up limit, counting nothing."""
    return _first_full(core, telegram_user_id, follow_up_rules(core), now)
