"""Which buckets an item lands in, and how buckets make windows and calendar periods.

Rolling windows are unions of aligned UTC buckets (minutes for 1 h, hours beyond), so a
window is exact at bucket granularity and merging is cheap. Calendar periods (month,
quarter) are buckets of their own in the agreement's zone, so period figures are exact even
in zones whose offset is not a whole number of hours. See docs/kpis.md, "Windows".
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from services.core.kpi.aggregate import Aggregate
from services.core.kpi.figures import Figure, compute_figures
from services.core.kpi.params import MeasurementParams

MINUTE = 60
HOUR = 3600
# The reporting windows of the agreement (1h, 24h, 7d, 30d) plus the short and long windows
# the multi-window burn-rate alerts compare (5m, 30m, 6h, 3d).
ROLLING_WINDOWS: dict[str, tuple[int, int]] = {
    "5m": (5 * MINUTE, MINUTE),
    "30m": (30 * MINUTE, MINUTE),
    "1h": (HOUR, MINUTE),
    "6h": (6 * HOUR, HOUR),
    "24h": (24 * HOUR, HOUR),
    "3d": (3 * 24 * HOUR, HOUR),
    "7d": (7 * 24 * HOUR, HOUR),
    "30d": (30 * 24 * HOUR, HOUR),
}
GRANULARITY_SECONDS = {"minute": MINUTE, "hour": HOUR}
_PERIOD = re.compile(r"^(?P<year>\d{4})-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4]))$")


@dataclass(frozen=True, slots=True)
class WindowResult:
    window: str
    start: float
    end: float
    figures: dict[str, Figure]


def _floor(t: float, g: int) -> float:
    return float(math.floor(t / g) * g)


def _local_start(year: int, month: int, zone: ZoneInfo) -> float:
    return datetime(year, month, 1, tzinfo=zone).timestamp()


def period_bounds(period: str, zone: ZoneInfo) -> tuple[float, float]:
    """[start, end) of a month `YYYY-MM` or quarter `YYYY-Qn` in local time of `zone`."""
    match = _PERIOD.match(period)
    if match is None:
        raise ValueError(f"period must look like 2026-10 or 2026-Q4, got {period!r}")
    year = int(match["year"])
    first = int(match["month"]) if match["month"] else 3 * int(match["quarter"]) - 2
    length = 1 if match["month"] else 3
    end_month = first + length
    end_year, end_month = (year + 1, end_month - 12) if end_month > 12 else (year, end_month)
    return _local_start(year, first, zone), _local_start(end_year, end_month, zone)


def periods_of(instant: float, zone: ZoneInfo) -> dict[str, str]:
    """The month and quarter labels that contain `instant` in `zone`."""
    local = datetime.fromtimestamp(instant, zone)
    return {
        "month": f"{local.year:04d}-{local.month:02d}",
        "quarter": f"{local.year:04d}-Q{(local.month - 1) // 3 + 1}",
    }


current_periods = periods_of


def _period_starts_exact(instant: float, zone: ZoneInfo) -> tuple[float, float, float]:
    """(month start, quarter start, end of the month) of `instant` in `zone`."""
    periods = periods_of(instant, zone)
    month_start, month_end = period_bounds(periods["month"], zone)
    return month_start, period_bounds(periods["quarter"], zone)[0], month_end


@functools.lru_cache(maxsize=8192)
def _period_starts_of_minute(minute: int, zone: ZoneInfo) -> tuple[float, float, float]:
    return _period_starts_exact(minute * MINUTE, zone)


def buckets_for(instant: float, zone: ZoneInfo) -> list[tuple[str, float]]:
    """Every (granularity, bucket start) an item attributed at `instant` is counted in."""
    # Calendar arithmetic is the engine's hottest path: cache it per UTC minute, and fall
    # back to the exact computation when a month boundary falls inside that minute (only
    # zones with offsets in seconds, i.e. before 1972).
    month, quarter, month_end = _period_starts_of_minute(int(instant // MINUTE), zone)
    if instant >= month_end:
        month, quarter, _ = _period_starts_exact(instant, zone)
    return [
        ("minute", _floor(instant, MINUTE)),
        ("hour", _floor(instant, HOUR)),
        ("month", month),
        ("quarter", quarter),
    ]


def window_bounds(window: str, stream_time: float) -> tuple[float, float]:
    """[start, end) of a rolling window: the W/g buckets ending with the bucket of T."""
    length, g = ROLLING_WINDOWS[window]
    end = _floor(stream_time, g) + g
    return end - length, end


def needed_buckets(window: str, stream_time: float, zone: ZoneInfo) -> tuple[str, float, float]:
    """(granularity, first bucket start, last bucket start) that make up `window`."""
    if window in ROLLING_WINDOWS:
        _, g = ROLLING_WINDOWS[window]
        start, end = window_bounds(window, stream_time)
        return ("minute" if g == MINUTE else "hour"), start, end - g
    start, _ = period_bounds(window, zone)
    granularity = "month" if "Q" not in window else "quarter"
    return granularity, start, start


def provisional_threshold(stream_time: float, params: MeasurementParams) -> float:
    """FCR credits at or after this instant may still be withdrawn."""
    return _floor(stream_time, HOUR) + HOUR - params.fcr_horizon_seconds


def _credited(agg: Aggregate) -> int:
    return agg.counts.get("fcr_tickets_credited", 0) + agg.counts.get("fcr_calls_credited", 0)


def evaluate(
    buckets: Iterable[tuple[str, float, Aggregate]],
    params: MeasurementParams,
    stream_time: float,
    window: str,
) -> WindowResult:
    """Figures of `window` at `stream_time` from any superset of the buckets it needs.

    For calendar periods, pass the hour buckets of the period's last FCR horizon too: the
    provisional FCR count comes from them (boundary hours count with the period they start
    in, see docs/kpis.md).
    """
    zone = params.zone
    granularity, first, last = needed_buckets(window, stream_time, zone)
    if window in ROLLING_WINDOWS:
        start, end = window_bounds(window, stream_time)
    else:
        start, end = period_bounds(window, zone)
    threshold = provisional_threshold(stream_time, params)
    total = Aggregate()
    provisional = 0
    for gran, bucket_start, agg in buckets:
        if gran == granularity and first <= bucket_start <= last:
            total.merge(agg)
            if gran in GRANULARITY_SECONDS and bucket_start >= threshold:
                provisional += _credited(agg)
        elif (
            gran == "hour"
            and granularity in ("month", "quarter")
            and bucket_start >= threshold
            and start <= bucket_start < end
        ):
            provisional += _credited(agg)
    return WindowResult(window, start, end, compute_figures(total, provisional))


def period_provisional_hours(
    window: str, stream_time: float, params: MeasurementParams
) -> tuple[float, float] | None:
    """The hour-bucket range a period's provisional count needs, or None when none can be."""
    start, end = period_bounds(window, params.zone)
    first = max(provisional_threshold(stream_time, params), _floor(start, HOUR))
    last = min(end, _floor(stream_time, HOUR) + HOUR) - HOUR
    return (first, last) if first <= last else None


__all__ = [
    "ROLLING_WINDOWS",
    "WindowResult",
    "buckets_for",
    "current_periods",
    "evaluate",
    "needed_buckets",
    "period_bounds",
    "period_provisional_hours",
    "periods_of",
    "window_bounds",
]
