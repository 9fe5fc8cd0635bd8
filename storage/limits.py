"""Abuse limits per resident, counted in this process's memory and nowhere else (DESIGN §4).

A counter must not name the Telegram account behind a tip, a receipt look-up or a
complaint, even to someone who later holds the database, the key files and the code.
So nothing is written anywhere: each window (an hour, a day) gets a random secret made
in memory when it starts, counters are keyed by HMAC-SHA256 of the user id under that
secret, and the secret and its counters are dropped once the window is over. No key
file can recompute a past key, and no row keeps the time of a first action.

The price: limits hold per bot process and start afresh when it restarts. Updates of
one chat are handled one at a time (bot.updates), and every method here runs without
awaiting, so a check and its count cannot interleave.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

# 128 bits of HMAC name a counter among the residents of one window; less memory per key.
_KEY_BYTES = 16


class Rule(NamedTuple):
    """At most `limit` uses of `action` in each window of `window_seconds`."""

    action: str
    limit: int
    window_seconds: int


@dataclass
class _Window:
    """One window of one length: its secret and its counters, dropped together."""

    ends_at: float
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    counts: dict[bytes, int] = field(default_factory=dict, repr=False)

    def key(self, action: str, user_id: int) -> bytes:
        """The counter's name: nothing outside this window can link it to the user."""
        message = action.encode() + b"\x00" + str(user_id).encode()
        return hmac.digest(self.secret, message, hashlib.sha256)[:_KEY_BYTES]


class ResidentLimits:
    """Per-resident counters of this process, keyed under per-window random secrets."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        # (window length, window index) → the window, while it lasts.
        self._windows: dict[tuple[int, int], _Window] = {}

    def _now(self, now: float | None) -> float:
        moment = self._clock() if now is None else now
        self._prune(moment)
        return moment

    def _prune(self, moment: float) -> None:
        """Forget every window that is over: its secret and its counters."""
        for slot in [slot for slot, w in self._windows.items() if w.ends_at <= moment]:
            del self._windows[slot]

    def _window(self, window_seconds: int, moment: float, *, create: bool) -> _Window | None:
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        index = int(moment // window_seconds)
        slot = (window_seconds, index)
        found = self._windows.get(slot)
        if found is None and create:
            found = self._windows[slot] = _Window(ends_at=float((index + 1) * window_seconds))
        return found

    def peek(
        self, user_id: int, action: str, *, window_seconds: int, now: float | None = None
    ) -> int:
        """How many uses of `action` were counted for the user in the current window."""
        window = self._window(window_seconds, self._now(now), create=False)
        return 0 if window is None else window.counts.get(window.key(action, user_id), 0)

    def take_all(
        self, user_id: int, rules: Sequence[Rule], *, now: float | None = None
    ) -> Rule | None:
        """Count one use against every rule, or none: the first rule already full, or None."""
        moment = self._now(now)
        keyed: list[tuple[_Window, bytes]] = []
        for rule in rules:
            window = self._window(rule.window_seconds, moment, create=True)
            assert window is not None
            key = window.key(rule.action, user_id)
            if window.counts.get(key, 0) >= rule.limit:
                return rule
            keyed.append((window, key))
        for window, key in keyed:
            window.counts[key] = window.counts.get(key, 0) + 1
        return None

    def take(
        self,
        user_id: int,
        action: str,
        *,
        limit: int,
        window_seconds: int,
        now: float | None = None,
    ) -> bool:
        """Count one use of `action`; False (and nothing counted) once `limit` is reached."""
        return self.take_all(user_id, [Rule(action, limit, window_seconds)], now=now) is None

    def refund(self, user_id: int, rules: Sequence[Rule], *, now: float | None = None) -> None:
        """Give back a use counted by `take_all` whose action did not happen after all."""
        moment = self._now(now)
        for rule in rules:
            window = self._window(rule.window_seconds, moment, create=False)
            if window is None:
                continue
            key = window.key(rule.action, user_id)
            left = window.counts.get(key, 0) - 1
            if left > 0:
                window.counts[key] = left
            else:
                window.counts.pop(key, None)

    def windows(self) -> int:
        """How many windows are held now (each with its own secret)."""
        return len(self._windows)
