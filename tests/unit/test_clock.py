"""Ticket clock math: hand-computed tables, properties, and a minute-by-minute reference."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.kpi.clock import (
    _day_intervals,
    business_seconds,
    pause_intervals,
    ticket_clock,
)
from services.core.kpi.params import DAY_NAMES, BusinessCalendar

UTC = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
HOUR = 3600.0
DAY = 86_400.0
INF = math.inf


def at(iso: str) -> float:
    """Epoch seconds of an ISO instant written with its offset, so tables read as wall time."""
    return datetime.fromisoformat(iso).timestamp()


def calendar(hours: dict[str, list[str]], holidays: tuple[str, ...] = ()) -> BusinessCalendar:
    """A calendar from {"mon": ["09:00-12:00", ...]}; "weekdays"/"daily" expand to days."""
    expand = {"weekdays": DAY_NAMES[:5], "daily": DAY_NAMES}
    weekly: dict[str, list[dict[str, str]]] = {}
    for days, spans in hours.items():
        for day in expand.get(days, (days,)):
            weekly[day] = [dict(zip(("start", "end"), s.split("-"), strict=True)) for s in spans]
    return BusinessCalendar.model_validate({"weekly_hours": weekly, "holidays": holidays})


OFFICE = calendar({"weekdays": ["09:00-17:00"]})
LUNCH = calendar({"weekdays": ["09:00-12:00", "13:00-17:00"]})
EVENINGS = calendar({"weekdays": ["20:00-24:00"]})
ALWAYS = calendar({"daily": ["00:00-24:00"]})
OVERLAP = calendar({"mon": ["11:00-14:00", "09:00-12:00", "10:00-11:00"]})
SUNDAYS = calendar({"sun": ["00:00-24:00"]})
SUNDAY_NIGHTS = calendar({"sun": ["01:00-04:00"]})
SUNDAY_GAP = calendar({"sun": ["02:30-05:00"]})  # 02:30 is skipped or repeated on DST days

# 2024-01-08 is a Monday. Berlin: spring forward Sun 2024-03-31 02:00 -> 03:00, fall back
# Sun 2024-10-27 03:00 -> 02:00. Expected values are hours, worked out by hand.
BUSINESS_CASES: list[tuple[str, ZoneInfo, BusinessCalendar | None, str, str, float]] = [
    ("24/7", UTC, None, "2024-01-08T10:00Z", "2024-01-10T12:30Z", 50.5),
    ("within one day", UTC, OFFICE, "2024-01-08T10:00Z", "2024-01-08T15:30Z", 5.5),
    ("start while closed", UTC, OFFICE, "2024-01-08T06:00Z", "2024-01-08T10:00Z", 1),
    ("both while closed", UTC, OFFICE, "2024-01-08T18:00Z", "2024-01-09T08:00Z", 0),
    ("across a weekend", UTC, OFFICE, "2024-01-12T16:00Z", "2024-01-15T10:00Z", 1 + 1),
    (
        "across a holiday",
        UTC,
        calendar({"weekdays": ["09:00-17:00"]}, holidays=("2024-01-09",)),
        "2024-01-08T16:00Z",
        "2024-01-10T10:00Z",
        1 + 0 + 1,
    ),
    ("lunch break", UTC, LUNCH, "2024-01-08T11:00Z", "2024-01-08T14:00Z", 1 + 1),
    ("full split day", UTC, LUNCH, "2024-01-08T00:00Z", "2024-01-09T00:00Z", 7),
    ("ends 24:00", UTC, EVENINGS, "2024-01-08T22:00Z", "2024-01-09T21:00Z", 2 + 1),
    ("up to 24:00", UTC, EVENINGS, "2024-01-08T21:00Z", "2024-01-09T00:00Z", 3),
    ("spring day", BERLIN, SUNDAYS, "2024-03-30T12:00+01:00", "2024-04-01T12:00+02:00", 23),
    ("fall day", BERLIN, SUNDAYS, "2024-10-26T12:00+02:00", "2024-10-28T12:00+01:00", 25),
    ("spring night", BERLIN, SUNDAY_NIGHTS, "2024-03-31T00:00+01:00", "2024-04-01T00:00Z", 2),
    ("fall night", BERLIN, SUNDAY_NIGHTS, "2024-10-27T00:00+02:00", "2024-10-28T00:00Z", 4),
    # Nonexistent 02:30 opens when the clock jumps to 03:00 CEST: 01:00Z-03:00Z.
    ("spring gap", BERLIN, SUNDAY_GAP, "2024-03-31T00:00+01:00", "2024-04-01T00:00Z", 2),
    # Ambiguous 02:30 is its first occurrence (fold=0), 02:30 CEST = 00:30Z, to 04:00Z.
    ("fall repeat", BERLIN, SUNDAY_GAP, "2024-10-27T00:00+02:00", "2024-10-28T00:00Z", 3.5),
    # Kolkata is +05:30: 03:00Z-05:00Z is 08:30-10:30 local, open from 09:00.
    ("+05:30 half hour", KOLKATA, OFFICE, "2024-01-08T03:00Z", "2024-01-08T05:00Z", 1.5),
    # Sunday 20:00Z is already Monday 01:30 local: the local date decides the weekday.
    ("+05:30 local date", KOLKATA, OFFICE, "2024-01-07T20:00Z", "2024-01-08T04:30Z", 1),
    ("overlapping entries", UTC, OVERLAP, "2024-01-08T00:00Z", "2024-01-09T00:00Z", 5),
    ("end before start", UTC, OFFICE, "2024-01-08T15:00Z", "2024-01-08T10:00Z", 0),
    ("empty span", UTC, None, "2024-01-08T10:00Z", "2024-01-08T10:00Z", 0),
]


@pytest.mark.parametrize(
    ("zone", "cal", "start", "end", "hours"),
    [pytest.param(*case[1:], id=case[0]) for case in BUSINESS_CASES],
)
def test_business_seconds(
    zone: ZoneInfo, cal: BusinessCalendar | None, start: str, end: str, hours: float
) -> None:
    assert business_seconds(at(start), at(end), zone, cal) == pytest.approx(hours * HOUR)


MON = at("2024-01-08T00:00Z")
FRI = at("2024-01-12T00:00Z")
# (start, end, pauses) in hours from a day's UTC midnight, expected clock hours.
TICKET_CASES: list[tuple[str, BusinessCalendar | None, float, float, float, list[Any], float]] = [
    ("no pauses", None, MON, 0, 10, [], 10),
    ("overlapping pauses", None, MON, 0, 10, [(1, 3), (2, 4), (3.5, 5)], 10 - 4),
    ("nested pauses", None, MON, 0, 10, [(1, 6), (2, 3)], 10 - 5),
    ("pause around start", None, MON, 2, 10, [(1, 3)], 8 - 1),
    ("pause past end", None, MON, 0, 10, [(9, 12)], 9),
    ("pause outside", None, MON, 0, 10, [(11, 12)], 10),
    # Fri 10:00 -> Mon 12:00 is 7 + 3 office hours; Fri 16:00 -> Mon 10:00 pauses 1 + 1.
    ("pause over weekend", OFFICE, FRI, 10, 24 * 3 + 12, [(16, 24 * 3 + 10)], 10 - 2),
    ("pause to +inf", OFFICE, MON, 9, 17, [(13, INF)], 4),
    ("paused throughout", OFFICE, MON, 9, 17, [(0, INF)], 0),
    ("end before start", None, MON, 10, 5, [(6, 7)], 0),
]


@pytest.mark.parametrize(
    ("cal", "day", "start_h", "end_h", "pauses_h", "hours"),
    [pytest.param(*case[1:], id=case[0]) for case in TICKET_CASES],
)
def test_ticket_clock(
    cal: BusinessCalendar | None,
    day: float,
    start_h: float,
    end_h: float,
    pauses_h: list[tuple[float, float]],
    hours: float,
) -> None:
    pauses = [(day + p0 * HOUR, day + p1 * HOUR) for p0, p1 in pauses_h]
    clock = ticket_clock(day + start_h * HOUR, day + end_h * HOUR, pauses, UTC, cal)
    assert clock == pytest.approx(hours * HOUR)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param([], [], id="no changes"),
        pytest.param([(0, "open"), (5, "solved")], [], id="never paused"),
        pytest.param(
            [(1, "pending"), (2, "on_hold"), (3, "open"), (4, "pending"), (5, "solved")],
            [(1, 3), (4, 5)],
            id="pending then on_hold is one pause",
        ),
        pytest.param(
            [(1, "on_hold"), (2, "resolved"), (3, "pending"), (4, "reopened")],
            [(1, 2), (3, 4)],
            id="pseudo-statuses end a pause",
        ),
        pytest.param([(1, "pending"), (2, "closed"), (3, "pending")], [(1, 2), (3, INF)]),
    ],
)
def test_pause_intervals(
    changes: list[tuple[float, str]], expected: list[tuple[float, float]]
) -> None:
    assert pause_intervals(changes) == expected


def test_pause_intervals_rejects_unknown_status() -> None:
    with pytest.raises(ValueError, match="unknown ticket status"):
        pause_intervals([(1, "waiting")])


def test_ninety_days_cost_one_lookup_per_day() -> None:
    _day_intervals.cache_clear()
    start = at("2024-01-01T00:00+01:00")
    business_seconds(start, start + 90 * DAY, BERLIN, OFFICE)
    assert _day_intervals.cache_info().misses <= 90 + 3


# --- properties -------------------------------------------------------------------------

# Per zone: its 2024 DST-change dates (or a plain date) and the wall-clock range, in minutes,
# that DST repeats. The reference below reads the wall clock, so an opening bound strictly
# inside a repeated hour would count it twice there but once in clock.py (fold=0): bounds
# stay out of that range. Bounds inside skipped hours stay in.
ZONES: dict[str, tuple[list[date], tuple[int, int]]] = {
    "UTC": ([date(2024, 1, 8)], (0, 0)),
    "Asia/Kolkata": ([date(2024, 1, 8)], (0, 0)),
    "Europe/Berlin": ([date(2024, 3, 31), date(2024, 10, 27)], (120, 180)),
    "America/New_York": ([date(2024, 3, 10), date(2024, 11, 3)], (60, 120)),
    "Australia/Lord_Howe": ([date(2024, 4, 7), date(2024, 10, 6)], (90, 120)),
}


def bound_grid(zone: str, last: int = 24 * 60) -> list[int]:
    """Opening bounds (minutes after local midnight, 15-minute steps) safe for `reference`."""
    lo, hi = ZONES[zone][1]
    return [m for m in range(0, last + 1, 15) if not lo < m < hi]


def hhmm(minute: int) -> str:
    return f"{minute // 60:02}:{minute % 60:02}"


Scenario = tuple[ZoneInfo, BusinessCalendar, float]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A zone, a random calendar for it, and an instant (whole minute) up to 2 days before
    one of its DST changes."""
    name = draw(st.sampled_from(sorted(ZONES)))
    dst_days = ZONES[name][0]
    bounds = st.sampled_from(bound_grid(name))
    # Entries may overlap: BusinessCalendar allows it.
    spans = st.lists(st.tuples(bounds, bounds).filter(lambda p: p[0] < p[1]), max_size=2)
    weekly = {
        day: [{"start": hhmm(a), "end": hhmm(b)} for a, b in draw(spans)] for day in DAY_NAMES
    }
    anchor = draw(st.sampled_from(dst_days)) - timedelta(days=draw(st.integers(0, 2)))
    holidays = draw(st.sets(st.integers(0, 14)).map(lambda s: [anchor + timedelta(d) for d in s]))
    cal = BusinessCalendar.model_validate({"weekly_hours": weekly, "holidays": holidays})
    start = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC).timestamp()
    return ZoneInfo(name), cal, start


