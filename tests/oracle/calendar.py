"""Test oracle: business seconds of docs/kpis.md, computed literally and apart from the engine.

Why separate: the engine's clock (clock.py, opening_hours.py) caches per-date intervals and
bisects for DST gaps; if it and the oracle shared that code, a mistake in it could not show.
This module reads the calendar models and the docs' rules directly, picks a local date's
hours with plain dict lookups, and maps a wall-clock time to an instant by taking the least
instant whose local reading is at or after it, among a handful of candidates. Slow and plain
on purpose; imports nothing from the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from services.core.kpi.params import DAY_NAMES, CalendarRules, OpeningHours, YearlyCalendar

_SCAN_SECONDS = 6 * 3_600  # no zone changes its offset twice within six hours


def hours_of(calendar: CalendarRules, day: date) -> Sequence[OpeningHours]:
    """The opening hours of local date `day` (docs/kpis.md, "Business calendars")."""
    rules = calendar
    if isinstance(calendar, YearlyCalendar):
        years = sorted(calendar.years)
        earlier = [y for y in years if y <= day.year]
        rules = calendar.years[earlier[-1] if earlier else years[0]]
    assert not isinstance(rules, YearlyCalendar)
    if day in rules.special_hours:
        return rules.special_hours[day]
    if day in rules.extra_working_days:
        return rules.extra_working_days[day]
    if day in rules.holidays:
        return ()
    return rules.weekly_hours.get(DAY_NAMES[day.weekday()], ())


def _local(instant: float, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(instant, zone).replace(tzinfo=None)


def _offset_changes(zone: ZoneInfo, lo: int, hi: int) -> list[int]:
    """Instants in (lo, hi] at which the zone's UTC offset changes (whole seconds)."""
    changes = []
    for a in range(lo, hi, _SCAN_SECONDS):
        b = min(a + _SCAN_SECONDS, hi)
        offset_a = datetime.fromtimestamp(a, zone).utcoffset()
        if datetime.fromtimestamp(b, zone).utcoffset() == offset_a:
            continue
        while b - a > 1:  # the first instant with the new offset
            mid = (a + b) // 2
            if datetime.fromtimestamp(mid, zone).utcoffset() == offset_a:
                a = mid
            else:
                b = mid
        changes.append(b)
    return changes


@lru_cache(maxsize=65_536)
def wall_instant(zone: ZoneInfo, day: date, wall: time | None) -> float:
    """The least instant at which the clock in `zone` reads `day` `wall` or later (None: 24:00).

    That instant reads exactly `wall` at one of the zone's offsets nearby, or is an offset
    change that jumps past `wall`; so the least candidate that qualifies is the answer.
    """
    if wall is None:
        day, wall = day + timedelta(days=1), time(0)
    naive = datetime.combine(day, wall)
    as_utc = int(naive.replace(tzinfo=UTC).timestamp())
    lo, hi = as_utc - 2 * 86_400, as_utc + 2 * 86_400
    changes = _offset_changes(zone, lo, hi)
    offsets = {datetime.fromtimestamp(x, zone).utcoffset() for x in (lo, hi, *changes)}
    candidates = [as_utc - o.total_seconds() for o in offsets if o is not None] + changes
    return float(min(c for c in candidates if _local(c, zone) >= naive))


def business_seconds(
    start: float, end: float, zone: ZoneInfo, calendar: CalendarRules | None
) -> float:
    """Seconds of [start, end] inside the union of the calendar's opening intervals."""
    if end <= start:
        return 0.0
    if calendar is None:
        return end - start
    spans = []
    day = _local(start, zone).date() - timedelta(days=1)
    while day <= _local(end, zone).date() + timedelta(days=1):
        for hours in hours_of(calendar, day):
            a, b = wall_instant(zone, day, hours.start), wall_instant(zone, day, hours.end)
            if a < b:
                spans.append((a, b))
        day += timedelta(days=1)
    union: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if union and a <= union[-1][1]:
            union[-1] = (union[-1][0], max(union[-1][1], b))
        else:
            union.append((a, b))
    return sum(max(0.0, min(b, end) - max(a, start)) for a, b in union)
