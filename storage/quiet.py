"""Quiet hours: the hours (Vietnam time) in which a subscriber gets no non-urgent message."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    VIETNAM: dt.tzinfo = ZoneInfo("Asia/Ho_Chi_Minh")
except ZoneInfoNotFoundError:  # no tz database on the host; Vietnam has no summer time
    VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")


def valid_hours(start: int | None, end: int | None) -> bool:
    """Both None (no quiet hours) or two different hours from 0 to 23."""
    if start is None or end is None:
        return start is None and end is None
    return 0 <= start <= 23 and 0 <= end <= 23 and start != end


def quiet_until(start: int | None, end: int | None, now: dt.datetime) -> dt.datetime | None:
    """When the quiet hours around `now` end (UTC), or None when `now` is not in them.

    `start`–`end` may wrap midnight: 22–6 is quiet from 22:00 to 05:59.
    """
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(VIETNAM)
    hour = local.hour
    inside = start <= hour < end if start < end else hour >= start or hour < end
    if not inside:
        return None
    ends = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if ends <= local:
        ends += dt.timedelta(days=1)
    return ends.astimezone(dt.UTC)
