"""Run the report job once, now: `python -m services.core.reports.job [--wait-seconds N]`.

The API runs the same job on its schedule; this is for operators ("issue what is due now")
and for `make demo`, which first waits until the backfilled history has been counted:
`--wait-seconds` waits (at most that long) until every agreement's ticket and call
partitions have reached `--history-end` and last month's ticket count stands still.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.agreements.model import Agreement
from services.core.reports.lifecycle import utcnow
from services.core.reports.notify import Notifications
from services.core.reports.periods import month_of, shift
from services.core.reports.schedule import run_once
from services.core.settings import DatabaseSettings, KafkaSettings, ReportSettings
from services.core.storage.agreements_repo import list_agreements
from services.core.storage.kpi_reader import ReaderFactory, agreement_kpis, sql_readers
from services.core.storage.models import StreamPosition
from services.core.storage.session import make_engine, make_sessionmaker

log = logging.getLogger(__name__)
POLL_SECONDS = 5.0
SPARSE_GAP_SECONDS = 2 * 3600.0  # a partition of a slow demo stream may wait this long


async def _progress(
    sessions: async_sessionmaker[AsyncSession], readers: ReaderFactory, agreement: Agreement
) -> tuple[float, int]:
    """(the agreement's latest ticket/call event time, last month's ticket count).

    The newest partition, not the slowest: stream positions are kept per agreement and
    partition, and a partition that one agreement's few customers never reach stays behind
    for good. Each partition is read in order, so with the counts standing still the newest
    position is enough to tell that the history was read."""
    async with sessions() as session:
        newest = await session.scalar(
            select(func.max(StreamPosition.latest_event_at)).where(
                StreamPosition.agreement_id == agreement.agreement_id,
                StreamPosition.family.in_(("tickets", "calls")),
            )
        )
    period = shift(month_of(utcnow().astimezone(agreement.zone).date()), -1)
    async with readers() as reader:
        kpis = await agreement_kpis(reader, agreement.measurement_params(), period=period)
    figures = kpis.windows.get(period)
    count = 0 if figures is None else figures.figures["tickets_created"].n
    return (0.0 if newest is None else newest.timestamp()), count


async def wait_until_counted(
    sessions: async_sessionmaker[AsyncSession],
    readers: ReaderFactory,
    agreements: Sequence[Agreement],
    until: float,
    seconds: float,
) -> bool:
    """True once every agreement's ticket and call stream has reached `until` (less
    `SPARSE_GAP_SECONDS`) and last month's ticket counts stand still between two polls."""
    deadline = time.monotonic() + seconds
    previous = None
    while time.monotonic() < deadline:
        progress = [await _progress(sessions, readers, a) for a in agreements]
        counts = [count for _, count in progress]
        caught_up = all(at >= until - SPARSE_GAP_SECONDS for at, _ in progress)
        if caught_up and counts == previous:
            return True
        previous = counts
        log.info("waiting for the history to be counted: last month's tickets %s", counts)
        await asyncio.sleep(POLL_SECONDS)
    return False


async def main(wait_seconds: float, until: float) -> int:
    engine = make_engine(DatabaseSettings())
    sessions = make_sessionmaker(engine)
    settings = ReportSettings()
    notifier = Notifications(KafkaSettings(), settings)
    try:
        async with sessions() as session:
            agreements = [s.agreement for s in await list_agreements(session)]
        readers = sql_readers(sessions)
        if wait_seconds > 0 and not await wait_until_counted(
            sessions, readers, agreements, until, wait_seconds
        ):
            log.warning("the history is not all counted after %.0f s; issuing anyway", wait_seconds)
        issued = await run_once(sessions, readers, agreements, settings, notifier, utcnow())
        if issued is None:
            log.info("another process holds the report job's lock; nothing done")
            return 0
        for s in issued:
            log.info("issued %s %s version %d (%s)", s.agreement_id, s.period, s.version, s.state)
        return 0
    finally:
        await notifier.close()
        await engine.dispose()


def history_span(now: datetime) -> tuple[str, int]:
    """Last month and the hours from its start in the zone furthest ahead of UTC (+14 h)."""
    period = shift(month_of(now.date()), -1)
    start = datetime.strptime(period, "%Y-%m").replace(tzinfo=UTC) - timedelta(hours=14)
    return period, math.ceil((now - start).total_seconds() / 3600)


def run(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait-seconds", type=float, default=0.0)
    parser.add_argument(
        "--history-end",
        type=float,
        default=0.0,
        help="epoch seconds the simulated history reaches; waited for with --wait-seconds",
    )
    parser.add_argument(
        "--history-span",
        action="store_true",
        help="only print last month and the hours since its start (for `make demo`)",
    )
    args = parser.parse_args(argv)
    if args.history_span:
        print(*history_span(utcnow()))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    raise SystemExit(asyncio.run(main(args.wait_seconds, args.history_end)))


if __name__ == "__main__":
    run()
