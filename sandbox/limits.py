"""Telegram-like flood limits per bot, with counters tests can read."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FloodLimits:
    """Rates as Telegram publishes them; `scale` multiplies every rate (a fast benchmark)."""

    # Every method that posts messages counts (send*, sendMediaGroup per item, copyMessage,
    # forwardMessage); edits, deletions, chat actions, getUpdates and callback answers do not.

    overall_per_second: float = 30.0
    group_per_minute: float = 20.0
    private_per_second: float = 1.0
    # Bursts: Telegram tolerates a short burst before answering 429; these are the bucket sizes.
    overall_burst: int = 30
    group_burst: int = 20
    private_burst: int = 3
    scale: float = 1.0
    enforce: bool = True


class TooManyRequests(Exception):
    """A send was refused; retry_after is whole seconds like Telegram's."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after}")
        self.retry_after = retry_after


@dataclass
class _Bucket:
    rate: float
    capacity: float
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_for(self, count: float) -> float:
        """Seconds until `count` tokens are available (0 when they already are)."""
        missing = count - self.tokens
        return 0.0 if missing <= 1e-9 else missing / self.rate


@dataclass
class ChatCounters:
    """What happened to one chat: accepted send times (monotonic) and refusals."""

    accepted: list[float] = field(default_factory=list)
    rejected: int = 0


class FloodControl:
    """Token buckets (overall, per group, per private chat) and their counters for one bot."""

    def __init__(
        self, limits: FloodLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or FloodLimits(enforce=False)
        self._clock = clock
        self._buckets: dict[int | None, _Bucket] = {}
        self.chats: dict[int, ChatCounters] = {}
        self.retry_afters: list[int] = []

    def _bucket(self, key: int | None, per_second: float, burst: int, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            rate = per_second * self.limits.scale
            bucket = self._buckets[key] = _Bucket(rate, float(burst), float(burst), now)
        bucket.refill(now)
        return bucket

    def acquire(self, chat_id: int, *, is_group: bool, count: int = 1) -> None:
        """Record `count` messages to chat_id, or raise TooManyRequests without recording."""
        now = self._clock()
        counters = self.chats.setdefault(chat_id, ChatCounters())
        limits = self.limits
        if limits.enforce:
            overall = self._bucket(None, limits.overall_per_second, limits.overall_burst, now)
            if is_group:
                chat = self._bucket(chat_id, limits.group_per_minute / 60, limits.group_burst, now)
            else:
                chat = self._bucket(chat_id, limits.private_per_second, limits.private_burst, now)
            wait = max(overall.wait_for(count), chat.wait_for(count))
            if wait > 0:
                counters.rejected += 1
                retry_after = max(1, math.ceil(wait))
                self.retry_afters.append(retry_after)
                raise TooManyRequests(retry_after)
            overall.tokens -= count
            chat.tokens -= count
        counters.accepted.extend([now] * count)

    def accepted(self, chat_id: int) -> list[float]:
        """Monotonic times of messages accepted for chat_id."""
        return list(self.chats.get(chat_id, ChatCounters()).accepted)

    def rejected(self, chat_id: int) -> int:
        """How many sends to chat_id were answered with 429."""
        return self.chats.get(chat_id, ChatCounters()).rejected

    @property
    def total_accepted(self) -> int:
        """Messages accepted over all chats."""
        return sum(len(c.accepted) for c in self.chats.values())

    @property
    def total_rejected(self) -> int:
        """429 answers over all chats."""
        return sum(c.rejected for c in self.chats.values())

    def max_in_window(self, chat_id: int | None, window: float) -> int:
        """Most messages accepted within any `window` seconds (all chats when chat_id is None)."""
        if chat_id is None:
            times = sorted(t for c in self.chats.values() for t in c.accepted)
        else:
            times = self.accepted(chat_id)
        best, start = 0, 0
        for end, stamp in enumerate(times):
            while stamp - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def reset(self, limits: FloodLimits | None = None) -> None:
        """Forget buckets and counters, optionally switching to new limits."""
        if limits is not None:
            self.limits = limits
        self._buckets.clear()
        self.chats.clear()
        self.retry_afters.clear()
