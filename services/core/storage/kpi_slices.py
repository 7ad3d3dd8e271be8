"""Figures per slice of a dimension (`by=`), from the slice buckets the workers store.

The totals' reader (services/core/storage/kpi_reader.py) reads buckets whose slice is ""; this one
reads the buckets of one dimension's slices and evaluates each slice as the totals are
evaluated. `SqlKpiReader` is a `SliceReader` too; tests serve slices from memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from services.core.kpi.params import MeasurementParams
from services.core.kpi.slice_windows import (
    SLICE_WINDOWS,
    DayFigures,
    SliceBucket,
    day_figures,
    evaluate_slices,
    local_days,
)
from services.core.kpi.windows import WindowResult, current_periods, period_bounds
from services.core.storage.kpi_reader import bucket_ranges


@runtime_checkable
class SliceReader(Protocol):
    """What a breakdown reads: the stream time and one dimension's slice buckets."""

    async def stream_time(self, agreement_id: str) -> float | None: ...

    async def load_slices(
        self,
        agreement_id: str,
        dimension: str,
        granularity: str,
        min_start: float,
        max_start: float,
    ) -> list[SliceBucket]: ...


@dataclass(frozen=True, slots=True)
class SlicedWindow:
    """A window's bounds and the figures of each slice that has items in it."""

    bounds: WindowResult
    slices: dict[str, WindowResult]


@dataclass(frozen=True, slots=True)
class SlicedKpis:
    agreement_id: str
    dimension: str
    stream_time: float | None
    windows: dict[str, SlicedWindow]


def slice_window_names(
    stream_time: float, params: MeasurementParams, period: str | None, window: str | None
) -> list[str]:
    """The asked period or window, else the hourly rolling windows and current periods."""
    if period is not None:
        return [period]
    if window is not None:
        return [window]
    return [*SLICE_WINDOWS, *current_periods(stream_time, params.zone).values()]


def slice_ranges(
    names: list[str], stream_time: float, params: MeasurementParams
) -> dict[str, tuple[float, float]]:
    """`bucket_ranges` with each quarter read as its three month buckets."""
    ranges = bucket_ranges(names, stream_time, params)
    quarter = ranges.pop("quarter", None)
    if quarter is not None:
        first = datetime.fromtimestamp(quarter[1], params.zone)  # the quarter's first month
        last = period_bounds(f"{first.year:04d}-{first.month + 2:02d}", params.zone)[0]
        lo, hi = ranges.get("month", (quarter[0], last))
        ranges["month"] = (min(lo, quarter[0]), max(hi, last))
    return ranges


async def agreement_kpis_by(
    reader: SliceReader,
    params: MeasurementParams,
    dimension: str,
    *,
    as_of: float | None = None,
    period: str | None = None,
    window: str | None = None,
) -> SlicedKpis:
    """Figures per slice of `dimension` at `as_of` (default: the stream time)."""
    agreement_id = params.agreement_id
    at = as_of if as_of is not None else await reader.stream_time(agreement_id)
    if at is None:
        return SlicedKpis(agreement_id, dimension, None, {})
    names = slice_window_names(at, params, period, window)
    buckets: list[SliceBucket] = []
    for granularity, (first, last) in slice_ranges(names, at, params).items():
        buckets += await reader.load_slices(agreement_id, dimension, granularity, first, last)
    windows = {}
    for name in names:
        bounds, slices = evaluate_slices(buckets, params, at, name)
        windows[name] = SlicedWindow(bounds, slices)
    return SlicedKpis(agreement_id, dimension, at, windows)


async def daily_by(
    reader: SliceReader,
    params: MeasurementParams,
    dimension: str,
    since: float,
    until: float,
) -> Sequence[DayFigures]:
    """Figures per slice of each local day overlapping [since, until)."""
    at = await reader.stream_time(params.agreement_id)
    days = local_days(since, until, params)
    if at is None or not days:
        return [DayFigures(lo, hi, {}) for lo, hi in days]
    buckets = await reader.load_slices(
        params.agreement_id, dimension, "hour", days[0][0] - 3600, days[-1][1]
    )
    return day_figures(buckets, params, at, days)
