"""Figures per slice of a dimension: windows, calendar periods and day buckets.

Slice buckets are ordinary buckets that carry a slice value (services/core/kpi/slices.py),
so a slice's figures come from `windows.evaluate` like the totals' do. Only hour and month
buckets have slices (a quarter merges its months): the rolling windows of hour granularity
(6 h, 24 h, 3 d, 7 d, 30 d), calendar periods and local days are available per slice, the
minute windows are not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.core.kpi.aggregate import Aggregate
from services.core.kpi.figures import Figure, compute_figures
from services.core.kpi.params import MeasurementParams
from services.core.kpi.windows import (
    HOUR,
    ROLLING_WINDOWS,
    WindowResult,
    evaluate,
    period_bounds,
    provisional_threshold,
)

SliceBucket = tuple[str, str, float, Aggregate]  # (slice value, granularity, start, aggregate)
SLICE_WINDOWS = tuple(name for name, (_, g) in ROLLING_WINDOWS.items() if g == HOUR)
DAY_SECONDS = 86_400.0


def sliceable(window: str) -> bool:
    """Whether `window` has slices: an hourly rolling window or a calendar period."""
    return window in SLICE_WINDOWS or window not in ROLLING_WINDOWS


def by_value(buckets: Iterable[SliceBucket]) -> dict[str, list[tuple[str, float, Aggregate]]]:
    grouped: dict[str, list[tuple[str, float, Aggregate]]] = defaultdict(list)
    for value, granularity, start, agg in buckets:
        grouped[value].append((granularity, start, agg))
    return dict(grouped)


def evaluate_slices(
    buckets: Iterable[SliceBucket], params: MeasurementParams, stream_time: float, window: str
) -> tuple[WindowResult, dict[str, WindowResult]]:
    """(bounds, figures per slice value) of `window`; slices without items are left out.

    A quarter's slices are the merge of its months' slice buckets (slices keep no quarter
    buckets): months start and end on local month boundaries, so the merge is exact.
    """
    if window not in ROLLING_WINDOWS and "Q" in window:
        start, end = period_bounds(window, params.zone)
        buckets = [
            (v, "quarter", start, a) if g == "month" and start <= s < end else (v, g, s, a)
            for v, g, s, a in buckets
        ]
    results = {
        value: evaluate(rows, params, stream_time, window)
        for value, rows in sorted(by_value(buckets).items())
    }
    empty = evaluate([], params, stream_time, window)
    return empty, {v: r for v, r in results.items() if any(f.n for f in r.figures.values())}


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One local day [start, end) of the agreement's zone and its figures per slice."""

    start: float
    end: float
    slices: dict[str, dict[str, Figure]]


def local_days(since: float, until: float, params: MeasurementParams) -> list[tuple[float, float]]:
    """The local days of the agreement's zone that overlap [since, until)."""
    zone = params.zone
    day = datetime.fromtimestamp(since, zone).date()
    days: list[tuple[float, float]] = []
    while True:
        start = _midnight(day, params)
        if start >= until:
            return days
        days.append((start, _midnight(day + timedelta(days=1), params)))
        day += timedelta(days=1)


def _midnight(day: date, params: MeasurementParams) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=params.zone).timestamp()


def day_figures(
    buckets: Iterable[SliceBucket],
    params: MeasurementParams,
    stream_time: float,
    days: list[tuple[float, float]],
) -> list[DayFigures]:
    """Figures per slice of each local day: the hour buckets that start in the day.

    In zones whose offset is not a whole number of hours, the hour that straddles midnight
    counts with the day it starts in (as for calendar periods, docs/kpis.md).
    """
    threshold = provisional_threshold(stream_time, params)
    sums: dict[tuple[int, str], Aggregate] = {}
    provisional: dict[tuple[int, str], int] = defaultdict(int)
    for value, granularity, start, agg in buckets:
        if granularity != "hour":
            continue
        for i, (lo, hi) in enumerate(days):
            if lo <= start < hi:
                sums.setdefault((i, value), Aggregate()).merge(agg)
                if start >= threshold:
                    provisional[(i, value)] += agg.counts.get(
                        "fcr_tickets_credited", 0
                    ) + agg.counts.get("fcr_calls_credited", 0)
                break
    result = []
    for i, (lo, hi) in enumerate(days):
        slices = {
            value: compute_figures(agg, provisional[(i, value)])
            for (day, value), agg in sorted(sums.items())
            if day == i and not agg.is_empty
        }
        result.append(DayFigures(lo, hi, slices))
    return result
