"""Figures of an agreement's windows, computed from the buckets the workers store.

Shared by the API (live answers) and the worker's snapshot timer (history), so both report
the same numbers for the same instant.

A query reads the stream time, loads each granularity's buckets once over the union of the
ranges its windows need, and lets `windows.evaluate` pick and merge per window. Reads go
through `KpiReader` so that tests can serve buckets from memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.kpi.aggregate import Aggregate
from services.core.kpi.params import MeasurementParams
from services.core.kpi.windows import (
    ROLLING_WINDOWS,
    WindowResult,
    current_periods,
    evaluate,
    needed_buckets,
    period_provisional_hours,
)
from services.core.storage import repository

Bucket = tuple[str, float, Aggregate]


class KpiReader(Protocol):
    """What a query reads: an agreement's stream time and its buckets of one granularity."""

    async def stream_time(self, agreement_id: str) -> float | None: ...

    async def load_buckets(
        self, agreement_id: str, granularity: str, min_start: float, max_start: float
    ) -> list[Bucket]: ...


ReaderFactory = Callable[[], AbstractAsyncContextManager[KpiReader]]


@dataclass(frozen=True, slots=True)
class SqlKpiReader:
    """`KpiReader` over the repository, within one session."""

    session: AsyncSession

    async def stream_time(self, agreement_id: str) -> float | None:
        return await repository.stream_time(self.session, agreement_id)

    async def load_buckets(
        self, agreement_id: str, granularity: str, min_start: float, max_start: float
    ) -> list[Bucket]:
        return await repository.load_buckets(
            self.session, agreement_id, granularity, min_start, max_start
        )

    async def load_slices(
        self,
        agreement_id: str,
        dimension: str,
        granularity: str,
        min_start: float,
        max_start: float,
    ) -> list[tuple[str, str, float, Aggregate]]:
        """The slice buckets of `dimension` (services/core/storage/kpi_slices.py)."""
        return await repository.load_slice_buckets(
            self.session, agreement_id, dimension, granularity, min_start, max_start
        )


async def snapshot_reader(session: AsyncSession) -> SqlKpiReader:
    """A reader whose queries all see one snapshot, so the stream time matches the buckets."""
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return SqlKpiReader(session)


def sql_readers(sessions: async_sessionmaker[AsyncSession]) -> ReaderFactory:
    """A factory of readers, each in a session of its own (used outside requests)."""

    @asynccontextmanager
    async def open_reader() -> AsyncIterator[KpiReader]:
        async with sessions() as session:
            yield await snapshot_reader(session)

    return open_reader


@dataclass(frozen=True, slots=True)
class AgreementKpis:
    """Figures of an agreement's windows at `stream_time` (None: no data yet)."""

    agreement_id: str
    stream_time: float | None
    windows: dict[str, WindowResult]


def window_names(stream_time: float, params: MeasurementParams, period: str | None) -> list[str]:
    """The requested period alone, or every rolling window plus the current month and quarter."""
    if period is not None:
        return [period]
    return [*ROLLING_WINDOWS, *current_periods(stream_time, params.zone).values()]


def bucket_ranges(
    names: list[str], stream_time: float, params: MeasurementParams
) -> dict[str, tuple[float, float]]:
    """Per granularity, the smallest bucket-start range that covers every window in `names`."""
    ranges: dict[str, tuple[float, float]] = {}

    def cover(granularity: str, first: float, last: float) -> None:
        lo, hi = ranges.get(granularity, (first, last))
        ranges[granularity] = (min(lo, first), max(hi, last))

    for name in names:
        cover(*needed_buckets(name, stream_time, params.zone))
        if name not in ROLLING_WINDOWS:
            # A period's provisional FCR count comes from the hour buckets of its last horizon.
            hours = period_provisional_hours(name, stream_time, params)
            if hours is not None:
                cover("hour", *hours)
    return ranges


async def agreement_kpis(
    reader: KpiReader,
    params: MeasurementParams,
    *,
    as_of: float | None = None,
    period: str | None = None,
    windows: Sequence[str] | None = None,
) -> AgreementKpis:
    """Figures at `as_of` (default: the stream time) of `period`, of `windows`, or of the
    default windows (every rolling window plus the current month and quarter)."""
    agreement_id = params.agreement_id
    at = as_of if as_of is not None else await reader.stream_time(agreement_id)
    if at is None:
        return AgreementKpis(agreement_id, None, {})
    names = list(windows) if windows is not None else window_names(at, params, period)
    buckets: list[Bucket] = []
    for granularity, (first, last) in bucket_ranges(names, at, params).items():
        buckets += await reader.load_buckets(agreement_id, granularity, first, last)
    return AgreementKpis(
        agreement_id, at, {name: evaluate(buckets, params, at, name) for name in names}
    )
