"""A calendar's opening hours per local date, as the ticket clock and deadlines read them.

Why a module of its own: the calendar models hold dicts (unhashable), while the clock caches
each local date's intervals; `calendar_key` turns a calendar into a hashable key once per
call, and `hours_on` answers "which hours on this date" from it (docs/kpis.md, "Business
calendars"). Pure; no time zones here, only local dates and wall-clock times.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from itertools import pairwise

from services.core.kpi.params import (
    DAY_NAMES,
    BusinessCalendar,
    CalendarRules,
    OpeningHours,
    YearlyCalendar,
)

# Hashable stand-in for a calendar (its dict fields make the models unhashable): per
# version, the first year it applies to (None: every year), per weekday (mon..sun) the
# (start, end) pairs, the holidays, and the dates with their own hours (extra working days
# and special hours alike: both replace the weekday's hours on that date).
_Pairs = tuple[tuple[time, time | None], ...]
_Version = tuple[int | None, tuple[_Pairs, ...], frozenset[date], tuple[tuple[date, _Pairs], ...]]
CalendarKey = tuple[_Version, ...]


def _pairs(hours: Iterable[OpeningHours]) -> _Pairs:
    return tuple((h.start, h.end) for h in hours)


def _version(year: int | None, calendar: BusinessCalendar) -> _Version:
    weekly = tuple(_pairs(calendar.weekly_hours.get(day, ())) for day in DAY_NAMES)
    dated = {**calendar.extra_working_days, **calendar.special_hours}
    return year, weekly, calendar.holidays, tuple((d, _pairs(h)) for d, h in sorted(dated.items()))


def calendar_key(calendar: CalendarRules) -> CalendarKey:
    if isinstance(calendar, YearlyCalendar):
        return tuple(_version(year, rules) for year, rules in calendar.years.items())
    return (_version(None, calendar),)


def hours_on(key: CalendarKey, day: date) -> _Pairs:
    """The (start, end) pairs of local date `day`: its own hours, none on a holiday, else its
    weekday's, all from the version in effect in its year (YearlyCalendar.rules_for)."""
    version = key[0]
    for candidate in key[1:]:
        if candidate[0] is not None and candidate[0] <= day.year:
            version = candidate
    _, weekly, holidays, dated = version
    for dated_day, pairs in dated:
        if dated_day == day:
            return pairs
    return () if day in holidays else weekly[day.weekday()]


def last_open_day(calendar: CalendarRules) -> date:
    """A local date after which `calendar` never opens (date.max if it keeps opening).

    Bounds the walk to a deadline: without it, a calendar whose weekly hours are empty
    would be searched for ever.
    """
    key = calendar_key(calendar)
    if any(key[-1][1]):
        return date.max
    bounds = [date.min]
    for (_, weekly, _, dated), later in pairwise(key):
        if any(weekly) and later[0] is not None:  # open until the next version starts
            bounds.append(date(later[0] - 1, 12, 31))
        bounds.extend(d for d, pairs in dated if pairs)
    bounds.extend(d for d, pairs in key[-1][3] if pairs)
    return max(bounds)
