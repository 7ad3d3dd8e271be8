"""Deadlines invert the ticket clock: hand-checked cases on the demo calendars, properties."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.kpi.clock import ticket_clock
from services.core.kpi.deadlines import due_at
from services.core.kpi.params import MeasurementParams, load_measurement_params

PARAMS = load_measurement_params(Path(__file__).parents[2] / "deploy/agreements/demo.yaml")
ACME = PARAMS["acme-helpdesk"]  # Berlin; Mon-Thu 08-18, Fri 08-16; Christmas holidays
GLOBEX = PARAMS["globex-hotline"]  # New York, 24/7
INITECH = PARAMS["initech-support"]  # Kolkata; 09-13 + 14-18:30, Sat 10-14; 2 Oct holiday
HOUR = 3600.0
INF = math.inf


def at(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


# (id, agreement, start, target hours, pauses as ISO pairs (None end: +inf), due or None)
CASES: list[tuple[str, MeasurementParams, str, float, list[tuple[str, str | None]], str | None]] = [
    ("24/7", GLOBEX, "2026-10-12T10:00-04:00", 3, [], "2026-10-12T13:00-04:00"),
    ("24/7 across fall back", GLOBEX, "2026-11-01T00:30-04:00", 3, [], "2026-11-01T02:30-05:00"),
    ("zero target", ACME, "2026-10-12T20:00+02:00", 0, [], "2026-10-12T20:00+02:00"),
    ("inside a day", ACME, "2026-10-12T09:00+02:00", 4, [], "2026-10-12T13:00+02:00"),
    ("ends at closing", ACME, "2026-10-12T17:00+02:00", 1, [], "2026-10-12T18:00+02:00"),
    ("start while closed", ACME, "2026-10-12T06:00+02:00", 1, [], "2026-10-12T09:00+02:00"),
    ("over a weekend", ACME, "2026-10-16T15:00+02:00", 4, [], "2026-10-19T11:00+02:00"),
    ("over DST end", ACME, "2026-10-23T15:00+02:00", 4, [], "2026-10-26T11:00+01:00"),
    ("over holidays", ACME, "2026-12-23T17:00+01:00", 4, [], "2026-12-28T11:00+01:00"),
    ("lunch break", INITECH, "2026-10-01T12:00+05:30", 2, [], "2026-10-01T15:00+05:30"),
    ("holiday to saturday", INITECH, "2026-10-01T17:30+05:30", 4, [], "2026-10-03T13:00+05:30"),
    (
        "paused then resumed",
        ACME,
        "2026-10-12T09:00+02:00",
        3,
        [("2026-10-12T10:00+02:00", "2026-10-12T14:00+02:00")],
        "2026-10-12T16:00+02:00",
    ),
    (
        "pause around start",
        GLOBEX,
        "2026-10-12T09:00-04:00",
        1,
        [("2026-10-12T08:00-04:00", "2026-10-12T09:30-04:00")],
        "2026-10-12T10:30-04:00",
    ),
    (
        "due as the pause starts",
        ACME,
        "2026-10-12T09:00+02:00",
        1,
        [("2026-10-12T10:00+02:00", None)],
        "2026-10-12T10:00+02:00",
    ),
    (
        "paused for good",
        ACME,
        "2026-10-12T09:00+02:00",
        3,
        [("2026-10-12T10:00+02:00", None)],
        None,
    ),
]


@pytest.mark.parametrize(
    ("params", "start", "hours", "pauses", "due"), [pytest.param(*c[1:], id=c[0]) for c in CASES]
)
def test_due_at(
    params: MeasurementParams,
    start: str,
    hours: float,
    pauses: list[tuple[str, str | None]],
    due: str | None,
) -> None:
    spans = [(at(p0), INF if p1 is None else at(p1)) for p0, p1 in pauses]
    got = due_at(at(start), hours * HOUR, spans, params.zone, params.calendar)
    assert got == (None if due is None else pytest.approx(at(due)))


def test_calendar_without_opening_hours_never_falls_due() -> None:
    closed = ACME.calendar.model_copy(update={"weekly_hours": {"mon": ()}})  # type: ignore[union-attr]
    assert due_at(at("2026-10-12T09:00+02:00"), 60, [], ACME.zone, closed) is None


# --- properties -------------------------------------------------------------------------

YEAR_2026 = at("2026-01-01T00:00Z")
instants = st.floats(min_value=YEAR_2026, max_value=YEAR_2026 + 360 * 86_400)
targets = st.floats(min_value=0, max_value=20 * 86_400)
pause_lists = st.lists(
    st.tuples(
        st.floats(min_value=-3 * 86_400, max_value=40 * 86_400),
        st.floats(min_value=0, max_value=5 * 86_400) | st.just(INF),
    ),
    max_size=4,
)


def absolute(start: float, pauses: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(start + offset, start + offset + length) for offset, length in pauses]


@given(st.sampled_from(list(PARAMS.values())), instants, targets, pause_lists)
def test_the_clock_reads_the_target_at_the_due_instant_and_not_before(
    params: MeasurementParams, start: float, target: float, pauses: list[tuple[float, float]]
) -> None:
    spans = absolute(start, pauses)
    due = due_at(start, target, spans, params.zone, params.calendar)
    clock_at_inf = ticket_clock(start, start + 400 * 86_400, spans, params.zone, params.calendar)
    if due is None:
        assert any(math.isinf(p1) for _, p1 in spans)
        assert clock_at_inf < target
        return
    assert ticket_clock(start, due, spans, params.zone, params.calendar) == pytest.approx(
        target, abs=1e-6
    )
    if target > 0:
        assert ticket_clock(start, due - 1, spans, params.zone, params.calendar) < target


@given(st.sampled_from(list(PARAMS.values())), instants, targets, targets, pause_lists)
def test_due_instant_is_monotone_in_the_target(
    params: MeasurementParams,
    start: float,
    a: float,
    b: float,
    pauses: list[tuple[float, float]],
) -> None:
    low, high = sorted((a, b))
    spans = absolute(start, pauses)
    due_low = due_at(start, low, spans, params.zone, params.calendar)
    due_high = due_at(start, high, spans, params.zone, params.calendar)
    if due_low is None:
        assert due_high is None
    elif due_high is not None:
        assert due_low <= due_high
