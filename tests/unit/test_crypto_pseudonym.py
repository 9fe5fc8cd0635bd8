"""Pseudonyms of Telegram ids: stable per purpose, rotating per period."""

from __future__ import annotations

import pytest

from storage.crypto import period_index, pseudonym, rotating_pseudonym

KEY = bytes(range(32))
USER = 5_123_456_789


def test_stable_and_32_bytes() -> None:
    p = pseudonym(KEY, "language", USER)
    assert len(p) == 32
    assert p == pseudonym(KEY, "language", USER)
    assert str(USER).encode() not in p


def test_int_and_decimal_string_agree() -> None:
    assert pseudonym(KEY, "language", USER) == pseudonym(KEY, "language", str(USER))


def test_differs_per_purpose_value_and_key() -> None:
    base = pseudonym(KEY, "language", USER)
    assert pseudonym(KEY, "forum-vote", USER) != base
    assert pseudonym(KEY, "language", USER + 1) != base
    assert pseudonym(bytes(32), "language", USER) != base


def test_rotating_differs_per_period_and_from_stable() -> None:
    day1 = rotating_pseudonym(KEY, "rate", USER, 20_000)
    assert day1 == rotating_pseudonym(KEY, "rate", USER, 20_000)
    assert day1 != rotating_pseudonym(KEY, "rate", USER, 20_001)
    assert day1 != rotating_pseudonym(KEY, "abuse", USER, 20_000)
    assert day1 != pseudonym(KEY, "rate", USER)


def test_purpose_and_period_cannot_run_together() -> None:
    assert rotating_pseudonym(KEY, "rate1", USER, 2) != rotating_pseudonym(KEY, "rate", USER, 12)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError):
        pseudonym(b"short", "language", USER)
    with pytest.raises(ValueError):
        pseudonym(KEY, "", USER)
    with pytest.raises(TypeError):
        pseudonym(KEY, "language", True)
    with pytest.raises(ValueError):
        rotating_pseudonym(KEY, "rate", USER, -1)


def test_period_index() -> None:
    assert period_index(3600, now=7200.5) == 2
    assert period_index(86_400, now=86_399) == 0
