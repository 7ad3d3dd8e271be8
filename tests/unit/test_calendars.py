"""Business calendars: holidays, make-up working days, special hours and yearly versions.

Every expected value is worked out by hand below from the mainland-China 2026 arrangement
(State Council notice, as the `holidays` package lists it): days off 1-2 Jan, 16-20 and 23
Feb (Spring Festival), 6 Apr (5 Apr is a Sunday), 1, 4, 5 May, 19 Jun, 25 Sep, 1-7 Oct
(National Day, Golden Week; 3 Oct is a Saturday, 4 Oct a Sunday); make-up working days
Sun 4 Jan, Sat 14 Feb, Sat 28 Feb, Sat 9 May, Sun 20 Sep, Sat 10 Oct. The desk works
Mon-Fri 09:00-12:00 and 13:00-18:00 (8 h a day) in Asia/Shanghai (UTC+8, no DST).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from services.core.agreements.holidays import holiday_year, parse_hours
from services.core.kpi.clock import ticket_clock
from services.core.kpi.deadlines import due_at
from services.core.kpi.opening_hours import last_open_day
from services.core.kpi.params import (
    DAY_NAMES,
    BusinessCalendar,
    MeasurementParams,
    YearlyCalendar,
)
from tests.oracle import calendar as oracle_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3_600.0
DESK = parse_hours("09:00-12:00,13:00-18:00")
WEEKLY = {day: DESK for day in DAY_NAMES[:5]}
DAYS_OFF = [
    *("2026-01-01", "2026-01-02"),
    *("2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-23"),
    *("2026-04-05", "2026-04-06", "2026-05-01", "2026-05-02", "2026-05-04", "2026-05-05"),
    *("2026-06-19", "2026-09-25"),
    *("2026-10-01", "2026-10-02", "2026-10-03", "2026-10-05", "2026-10-06", "2026-10-07"),
]
MAKE_UP = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
DESK_JSON = [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}]


def cn_2026(**changes: Any) -> BusinessCalendar:
    """The CN 2026 desk calendar written out by hand (not from the package)."""
    document: dict[str, Any] = {
        "weekly_hours": {day: DESK_JSON for day in DAY_NAMES[:5]},
        "holidays": DAYS_OFF,
        "extra_working_days": {day: DESK_JSON for day in MAKE_UP},
        **changes,
    }
    return BusinessCalendar.model_validate(document)


CN = cn_2026()
PLAIN = BusinessCalendar(weekly_hours=WEEKLY)
# Half day on the eve of National Day: the desk closes at 15:00 on Wed 30 Sep.
HALF_DAY = cn_2026(special_hours={"2026-09-30": [DESK_JSON[0], {"start": "13:00", "end": "15:00"}]})


def at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def both_clocks(
    start: str,
    end: str,
    calendar: BusinessCalendar | YearlyCalendar,
    zone: ZoneInfo = SHANGHAI,
    pauses: tuple[tuple[str, str], ...] = (),
) -> float:
    """The engine's clock in hours, after checking the oracle's independent one agrees."""
    spans = [(at(a), at(b)) for a, b in pauses]
    engine = ticket_clock(at(start), at(end), spans, zone, calendar)
    total = oracle_calendar.business_seconds(at(start), at(end), zone, calendar)
    total -= sum(
        oracle_calendar.business_seconds(max(a, at(start)), min(b, at(end)), zone, calendar)
        for a, b in spans
    )
    assert engine == pytest.approx(total)
    return engine / HOUR


def test_the_package_gives_the_hand_written_cn_2026_year() -> None:
    assert holiday_year("CN", 2026, WEEKLY, DESK) == CN


CN_CASES = [
    # Fri 13 Feb 17:00 -> Sat 14 Feb 10:00: Fri 17-18 (1 h) + make-up Sat 09-10 (1 h).
    ("make-up Saturday", "2026-02-13T17:00+08:00", "2026-02-14T10:00+08:00", 2.0, 1.0),
    # Fri 13 Feb 16:00 -> Tue 24 Feb 10:00: Fri 2 h + Sat 14 Feb 8 h; 16-20 Feb and 23 Feb
    # off, 21-22 a weekend; Tue 09-10 1 h = 11 h. Weekly hours alone: 2 + 5x8 + 8 + 1 = 51 h.
    ("Spring Festival", "2026-02-13T16:00+08:00", "2026-02-24T10:00+08:00", 11.0, 51.0),
    # Wed 30 Sep 17:30 -> Thu 8 Oct 09:30: 0.5 h + 0.5 h, Golden Week 1-7 Oct closed.
    # Weekly hours alone: 0.5 + Thu, Fri, Mon, Tue, Wed (5x8) + 0.5 = 41 h.
    ("Golden Week", "2026-09-30T17:30+08:00", "2026-10-08T09:30+08:00", 1.0, 41.0),
    # Sat 19 Sep 12:00 -> Mon 21 Sep 10:00: make-up Sun 20 Sep 8 h + Mon 1 h.
    ("make-up Sunday", "2026-09-19T12:00+08:00", "2026-09-21T10:00+08:00", 9.0, 1.0),
    # Fri 9 Oct 17:00 -> Mon 12 Oct 09:00: Fri 1 h + make-up Sat 10 Oct 8 h.
    ("after Golden Week", "2026-10-09T17:00+08:00", "2026-10-12T09:00+08:00", 9.0, 1.0),
    # Lunch 12-13 never counts, make-up days included: Sat 14 Feb 11:00 -> 14:00 = 2 h.
    ("make-up lunch", "2026-02-14T11:00+08:00", "2026-02-14T14:00+08:00", 2.0, 0.0),
]


@pytest.mark.parametrize(("name", "start", "end", "cn", "plain"), CN_CASES)
def test_cn_2026_clock(name: str, start: str, end: str, cn: float, plain: float) -> None:
    assert both_clocks(start, end, CN) == pytest.approx(cn), name
    assert both_clocks(start, end, PLAIN) == pytest.approx(plain), name


def test_half_day_closes_at_15() -> None:
    # Wed 30 Sep 14:00 -> Thu 8 Oct 09:30: 14-15 (1 h, closing at 15:00) + 0.5 h.
    assert both_clocks("2026-09-30T14:00+08:00", "2026-10-08T09:30+08:00", HALF_DAY) == 1.5
    # A whole half day: 09-12 + 13-15 = 5 h instead of 8 h.
    assert both_clocks("2026-09-30T00:00+08:00", "2026-10-01T00:00+08:00", HALF_DAY) == 5.0


def test_holiday_inside_a_pause_is_not_taken_twice() -> None:
    # Created Thu 2 Apr 16:00, pending from 17:00 to Mon 6 Apr 12:00 (a holiday), replied
    # Tue 7 Apr 10:00: Thu 16-17 (1 h) + Tue 09-10 (1 h) = 2 h; the pause covers 1 h of
    # Thu and the whole holiday, which has no business time to take away.
    pause = (("2026-04-02T17:00+08:00", "2026-04-06T12:00+08:00"),)
    got = both_clocks("2026-04-02T16:00+08:00", "2026-04-07T10:00+08:00", CN, pauses=pause)
    assert got == 2.0
    # The same span without the pause: Thu 2 h + Fri 3 Apr 8 h + Tue 1 h = 11 h.
    assert both_clocks("2026-04-02T16:00+08:00", "2026-04-07T10:00+08:00", CN) == 11.0


def test_deadlines_follow_make_up_days_and_holidays() -> None:
    start = at("2026-02-13T16:00+08:00")
    # 4 h: Fri 16-18 (2 h), then make-up Sat 14 Feb 09:00-11:00.
    assert due_at(start, 4 * HOUR, (), SHANGHAI, CN) == at("2026-02-14T11:00+08:00")
    # 16 h: Fri 2 h + Sat 8 h = 10 h; then closed until Tue 24 Feb: 09-12 (3 h), 13-16 (3 h).
    assert due_at(start, 16 * HOUR, (), SHANGHAI, CN) == at("2026-02-24T16:00+08:00")
    # Half day: 2 h from Wed 30 Sep 14:00 = 14-15, then Thu 8 Oct 09:00-10:00.
    assert due_at(at("2026-09-30T14:00+08:00"), 2 * HOUR, (), SHANGHAI, HALF_DAY) == at(
        "2026-10-08T10:00+08:00"
    )


def test_extra_working_days_alone_open_then_stop() -> None:
    only = BusinessCalendar(weekly_hours={}, extra_working_days={date(2026, 2, 14): DESK})
    assert last_open_day(only) == date(2026, 2, 14)
    start = at("2026-02-01T00:00+08:00")
    assert due_at(start, 8 * HOUR, (), SHANGHAI, only) == at("2026-02-14T18:00+08:00")
    assert due_at(start, 8 * HOUR + 1, (), SHANGHAI, only) is None


def test_dst_days_keep_their_real_length_on_extra_working_days() -> None:
    # Berlin, 2026: clocks spring forward on Sun 29 Mar (23 h) and fall back on Sun 25 Oct
    # (25 h); worked all day as extra working days.
    whole = parse_hours("00:00-24:00")
    sundays = BusinessCalendar(
        weekly_hours=WEEKLY,
        extra_working_days={date(2026, 3, 29): whole, date(2026, 10, 25): whole},
    )
    assert both_clocks("2026-03-29T00:00+01:00", "2026-03-30T00:00+02:00", sundays, BERLIN) == 23
    assert both_clocks("2026-10-25T00:00+02:00", "2026-10-26T00:00+01:00", sundays, BERLIN) == 25


def test_yearly_versions_apply_from_their_year() -> None:
    early = BusinessCalendar(weekly_hours={d: parse_hours("08:00-18:00") for d in DAY_NAMES[:5]})
    yearly = YearlyCalendar(years={2026: CN, 2027: early})
    # Thu 31 Dec 2026 17:00 (2026 version: 1 h) -> Mon 4 Jan 2027 09:00 (2027 version,
    # opening at 08:00: 1 h); Fri 1 Jan 2027 is not a holiday of the 2027 version: 10 h.
    assert both_clocks("2026-12-31T17:00+08:00", "2027-01-04T09:00+08:00", yearly) == 12
    # Years without a version: the latest earlier one (2028 -> 2027), else the first.
    assert yearly.rules_for(2028) is early
    assert yearly.rules_for(2020) is CN
    assert both_clocks("2025-01-06T08:00+08:00", "2025-01-06T10:00+08:00", yearly) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"extra_working_days": {"2026-01-01": DESK_JSON}}, "holiday and an extra working day"),
        ({"special_hours": {"2026-10-01": DESK_JSON}}, "holiday and has special hours"),
        ({"extra_working_days": {"2026-02-16": DESK_JSON}, "holidays": []}, "special_hours"),
        ({"special_hours": {"2026-03-02": []}}, "at least 1 item"),
    ],
)
def test_calendar_rules_are_checked(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        cn_2026(**change)


def test_yearly_version_dates_stay_in_their_year() -> None:
    with pytest.raises(ValidationError, match="the 2027 version has dates in"):
        YearlyCalendar(years={2027: CN})


def test_agreement_names_a_calendar_or_carries_one() -> None:
    base: dict[str, Any] = {
        "agreement_id": "cn",
        "frt_target_seconds": {"low": 1, "normal": 1, "high": 1, "urgent": 1},
        "resolution_target_seconds": {"low": 1, "normal": 1, "high": 1, "urgent": 1},
    }
    assert MeasurementParams.model_validate({**base, "calendar_id": "cn-default"}).calendar is None
    inline = MeasurementParams.model_validate({**base, "calendar": {"years": {"2026": CN}}})
    assert isinstance(inline.calendar, YearlyCalendar)
    with pytest.raises(ValidationError, match="not both"):
        MeasurementParams.model_validate({**base, "calendar_id": "x", "calendar": PLAIN})
