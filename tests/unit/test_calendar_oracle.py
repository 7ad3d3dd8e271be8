"""The engine's ticket clock and deadlines agree with the oracle's own business-time code on
random calendars: several intervals a day, holidays, extra working days, special hours and
yearly versions, in zones with and without DST, around their clock changes."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.core.kpi.clock import ticket_clock
from services.core.kpi.deadlines import due_at
from services.core.kpi.params import DAY_NAMES, BusinessCalendar, OpeningHours, YearlyCalendar
from services.core.kpi.windows import ROLLING_WINDOWS, current_periods
from tests.engine_harness import Harness
from tests.histories import AGREEMENTS, HistorySpec, generate, parsed
from tests.oracle import calendar as oracle_calendar
from tests.oracle import figures as oracle
from tests.unit.test_engine_vs_oracle import PARAMS, assert_same

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe"]
# Around 2026's clock changes of those zones, and a year boundary (yearly versions).
ANCHORS = [date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 10, 4)]
ANCHORS += [date(2026, 10, 25), date(2026, 11, 1), date(2026, 12, 30), date(2026, 6, 15)]
DAY = 86_400.0


@st.composite
def hours(draw: st.DrawFn, min_size: int = 0) -> tuple[OpeningHours, ...]:
    """Up to three intervals on a 30-minute grid (may overlap, may end at 24:00)."""
    spans = []
    for _ in range(draw(st.integers(min_size, 3))):
        a = draw(st.integers(0, 47))
        b = draw(st.integers(a + 1, 48))
        end = None if b == 48 else time(b // 2, 30 * (b % 2))
        spans.append(OpeningHours(start=time(a // 2, 30 * (a % 2)), end=end))
    return tuple(spans)


@st.composite
def year_rules(draw: st.DrawFn, days: list[date]) -> BusinessCalendar:
    weekly = {name: draw(hours()) for name in DAY_NAMES if draw(st.booleans())}
    dated: dict[str, Any] = {"holidays": set(), "extra_working_days": {}, "special_hours": {}}
    for day in days:
        kind = draw(st.sampled_from(["weekly", "weekly", "holiday", "own hours"]))
        if kind == "holiday":
            dated["holidays"].add(day)
        elif kind == "own hours":
            # Extra working day on a closed weekday, special hours on an open one.
            field = (
                "special_hours" if weekly.get(DAY_NAMES[day.weekday()]) else "extra_working_days"
            )
            dated[field][day] = draw(hours(min_size=1))
    return BusinessCalendar(weekly_hours=weekly, **dated)


@st.composite
def cases(draw: st.DrawFn) -> tuple[ZoneInfo, Any, float, float, list[tuple[float, float]]]:
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    anchor = draw(st.sampled_from(ANCHORS))
    days = [anchor + timedelta(days=k) for k in range(-3, 10)]
    if draw(st.booleans()):
        calendar: Any = draw(year_rules(days))
    else:  # two yearly versions around the new year
        by_year = {y: [d for d in days if d.year == y] for y in (anchor.year, anchor.year + 1)}
        calendar = YearlyCalendar(years={y: draw(year_rules(ds)) for y, ds in by_year.items()})
    base = datetime(anchor.year, anchor.month, anchor.day, tzinfo=zone).timestamp() - 2 * DAY
    start = base + draw(st.integers(0, 4 * 86_400))
    end = start + draw(st.integers(0, 8 * 86_400))
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        p0 = start + draw(st.integers(-DAY, 8 * 86_400))
        pauses.append((float(p0), float(p0 + draw(st.integers(1, 3 * 86_400)))))
    return zone, calendar, float(start), float(end), pauses


def oracle_clock(start: float, end: float, pauses: Any, zone: ZoneInfo, calendar: Any) -> float:
    """The oracle's reading: business time minus the business time paused inside it."""
    merged: list[tuple[float, float]] = []
    for a, b in sorted(pauses):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    total = oracle_calendar.business_seconds(start, end, zone, calendar)
    for a, b in merged:
        total -= oracle_calendar.business_seconds(max(a, start), min(b, end), zone, calendar)
    return total


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_clock_agrees_with_the_oracle(case: Any) -> None:
    zone, calendar, start, end, pauses = case
    engine = ticket_clock(start, end, pauses, zone, calendar)
    assert engine == pytest.approx(oracle_clock(start, end, pauses, zone, calendar), abs=1e-6)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), target=st.integers(1, 40 * 3_600))
def test_deadline_is_where_the_oracle_clock_reaches_the_target(case: Any, target: int) -> None:
    zone, calendar, start, _, pauses = case
    due = due_at(start, target, pauses, zone, calendar)
    horizon = start + 12 * DAY  # past every dated entry and pause of the case
    if due is None:
        assert oracle_clock(start, horizon, pauses, zone, calendar) < target + 1e-6
        return
    assert oracle_clock(start, due, pauses, zone, calendar) == pytest.approx(target, abs=1e-6)
    # and not earlier: one second before, the clock is short of the target
    assert oracle_clock(start, due - 1, pauses, zone, calendar) < target


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_engine_figures_equal_the_oracle_with_random_calendars(
    data: st.DataObject, seed: int
) -> None:
    """Every figure of every window, with the demo agreements' calendars replaced by random
    ones with holidays, extra working days and special hours over the histories' days
    (28 Sep to 3 Oct 2026, around Golden Week)."""
    days = [date(2026, 9, 24) + timedelta(days=k) for k in range(16)]
    params = {
        agreement_id: p.model_copy(update={"calendar": data.draw(year_rules(days))})
        for agreement_id, p in PARAMS.items()
    }
    events = parsed(generate(seed, HistorySpec(tickets=25, calls=5, span_hours=120.0)))
    harness = Harness(params)
    harness.publish(events)
    harness.consume(batch=16)
    for agreement_id in AGREEMENTS:
        stream_time = oracle.stream_time(events, agreement_id)
        if stream_time is None:
            continue
        periods = current_periods(stream_time, params[agreement_id].zone).values()
        for window in ("24h", "7d", "30d", *periods):
            result = harness.evaluate(agreement_id, window)
            want = oracle.batch_figures(
                events,
                params,
                agreement_id,
                result.start,
                result.end,
                stream_time,
                calendar_period=window not in ROLLING_WINDOWS,
            )
            assert_same(f"{agreement_id} {window}", result.figures, want)
