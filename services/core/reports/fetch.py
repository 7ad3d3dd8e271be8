"""Read a report's inputs through the KPI API's own query code (`agreement_kpis`).

Nothing is recomputed differently: month figures are the API's `?period=YYYY-MM` windows
at the stream time, day figures the API's `24h` window `?as_of=` one second before each
local midnight (docs/reports.md, "Trends"). The hour buckets of the month are read once
and served from memory to the daily queries, which is what keeps a month's report within
a few seconds however many tickets it has. The data-quality counts come from `read_counts`,
the function behind `GET /v1/agreements/{id}/data-quality`, over the same month bounds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from services.core.agreements.model import Agreement
from services.core.kpi.windows import period_bounds
from services.core.reports.breakdowns import DIMENSIONS, SliceFigure, SliceProvider
from services.core.reports.build import month_targets
from services.core.reports.inputs import Figures, ReportInputs
from services.core.reports.model import FreeText, ReportState
from services.core.reports.periods import day_end, days_of, history_months
from services.core.reports.slice_source import slice_provider
from services.core.storage.kpi_reader import Bucket, KpiReader, agreement_kpis
from services.core.storage.ticket_breaches import BreachRow

DAY_WINDOW = "24h"
# (agreement id, since, until) -> events per outcome: `functools.partial(read_counts, session)`.
CountsReader = Callable[[str, float, float], Awaitable[Mapping[str, int]]]
# (agreement id, since, until) -> the worst breaches: `functools.partial(top_breaches, session)`.
BreachReader = Callable[[str, float, float], Awaitable[Sequence[BreachRow]]]
# agreement id -> (connector id, tool, lossy flag): `functools.partial(lossy_mappings, session)`.
LossyReader = Callable[[str], Awaitable[Sequence[tuple[str, str, str]]]]


@dataclass
class _HourCache:
    """A `KpiReader` that serves hour buckets in [first, last] from one earlier read."""

    inner: KpiReader
    first: float
    last: float
    hours: list[Bucket] = field(default_factory=list)

    async def prefetch(self, agreement_id: str) -> None:
        self.hours = await self.inner.load_buckets(agreement_id, "hour", self.first, self.last)

    async def stream_time(self, agreement_id: str) -> float | None:
        return await self.inner.stream_time(agreement_id)

    async def load_buckets(
        self, agreement_id: str, granularity: str, min_start: float, max_start: float
    ) -> list[Bucket]:
        if granularity == "hour" and self.first <= min_start and max_start <= self.last:
            return [b for b in self.hours if min_start <= b[1] <= max_start]
        return await self.inner.load_buckets(agreement_id, granularity, min_start, max_start)


def day_as_of(day: date, agreement: Agreement) -> float:
    """The instant whose `24h` window is `day` (one second before the local midnight)."""
    return day_end(day, agreement.zone) - 1.0


async def daily_figures(
    reader: KpiReader, agreement: Agreement, period: str, stream_time: float
) -> list[tuple[date, Figures]]:
    """Figures of each day of `period` that started before `stream_time`."""
    params = agreement.measurement_params()
    start, end = period_bounds(period, agreement.zone)
    cache = _HourCache(reader, start - 86_400.0, end + 3_600.0)
    await cache.prefetch(agreement.agreement_id)
    days: list[tuple[date, Figures]] = []
    for day in days_of(period):
        as_of = day_as_of(day, agreement)
        if as_of - 86_400.0 >= stream_time:
            break
        kpis = await agreement_kpis(cache, params, as_of=as_of, windows=[DAY_WINDOW])
        days.append((day, kpis.windows[DAY_WINDOW].figures))
    return days


async def slices_of(
    provider: SliceProvider, agreement: Agreement, period: str
) -> dict[tuple[str, str], list[SliceFigure] | None]:
    answers: dict[tuple[str, str], list[SliceFigure] | None] = {}
    for target in month_targets(agreement, period):
        for dimension in DIMENSIONS:
            found = await provider.slices(agreement.agreement_id, target.kpi, dimension, period)
            answers[(target.target_id, dimension)] = None if found is None else list(found)
    return answers


async def fetch_inputs(
    reader: KpiReader,
    agreement: Agreement,
    period: str,
    *,
    now: datetime,
    provider: SliceProvider | None = None,
    free_text: FreeText | None = None,
    version: int = 0,
    state: ReportState = "preliminary",
    counts: CountsReader | None = None,
    breaches: BreachReader | None = None,
    lossy: LossyReader | None = None,
) -> ReportInputs:
    """Everything `build_report` needs for `agreement` and `period`, read at the stream time;
    the data-quality counts only when `counts` is given, the breached tickets only when
    `breaches` is. Slices come from `provider`, by default from `reader` as the KPI API's
    `by=` reads them (`slice_source.py`)."""
    params = agreement.measurement_params()
    stream_time = await reader.stream_time(agreement.agreement_id)
    months = history_months(period, agreement.term.effective_from)
    monthly: list[tuple[str, Figures]] = [(m, {}) for m in months]
    daily: list[tuple[date, Figures]] = []
    if stream_time is not None:
        kpis = await agreement_kpis(reader, params, as_of=stream_time, windows=months)
        monthly = [(m, kpis.windows[m].figures) for m in months]
        daily = await daily_figures(reader, agreement, period, stream_time)
    return ReportInputs(
        agreement=agreement,
        period=period,
        generated_at=now,
        stream_time=stream_time,
        monthly=monthly,
        daily=daily,
        slices=await slices_of(
            provider or slice_provider(reader, params, stream_time), agreement, period
        ),
        free_text=free_text or FreeText(),
        version=version,
        state=state,
        event_counts=None if counts is None else await _month_counts(counts, agreement, period),
        breaches=None if breaches is None else await _month_breaches(breaches, agreement, period),
        lossy_mappings=None if lossy is None else await lossy(agreement.agreement_id),
    )


async def _month_counts(
    counts: CountsReader, agreement: Agreement, period: str
) -> Mapping[str, int]:
    # The data-quality route's bounds for `?period=`: the month in the agreement's zone.
    since, until = period_bounds(period, agreement.zone)
    return await counts(agreement.agreement_id, since, until)


async def _month_breaches(
    breaches: BreachReader, agreement: Agreement, period: str
) -> Sequence[BreachRow]:
    # Attributed to the month in the agreement's zone, like every figure of the report.
    since, until = period_bounds(period, agreement.zone)
    return await breaches(agreement.agreement_id, since, until)
