"""An in-memory copy of every agreement's current figures, refreshed in the background.

Prometheus scrapes must be fast and must not hit the database once per scrape and series, so
`/metrics` reads this cache. A failed refresh keeps the previous figures; the cache age
exposed next to them shows when they are going stale. Each refresh also judges every
target against the fresh figures (services/api/sla_status.py) and hands the result to
`on_statuses` (the status change recorder), so figures, statuses and events agree.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from services.api.catalog import AgreementInfo
from services.api.sla_status import AgreementSla, evaluate_agreement
from services.core.storage.kpi_reader import AgreementKpis, ReaderFactory, agreement_kpis

log = logging.getLogger(__name__)
StatusSink = Callable[[AgreementInfo, AgreementSla], Awaitable[object]]


class FiguresCache:
    """Current figures per agreement id; `refreshed_at` is the last complete refresh (epoch)."""

    def __init__(
        self,
        agreements: Mapping[str, AgreementInfo],
        open_reader: ReaderFactory,
        interval_seconds: float = 5.0,
        on_statuses: StatusSink | None = None,
    ) -> None:
        self.agreements = agreements
        self.open_reader = open_reader
        self.interval_seconds = interval_seconds
        self.figures: dict[str, AgreementKpis] = {}
        self.statuses: dict[str, AgreementSla] = {}
        self.on_statuses = on_statuses
        self.refreshed_at: float | None = None

    async def refresh(self) -> bool:
        """Recompute every agreement; True when all succeeded."""
        ok = True
        judged: list[tuple[AgreementInfo, AgreementSla]] = []
        # A copy: the agreements catalog may change the mapping while we await the database.
        for agreement_id, info in list(self.agreements.items()):
            try:
                judged.append((info, await self.evaluate(info)))
            except Exception:
                # One bad agreement or a database hiccup must not stop the loop.
                log.exception("refreshing the figures of %s failed", agreement_id)
                ok = False
        for gone in set(self.figures) - set(self.agreements):
            del self.figures[gone]  # a deleted agreement's series disappear from /metrics
            self.statuses.pop(gone, None)
        if ok:
            self.refreshed_at = time.time()
        # After every figure is fresh: a slow broker delays events, not /metrics.
        if self.on_statuses is not None:
            await self._record(self.on_statuses, judged)
        return ok

    @staticmethod
    async def _record(sink: StatusSink, judged: list[tuple[AgreementInfo, AgreementSla]]) -> None:
        for info, sla in judged:
            try:
                await sink(info, sla)
            except Exception:
                log.exception("recording the SLA status of %s failed", info.agreement_id)

    async def evaluate(self, info: AgreementInfo) -> AgreementSla:
        """Read one agreement's figures, judge its targets, and cache both."""
        async with self.open_reader() as reader:
            kpis = await agreement_kpis(reader, info.params)
        sla = evaluate_agreement(info, kpis, datetime.now(UTC))
        self.figures[info.agreement_id], self.statuses[info.agreement_id] = kpis, sla
        return sla

    async def run(self) -> None:
        """Refresh now and then every `interval_seconds`, until cancelled."""
        while True:
            started = time.monotonic()
            await self.refresh()
            took = time.monotonic() - started
            # Evaluating windows is CPU work on the event loop; when a refresh is slow, rest at
            # least as long as it took so requests keep at least half of the loop.
            await asyncio.sleep(max(self.interval_seconds - took, took))
