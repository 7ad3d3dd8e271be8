"""Figures of an agreement's windows, read from the bucket rows of every partition.

Shared by the API (live answers) and the worker's snapshot timer (history), so both report
the same numbers for the same instant.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.core.agreements import MeasurementParams
from services.core.db.repository import load_buckets, stream_time
from services.core.kpi.aggregate import Aggregate
from services.core.kpi.windows import (
    ROLLING_WINDOWS,
    WindowResult,
    current_periods,
    evaluate,
    needed_buckets,
    period_provisional_hours,
)


def default_windows(at: float, params: MeasurementParams) -> list[str]:
    """The rolling windows plus the month and quarter that contain `at`."""
    periods = current_periods(at, params.zone)
    return [*ROLLING_WINDOWS, periods["month"], periods["quarter"]]


async def window_results(
    session: AsyncSession,
    params: MeasurementParams,
    windows: Sequence[str] | None = None,
    as_of: float | None = None,
) -> tuple[float | None, list[WindowResult]]:
    """(stream time, results) for `windows` (default: `default_windows`) at `as_of`.

    Without `as_of` the agreement's stream time is used; with no events yet, no results.
    """
    at = as_of if as_of is not None else await stream_time(session, params.agreement_id)
    if at is None:
        return None, []
    results = []
    for window in windows or default_windows(at, params):
        granularity, first, last = needed_buckets(window, at, params.zone)
        rows: list[tuple[str, float, Aggregate]] = await load_buckets(
            session, params.agreement_id, granularity, first, last
        )
        if window not in ROLLING_WINDOWS:
            hours = period_provisional_hours(window, at, params)
            if hours is not None:
                rows += await load_buckets(session, params.agreement_id, "hour", *hours)
        results.append(evaluate(rows, params, at, window))
    return at, results
