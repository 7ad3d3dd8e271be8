"""The scheduled job: issue each closed month's report, finalise it, follow late data.

Which process: every API replica runs `ReportScheduler.run`; each run takes a PostgreSQL
advisory lock (`pg_try_advisory_xact_lock`) and a replica that does not get it skips the
run, so with any number of replicas one job works at a time. Per-report advisory locks and
the primary key (agreement, period, version) make a duplicate version impossible anyway.

Per agreement and month since the agreement began whose close (`lifecycle.closes_at`)
passed within the last 45 days (`CATCH_UP`): no version yet -> version 1 (`preliminary`,
or `final` if the FCR horizon has passed too); otherwise a new version only when what a reader sees
changed (late data, the state turning `final`). A month stops being checked one day after
it is final and has a final version.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.agreements.model import Agreement
from services.core.reports import lifecycle, service, store
from services.core.reports.model import ReportState
from services.core.reports.notify import ReportNotifier
from services.core.reports.periods import history_months, month_of, shift
from services.core.reports.store import StoredReport
from services.core.settings import ReportSettings
from services.core.storage.kpi_reader import ReaderFactory

log = logging.getLogger(__name__)
SCHEDULER_LOCK = 0x534C_4152  # one advisory lock key for the whole job ("SLAR")
SETTLED = timedelta(days=1)
# Months that closed longer ago are left alone: a job that was down catches up on them, but
# a new deployment does not mail a year of reports about months before it ran.
CATCH_UP = timedelta(days=45)


def closed_months(agreement: Agreement, now: datetime, lateness_seconds: float) -> list[str]:
    """Months since the agreement began that closed within `CATCH_UP`, oldest first."""
    current = month_of(now.astimezone(agreement.zone).date())
    months = history_months(shift(current, -1), agreement.term.effective_from)
    zone = agreement.zone
    closes = {m: lifecycle.closes_at(m, zone, lateness_seconds) for m in months}
    return [m for m in months if closes[m] <= now < closes[m] + CATCH_UP]


def wanted_state(latest: StoredReport | None, now: datetime, final: datetime) -> ReportState | None:
    """The state of the next version, or None when the month is settled."""
    if latest is not None and latest.state == "final":
        return None if now >= final + SETTLED else "final"
    return lifecycle.state_at(now, final)


async def run_once(
    sessions: async_sessionmaker[AsyncSession],
    open_reader: ReaderFactory,
    agreements: Iterable[Agreement],
    settings: ReportSettings,
    notifier: ReportNotifier,
    now: datetime,
) -> list[StoredReport] | None:
    """One run; the versions it issued, or None when another replica holds the job's lock."""
    issued: list[tuple[Agreement, StoredReport]] = []
    lateness = settings.allowed_lateness_seconds
    async with sessions() as session, session.begin():
        locked = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SCHEDULER_LOCK}
        )
        if not locked:
            return None
        for agreement in agreements:
            horizon = agreement.fcr_horizon_seconds
            for period in closed_months(agreement, now, lateness):
                latest = await store.version(session, agreement.agreement_id, period)
                final = lifecycle.final_at(period, agreement.zone, lateness, horizon)
                state = wanted_state(latest, now, final)
                if state is None:
                    continue
                async with open_reader() as reader:
                    stored, created = await service.issue(
                        session,
                        reader,
                        agreement,
                        period,
                        now=now,
                        state=state,
                        issued_by="scheduler",
                    )
                if created:
                    issued.append((agreement, stored))
    for agreement, stored in issued:
        await notifier.issued(agreement, stored)
    return [s for _, s in issued]


class ReportScheduler:
    """Runs the job every `schedule_interval_seconds` (first run after one interval)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        open_reader: ReaderFactory,
        agreements: Callable[[], Iterable[Agreement]],
        settings: ReportSettings,
        notifier: ReportNotifier,
    ) -> None:
        self.sessions, self.open_reader = sessions, open_reader
        self.agreements, self.settings, self.notifier = agreements, settings, notifier

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.settings.schedule_interval_seconds)
            try:
                await run_once(
                    self.sessions,
                    self.open_reader,
                    list(self.agreements()),
                    self.settings,
                    self.notifier,
                    lifecycle.utcnow(),
                )
            except Exception:
                log.exception("the report job failed; trying again next interval")