offsets = st.floats(min_value=0, max_value=10 * DAY, allow_nan=False)
minutes = st.integers(min_value=0, max_value=2 * 24 * 60)


@given(scenarios(), offsets, offsets, offsets)
def test_additive(scenario: Scenario, skip: float, first: float, second: float) -> None:
    zone, cal, anchor = scenario
    a = anchor + skip
    b, c = a + first, a + first + second
    split = business_seconds(a, b, zone, cal) + business_seconds(b, c, zone, cal)
    assert business_seconds(a, c, zone, cal) == pytest.approx(split, abs=1e-6)


@given(scenarios(), offsets, offsets)
def test_bounded_by_elapsed(scenario: Scenario, skip: float, span: float) -> None:
    zone, cal, anchor = scenario
    a = anchor + skip
    assert 0 <= business_seconds(a, a + span, zone, cal) <= span + 1e-6


@given(st.floats(min_value=1.6e9, max_value=1.8e9), offsets)
def test_always_open_calendar_counts_elapsed(a: float, span: float) -> None:
    assert business_seconds(a, a + span, UTC, ALWAYS) == pytest.approx(span, abs=1e-6)


pause_lists = st.lists(
    st.tuples(offsets, st.one_of(st.just(INF), st.floats(min_value=0, max_value=3 * DAY))),
    max_size=5,
)


