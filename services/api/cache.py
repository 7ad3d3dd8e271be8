"""An in-memory copy of every agreement's current figures, refreshed in the background.

Prometheus scrapes must be fast and must not hit the database once per scrape and series, so
`/metrics` reads this cache. A failed refresh keeps the previous figures; the cache age
exposed next to them shows when they are going stale.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from services.api.catalog import AgreementInfo
from services.api.queries import AgreementKpis, ReaderFactory, agreement_kpis

log = logging.getLogger(__name__)


class FiguresCache:
    """Current figures per agreement id; `refreshed_at` is the last complete refresh (epoch)."""

    def __init__(
        self,
        agreements: Mapping[str, AgreementInfo],
        open_reader: ReaderFactory,
        interval_seconds: float = 5.0,
    ) -> None:
        self.agreements = agreements
        self.open_reader = open_reader
        self.interval_seconds = interval_seconds
        self.figures: dict[str, AgreementKpis] = {}
        self.refreshed_at: float | None = None

    async def refresh(self) -> bool:
        """Recompute every agreement; True when all succeeded."""
        ok = True
        for agreement_id, info in self.agreements.items():
            try:
                async with self.open_reader() as reader:
                    self.figures[agreement_id] = await agreement_kpis(reader, info.params)
            except Exception:
                # One bad agreement or a database hiccup must not stop the loop.
                log.exception("refreshing the figures of %s failed", agreement_id)
                ok = False
        if ok:
            self.refreshed_at = time.time()
        return ok

    async def run(self) -> None:
        """Refresh now and then every `interval_seconds`, until cancelled."""
        while True:
            started = time.monotonic()
            await self.refresh()
            took = time.monotonic() - started
            # Evaluating windows is CPU work on the event loop; when a refresh is slow, rest at
            # least as long as it took so requests keep at least half of the loop.
            await asyncio.sleep(max(self.interval_seconds - took, took))
