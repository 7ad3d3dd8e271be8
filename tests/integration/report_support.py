"""A demo agreement with a generated month of figures in PostgreSQL, for report tests."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.kpi.aggregate import Aggregate
from services.core.kpi.facts import Fact, FactKind
from services.core.kpi.windows import buckets_for
from services.core.reports.periods import parse_month
from services.core.storage import repository as repo
from services.core.storage.repository import BucketRow
from tests.integration.agreements_support import demo_body
from tests.report_scenario import STREAM_TIME, bucket_rows


def write_seed(path: Path, agreement_id: str, since: str = "2026-09-01") -> Path:
    """The demo agreement `acme-helpdesk` as `agreement_id`, in effect from `since`."""
    parse_month(since[:7])
    body = demo_body(agreement_id)
    body["term"]["effective_from"] = since
    path.write_text(yaml.safe_dump({"agreements": [body]}, allow_unicode=True))
    return path


async def store_month(session: AsyncSession, agreement_id: str) -> None:
    """September and October 2026 of figures, stream time just after October (Berlin)."""
    await repo.upsert_buckets(session, bucket_rows(agreement_id))
    await repo.upsert_stream_positions(session, [(agreement_id, "tickets", 0, STREAM_TIME)])
    await session.commit()


async def store_late_survey(session: AsyncSession, agreement_id: str, at: float) -> None:
    """One more (bad) survey in its own partition: late data that changes October's CSAT."""
    from zoneinfo import ZoneInfo

    rows = []
    for granularity, start in buckets_for(at, ZoneInfo("Europe/Berlin")):
        agg = Aggregate()
        agg.apply(Fact(FactKind.SURVEY, at, 1.0, ok=False))
        rows.append(BucketRow(agreement_id, "surveys", 9, granularity, start, agg.to_dict()))
    await repo.upsert_buckets(session, rows)
    await session.commit()