@given(scenarios(), pause_lists, offsets, offsets, offsets)
def test_ticket_clock_bounded_and_monotone(
    scenario: Scenario,
    raw_pauses: list[tuple[float, float]],
    skip: float,
    span: float,
    more: float,
) -> None:
    zone, cal, anchor = scenario
    a = anchor + skip
    pauses = [(anchor + p0, anchor + p0 + length) for p0, length in raw_pauses]
    clock = ticket_clock(a, a + span, pauses, zone, cal)
    assert 0 <= clock <= business_seconds(a, a + span, zone, cal) + 1e-6
    assert clock <= ticket_clock(a, a + span + more, pauses, zone, cal) + 1e-6


def reference(a: float, b: float, zone: ZoneInfo, cal: BusinessCalendar) -> float:
    """Business seconds by looking at the wall clock once a minute (a, b whole minutes).

    A minute counts if its local date is no holiday and its wall time lies in an opening
    interval of that date. This matches clock.py's fold=0 rule except for interval bounds
    strictly inside a repeated (autumn) hour, which the per-zone grids in ZONES avoid.
    """
    total = 0.0
    for instant in range(int(a), int(b), 60):
        local = datetime.fromtimestamp(instant, zone)
        if local.date() in cal.holidays:
            continue
        wall = local.time()
        for hours in cal.weekly_hours.get(DAY_NAMES[local.weekday()], ()):
            if hours.start <= wall and (hours.end is None or wall < hours.end):
                total += 60
                break
    return total


@given(scenarios(), minutes, st.integers(min_value=0, max_value=3 * 24 * 60 - 1))
def test_matches_minute_by_minute_reference(scenario: Scenario, skip: int, span: int) -> None:
    zone, cal, anchor = scenario
    a = anchor + skip * 60
    b = a + span * 60
    assert business_seconds(a, b, zone, cal) == pytest.approx(reference(a, b, zone, cal))


@given(st.data())
def test_dst_nights_match_reference(data: st.DataObject) -> None:
    # Random calendars rarely put a bound into the skipped hour of the one DST night in
    # their window, so aim at it: one night-time interval on each DST-change day.
    name = data.draw(st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]))
    day = data.draw(st.sampled_from(ZONES[name][0]))
    night = st.sampled_from(bound_grid(name, last=300))
    a, b = data.draw(st.tuples(night, night).filter(lambda p: p[0] < p[1]))
    hours = {DAY_NAMES[day.weekday()]: [{"start": hhmm(a), "end": hhmm(b)}]}
    cal = BusinessCalendar.model_validate({"weekly_hours": hours})
    zone = ZoneInfo(name)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() - DAY
    end = start + 3 * DAY
    assert business_seconds(start, end, zone, cal) == reference(start, end, zone, cal)
