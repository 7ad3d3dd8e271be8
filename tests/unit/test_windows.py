"""Bucket keys of an instant: the cached calendar arithmetic equals the exact one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from services.core.kpi.windows import buckets_for, period_bounds, periods_of

ZONES = [
    ZoneInfo(name)
    for name in ("UTC", "Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu", "Africa/Monrovia")
]


def exact(instant: float, zone: ZoneInfo) -> dict[str, float]:
    periods = periods_of(instant, zone)
    return {
        "month": period_bounds(periods["month"], zone)[0],
        "quarter": period_bounds(periods["quarter"], zone)[0],
    }


@given(
    # 1960 to 2100, in milliseconds: event times are RFC 3339 with at most that precision
    # in practice, and datetime rounds below a microsecond.
    millis=st.integers(-315_619_200_000, 4_102_444_800_000),
    zone=st.sampled_from(ZONES),
)
def test_calendar_buckets_are_those_of_the_exact_calendar(millis: int, zone: ZoneInfo) -> None:
    instant = millis / 1000
    got = dict(buckets_for(instant, zone))
    assert {k: got[k] for k in ("month", "quarter")} == exact(instant, zone)
    assert got["minute"] <= instant < got["minute"] + 60
    assert got["hour"] <= instant < got["hour"] + 3600


def test_a_month_boundary_inside_a_minute_is_not_missed() -> None:
    # Monrovia was 44 min 30 s behind UTC until 1972: its months began at hh:mm:30 UTC.
    zone = ZoneInfo("Africa/Monrovia")
    boundary = datetime(1965, 3, 1, tzinfo=zone).timestamp()
    assert boundary % 60 == 30
    before, after = dict(buckets_for(boundary - 1, zone)), dict(buckets_for(boundary, zone))
    assert after["month"] == boundary
    assert before["month"] < boundary
