"""Prometheus view of the data-quality counts: `slawatch_agreement_events_total`.

The counts live in PostgreSQL (`event_counts`, written by ingest and the workers), so a
background task reads their all-time totals every few seconds and the collector exports the
last reading at scrape time. Every API replica exports the same totals: aggregate with
`max by (agreement, outcome)` (docs/metrics.md, "Data quality").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.catalog import AgreementInfo
from services.core.storage.event_counts import total_counts

log = logging.getLogger(__name__)


class EventCountsCollector(Collector):
    """Exports the totals of the last `refresh`, labelled with the agreement's client."""

    def __init__(self, agreements: Mapping[str, AgreementInfo]) -> None:
        self.agreements = agreements
        self.totals: dict[tuple[str, str], int] = {}

    async def refresh(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        async with sessions() as session:
            self.totals = await total_counts(session)

    async def run(self, sessions: async_sessionmaker[AsyncSession], interval: float) -> None:
        """Refresh every `interval` seconds until cancelled; a failure keeps the last totals."""
        while True:
            try:
                await self.refresh(sessions)
            except Exception:
                log.exception("reading event counts failed; retrying in %ss", interval)
            await asyncio.sleep(interval)

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(
            "slawatch_agreement_events",
            "Events of an agreement by outcome: accepted, duplicate, late, invalid, unknown.",
            labels=("agreement", "client", "outcome"),
        )
        for (agreement_id, outcome), count in sorted(self.totals.items()):
            info = self.agreements.get(agreement_id)
            if info is not None:
                family.add_metric([agreement_id, info.client, outcome], count)
        yield family
