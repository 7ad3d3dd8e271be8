"""Deadlines: the instant at which a ticket clock reaches its target.

The inverse of `clock.ticket_clock` in its end instant. Instead of searching over instants,
it walks forward from the start through the running gaps between pauses and, with a
calendar, through each local date's opening intervals, spending the remaining seconds until
they run out: exact, and as cheap as the clock over the same span.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# Same package: the cached per-date opening intervals the clock itself sums over.
from services.core.kpi.clock import _day_intervals
from services.core.kpi.opening_hours import calendar_key, last_open_day
from services.core.kpi.params import CalendarRules


def running_gaps(
    start: float, pauses: Sequence[tuple[float, float]]
) -> Iterator[tuple[float, float]]:
    """The intervals [a, b) from `start` on that no pause covers; the last may end at +inf."""
    cursor = start
    for p0, p1 in sorted(p for p in pauses if p[1] > start):
        if p0 > cursor:
            yield cursor, p0
        cursor = max(cursor, p1)
        if math.isinf(cursor):
            return
    yield cursor, math.inf


def business_intervals(
    start: float, end: float, zone: ZoneInfo, calendar: CalendarRules
) -> Iterator[tuple[float, float]]:
    """Opening intervals of `calendar` clipped to [start, end), in order; `end` may be inf."""
    key = calendar_key(calendar)
    # Start a date early: if the clock goes back across midnight, the previous local date
    # can still be open after `start`. After `last_open_day` nothing opens again.
    day = datetime.fromtimestamp(start, zone).date() - timedelta(days=1)
    last = last_open_day(calendar)
    if not math.isinf(end):
        last = min(last, datetime.fromtimestamp(end, zone).date() + timedelta(1))
    while day <= last:
        for lo, hi in _day_intervals(zone, key, day):
            if hi > start and lo < end:
                yield max(lo, start), min(hi, end)
        day += timedelta(days=1)


def due_at(
    start: float,
    target_seconds: float,
    pauses: Sequence[tuple[float, float]],
    zone: ZoneInfo,
    calendar: CalendarRules | None,
) -> float | None:
    """First instant `e` with `ticket_clock(start, e, pauses, zone, calendar) >= target`.

    None when the clock never gets there: a pause runs to +inf first, or the calendar
    stops opening before the target is reached. A target of 0 or less is due at `start`.
    """
    remaining = float(target_seconds)
    if remaining <= 0:
        return start
    for a, b in running_gaps(start, pauses):
        spans = [(a, b)] if calendar is None else business_intervals(a, b, zone, calendar)
        for lo, hi in spans:
            if hi - lo >= remaining:
                return lo + remaining
            remaining -= hi - lo
    return None
