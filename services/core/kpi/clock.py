"""Ticket clocks: elapsed business time between two instants, minus paused time.

Pure time math (docs/kpis.md, "Ticket clock"). Instants are epoch seconds (UTC); opening
hours are wall-clock times in the agreement's zone, so a local 08:00-18:00 lasts 9 or 11
real hours on a DST-change day. Each local date's opening hours are turned into UTC instants
once and cached, so a 90-day span costs about 90 cache lookups, not a loop over seconds.

A wall-clock time t maps to the first instant at which the local clock shows t or later:
an ambiguous time (the repeated hour in autumn) is its first occurrence (fold=0); a
nonexistent time (the skipped hour in spring) is the instant the clock jumps past it. This
mapping never goes backwards, so opening intervals can neither invert nor overlap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from services.core.kpi.opening_hours import CalendarKey, calendar_key, hours_on
from services.core.kpi.params import CalendarRules

PAUSING = frozenset({"pending", "on_hold"})
RUNNING = frozenset({"open", "solved", "closed", "resolved", "reopened"})


def _instant(day: date, wall: time | None, zone: ZoneInfo) -> float:
    """First instant at which the clock in `zone` shows `wall` on `day` (None = 24:00)."""
    if wall is None:
        day, wall = day + timedelta(days=1), time(0)
    local = datetime.combine(day, wall, tzinfo=zone)  # fold=0: first of two readings
    instant = local.timestamp()
    after = datetime.fromtimestamp(instant, zone)
    gap = after.replace(tzinfo=None) - local.replace(tzinfo=None)
    if not gap:
        return instant
    # Nonexistent: fold=0 landed `gap` past the jump, which zoneinfo does not expose, so
    # bisect for it. Offsets change on whole seconds, so integer instants suffice.
    before_offset = local.utcoffset()
    lo, hi = math.floor(instant - gap.total_seconds()), math.ceil(instant)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == before_offset:
            lo = mid
        else:
            hi = mid
    return float(hi)


@lru_cache(maxsize=16_384)
def _day_intervals(zone: ZoneInfo, key: CalendarKey, day: date) -> tuple[tuple[float, float], ...]:
    """One local date's opening hours as merged, sorted UTC intervals (empty when closed)."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(hours_on(key, day), key=lambda pair: pair[0]):
        lo, hi = _instant(day, start, zone), _instant(day, end, zone)
        if hi <= lo:  # the whole interval fell into a DST gap
            continue
        if merged and lo <= merged[-1][1]:  # the calendar allows overlapping entries
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def business_seconds(
    start: float, end: float, zone: ZoneInfo, calendar: CalendarRules | None
) -> float:
    """Seconds of business time in [start, end]; 24/7 without a calendar, 0 if end <= start.

    With a calendar, only its opening hours in `zone` count: each local date's weekly hours,
    none on holidays, or the date's own hours (extra working days, special hours). Both
    instants must be finite when a calendar is given.
    """
    if end <= start:
        return 0.0
    if calendar is None:
        return end - start
    key = calendar_key(calendar)
    # Earlier dates close by the time `start`'s date begins, but if the clock goes back
    # across midnight (say 00:30 -> 23:30), the next date opens before `end`'s date is over.
    day = datetime.fromtimestamp(start, zone).date()
    last = datetime.fromtimestamp(end, zone).date() + timedelta(days=1)
    total = 0.0
    while day <= last:
        for lo, hi in _day_intervals(zone, key, day):
            if hi > start and lo < end:
                total += min(hi, end) - max(lo, start)
        day += timedelta(days=1)
    return total


def pause_intervals(status_changes: Sequence[tuple[float, str]]) -> list[tuple[float, float]]:
    """Pause intervals [pause_start, pause_end) from ordered (instant, status) pairs.

    'pending' and 'on_hold' start a pause (a second one while paused does not restart it);
    'open', 'solved', 'closed' and the pseudo-statuses 'resolved' and 'reopened' end it.
    A pause still running after the last change ends at +inf. Unknown statuses raise.
    """
    pauses: list[tuple[float, float]] = []
    paused_at: float | None = None
    for instant, status in status_changes:
        if status in PAUSING:
            if paused_at is None:
                paused_at = instant
        elif status in RUNNING:
            if paused_at is not None:
                pauses.append((paused_at, instant))
                paused_at = None
        else:
            raise ValueError(f"unknown ticket status {status!r}")
    if paused_at is not None:
        pauses.append((paused_at, math.inf))
    return pauses


def ticket_clock(
    start: float,
    end: float,
    pauses: Sequence[tuple[float, float]],
    zone: ZoneInfo,
    calendar: CalendarRules | None,
) -> float:
    """Business seconds in [start, end] that no pause covers; 0 if end <= start.

    Pauses may overlap and extend past [start, end]. The clock sums business time over the
    gaps between the merged pauses rather than subtracting from the total: equal in exact
    arithmetic, but a sum of non-negative terms can never come out negative.
    """
    if end <= start:
        return 0.0
    clipped = sorted((max(p0, start), min(p1, end)) for p0, p1 in pauses if p1 > start and p0 < end)
    total, cursor = 0.0, start
    for p0, p1 in clipped:
        if p0 > cursor:
            total += business_seconds(cursor, p0, zone, calendar)
        cursor = max(cursor, p1)
    return total + business_seconds(cursor, end, zone, calendar)
