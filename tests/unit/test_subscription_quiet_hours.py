"""Quiet hours are Vietnam time and may wrap midnight."""

from __future__ import annotations

import datetime as dt

from storage.quiet import quiet_until, valid_hours

ICT = dt.timezone(dt.timedelta(hours=7))


def _at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 2, 10, hour, minute, tzinfo=ICT).astimezone(dt.UTC)


def test_a_night_window_holds_messages_until_morning() -> None:
    assert quiet_until(22, 6, _at(23, 30)) == dt.datetime(2026, 2, 11, 6, tzinfo=ICT)
    assert quiet_until(22, 6, _at(3)) == dt.datetime(2026, 2, 10, 6, tzinfo=ICT)
    assert quiet_until(22, 6, _at(6)) is None
    assert quiet_until(22, 6, _at(21, 59)) is None


def test_a_day_window_and_no_window() -> None:
    assert quiet_until(12, 14, _at(13)) == dt.datetime(2026, 2, 10, 14, tzinfo=ICT)
    assert quiet_until(None, None, _at(13)) is None


def test_only_sensible_hours_are_accepted() -> None:
    assert valid_hours(22, 6) and valid_hours(None, None)
    assert not valid_hours(22, 22) and not valid_hours(24, 6) and not valid_hours(22, None)
