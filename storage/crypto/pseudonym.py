"""Keyed pseudonyms for Telegram user and chat ids, which are never stored in clear."""

from __future__ import annotations

import hashlib
import hmac
import time

PSEUDONYM_LEN = 32


def _encode(*parts: bytes) -> bytes:
    # Length prefixes keep ("ab", "c") and ("a", "bc") apart.
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def _value(value: int | str) -> bytes:
    # An int and its decimal string name the same id, so callers cannot drift apart by type.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError("value must be an int or a str")
    return str(value).encode("utf-8")


def _subkey(key: bytes, label: bytes, purpose: str, *extra: bytes) -> bytes:
    if len(key) < 32:
        raise ValueError("pseudonym key must be at least 32 bytes")
    if not purpose:
        raise ValueError("purpose must not be empty")
    info = _encode(label, purpose.encode("utf-8"), *extra)
    return hmac.digest(key, info, hashlib.sha256)


def pseudonym(key: bytes, purpose: str, value: int | str) -> bytes:
    """Return a stable 32-byte HMAC-SHA256 pseudonym of ``value`` for one purpose."""
    sub = _subkey(key, b"tinbao/pseudonym/v1", purpose)
    return hmac.digest(sub, _value(value), hashlib.sha256)


def rotating_pseudonym(key: bytes, purpose: str, value: int | str, period: int) -> bytes:
    """Return a pseudonym that changes with ``period``.

    Whoever holds ``key`` can recompute it for any period and so test candidate ids: it
    does not make stored rows unlinkable. Rate limits therefore keep no rows at all
    (storage.limits, keyed under per-window random secrets held in memory only).
    """
    if isinstance(period, bool) or not isinstance(period, int) or period < 0:
        raise ValueError("period must be a non-negative int")
    sub = _subkey(key, b"tinbao/rotating-pseudonym/v1", purpose, str(period).encode("ascii"))
    return hmac.digest(sub, _value(value), hashlib.sha256)


def period_index(seconds: int, now: float | None = None) -> int:
    """Return the index of the ``seconds``-long period containing ``now`` (Unix time)."""
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    return int((time.time() if now is None else now) // seconds)
