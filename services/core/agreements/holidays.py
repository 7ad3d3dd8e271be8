"""A year of public holidays from the `holidays` package, as one version of a shared calendar.

Why a library: statutory holidays change by law and, in mainland China, by a yearly State
Council notice; the maintained `holidays` package follows them. For China it also lists the
make-up working days (`weekend_workdays`: a Saturday or Sunday worked in exchange for a
bridge day off), which become extra working days here, with the hours of a normal working
day. Its `half_day` category (holidays for some groups only, e.g. Women's Day) is not used:
those are working days for a service desk. Pure: no database, no network.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import holidays

from services.core.kpi.params import DAY_NAMES, BusinessCalendar, OpeningHours

Hours = tuple[OpeningHours, ...]


def public_holidays(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, make-up working days) of `country` in `year`, as the package knows them."""
    data = holidays.country_holidays(country, years=year)
    days_off = frozenset(d for d in data if d.year == year)
    make_up = frozenset(d for d in getattr(data, "weekend_workdays", ()) if d.year == year)
    return days_off, make_up


def holiday_year(
    country: str,
    year: int,
    weekly_hours: Mapping[str, Hours],
    workday_hours: Hours,
    previous: BusinessCalendar | None = None,
) -> BusinessCalendar:
    """The `year` version of a calendar: `weekly_hours`, the country's holidays of the year,
    its make-up working days with `workday_hours`, and the special hours of `previous` (the
    year's version before the load: hand-made edits survive a reload) unless a date is now a
    holiday. A make-up day whose weekday is open gets `workday_hours` as special hours.
    """
    days_off, make_up = public_holidays(country, year)
    special = dict(previous.special_hours) if previous is not None else {}
    extra: dict[date, Hours] = {}
    for day in sorted(make_up - days_off):
        if weekly_hours.get(DAY_NAMES[day.weekday()]):
            special[day] = workday_hours
        else:
            extra[day] = workday_hours
    return BusinessCalendar(
        weekly_hours=dict(weekly_hours),
        holidays=days_off,
        extra_working_days=extra,
        special_hours={d: h for d, h in special.items() if d not in days_off | set(extra)},
    )


def parse_hours(text: str) -> Hours:
    """Opening hours from "09:00-12:00,13:00-18:00"."""
    spans = [part.split("-") for part in text.split(",") if part.strip()]
    return tuple(OpeningHours.model_validate({"start": a, "end": b}) for a, b in spans)
