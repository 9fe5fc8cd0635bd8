"""Telegram's flood limits as one budget that the delivery worker and the bot share.

Three limits, each kept without waiting for Telegram to refuse:

- the whole bot: about 30 messages/s — a GCRA ("virtual scheduling") bucket, a message
  conforms when it comes no earlier than its theoretical time minus a small tolerance;
- every chat, private or group: about 1 message/s, with a short burst (GCRA);
- every group besides: at most 20 messages in any minute — a sliding window, so a group
  may get a few replies at once yet never more than 20 within 60 seconds.

Tolerances are small on purpose: the worker sends evenly, and Telegram's own burst
allowance is left to absorb network jitter instead of producing 429s.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FloodBudget:
    """The rates the bot keeps to (configurable: TINBAO_DELIVERY_*)."""

    overall_per_second: float = 30.0
    group_per_minute: float = 20.0
    # Applies to every chat ("avoid more than one message per second in a single chat").
    private_per_second: float = 1.0
    # How far ahead of the even schedule a message may go (absorbs a late event loop).
    overall_burst: int = 3
    private_burst: int = 2
    # A group's window holds this many messages; it spans group_burst / group_per_minute.
    group_burst: int = 20

    @property
    def group_window(self) -> float:
        """Seconds in which a group may receive at most `group_burst` messages."""
        return self.group_burst * 60.0 / self.group_per_minute


class _Bucket:
    """A GCRA bucket: `tat` is when the next message would be exactly on schedule."""

    __slots__ = ("interval", "tat", "tolerance")

    def __init__(self, per_second: float, burst: int, now: float) -> None:
        self.interval = 1.0 / per_second
        self.tolerance = (max(1, burst) - 1) * self.interval
        self.tat = now

    def ready_at(self) -> float:
        return self.tat - self.tolerance

    def take(self, at: float) -> None:
        self.tat = max(self.tat, at) + self.interval

    def hold(self, until: float) -> None:
        self.tat = max(self.tat, until + self.tolerance)


class _Window:
    """At most `size` messages in any `span` seconds."""

    __slots__ = ("sent", "size", "span")

    # Telegram's clock and ours differ by network jitter: leave a sliver of room.
    MARGIN = 1.01

    def __init__(self, size: int, span: float) -> None:
        self.size = size
        self.span = span * self.MARGIN
        self.sent: deque[float] = deque(maxlen=size)

    def ready_at(self) -> float:
        return self.sent[0] + self.span if len(self.sent) == self.size else float("-inf")

    def take(self, at: float) -> None:
        self.sent.append(at)

    def idle(self, now: float) -> bool:
        return not self.sent or self.sent[-1] + self.span < now


class Pacer:
    """When the next message to a chat may leave, and taking that slot."""

    def __init__(
        self, budget: FloodBudget | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.budget = budget or FloodBudget()
        self.clock = clock
        self._overall = _Bucket(self.budget.overall_per_second, self.budget.overall_burst, clock())
        self._chats: dict[int, _Bucket] = {}
        self._groups: dict[int, _Window] = {}

    def _chat(self, chat_id: int, now: float) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) > 50_000:
                self._forget_idle(now)
            budget = self.budget
            bucket = _Bucket(budget.private_per_second, budget.private_burst, now)
            self._chats[chat_id] = bucket
        return bucket

    def _group(self, chat_id: int) -> _Window | None:
        if chat_id >= 0:  # groups and supergroups have negative ids
            return None
        window = self._groups.get(chat_id)
        if window is None:
            window = _Window(self.budget.group_burst, self.budget.group_window)
            self._groups[chat_id] = window
        return window

    def _forget_idle(self, now: float) -> None:
        self._chats = {c: b for c, b in self._chats.items() if b.tat > now}
        self._groups = {c: w for c, w in self._groups.items() if not w.idle(now)}

    def chat_ready_at(self, chat_id: int) -> float:
        """Earliest clock time the chat may take a message."""
        ready = self._chat(chat_id, self.clock()).ready_at()
        window = self._group(chat_id)
        return max(ready, window.ready_at()) if window is not None else ready

    def chat_ready_after(self, chat_id: int, ahead: int) -> float:
        """When the chat could take a message with `ahead` others going first (an estimate)."""
        bucket = self._chat(chat_id, self.clock())
        ready = bucket.ready_at() + ahead * bucket.interval
        window = self._group(chat_id)
        if window is None:
            return ready
        free = window.size - len(window.sent)
        if ahead < free:
            return max(ready, window.ready_at() if ahead == 0 else ready)
        index = ahead - free
        rounds, index = divmod(index, max(1, len(window.sent)))
        return max(ready, window.sent[index] + window.span * (rounds + 1))

    def overall_ready_at(self) -> float:
        """Earliest clock time the bot may send any message."""
        return self._overall.ready_at()

    def take(self, chat_id: int, at: float | None = None) -> None:
        """Count one message to the chat, sent at `at` (now by default)."""
        now = self.clock() if at is None else at
        self._overall.take(now)
        self._chat(chat_id, now).take(now)
        window = self._group(chat_id)
        if window is not None:
            window.take(now)

    def hold_chat(self, chat_id: int, seconds: float) -> None:
        """Telegram said to wait: nothing goes to the chat for `seconds`."""
        now = self.clock()
        self._chat(chat_id, now).hold(now + seconds)

    def hold_all(self, seconds: float) -> None:
        """Telegram said to wait and did not say for which chat: nothing goes anywhere."""
        self._overall.hold(self.clock() + seconds)

    async def wait_overall(self) -> None:
        """Sleep until the bot-wide bucket has a slot (the caller then takes it)."""
        while (delay := self.overall_ready_at() - self.clock()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(delay)

    async def acquire(self, chat_id: int, *, wait_for_chat: bool = True) -> None:
        """Wait for a slot for this chat and take it.

        With `wait_for_chat` False the chat's limits are charged without waiting: replies to
        a resident who is talking to the bot go out at once, and the worker's broadcasts to
        that chat wait a little longer instead.
        """
        # No lock: checking and taking happen without an await in between.
        while True:
            now = self.clock()
            ready = self.overall_ready_at()
            if wait_for_chat:
                ready = max(ready, self.chat_ready_at(chat_id))
            if ready <= now:
                self.take(chat_id, now)
                return
            await asyncio.sleep(ready - now)
