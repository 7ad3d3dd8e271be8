"""Bench: one month's report of an agreement with 100,000 tickets and 100,000 calls.

The month's facts (every ticket created, answered, resolved and FCR-judged; every call's
outcome, handling and FCR; a survey per ten tickets) are aggregated into hour and period
buckets over six partitions, as the workers store them, and written to PostgreSQL. Timed:
reading the figures and building the JSON model (what the API and the job do), the HTML
page, and the PDF. The report reads aggregates, never tickets, so its cost depends on the
hours of a month and the partitions, not on how many tickets there were.

`python -m bench.report` alone, or as part of `make bench`.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.core.agreements.model import load_agreement_inputs, resolve
from services.core.kpi.aggregate import Aggregate
from services.core.kpi.facts import Fact, FactKind
from services.core.kpi.windows import buckets_for, period_bounds
from services.core.reports.build import build_report
from services.core.reports.fetch import fetch_inputs
from services.core.reports.render.html import render_html
from services.core.reports.render.pdf import render_pdf
from services.core.settings import DEFAULT_DATABASE_URL, DatabaseSettings
from services.core.storage import repository as repo
from services.core.storage.kpi_reader import snapshot_reader
from services.core.storage.repository import BucketRow
from services.core.storage.session import make_engine, make_sessionmaker

DEMO_AGREEMENTS = Path(__file__).parents[1] / "deploy" / "agreements" / "demo.yaml"
TICKETS = int(os.environ.get("BENCH_REPORT_TICKETS", "100000"))
CALLS = int(os.environ.get("BENCH_REPORT_CALLS", "100000"))
PERIOD = "2026-10"
PARTITIONS = 6
TICKET_FACTS = (
    FactKind.TICKET_CREATED,
    FactKind.FIRST_RESPONSE,
    FactKind.RESOLUTION,
    FactKind.TICKET_FCR,
)
CALL_FACTS = (FactKind.CALL_OUTCOME, FactKind.HANDLED_CALL, FactKind.CALL_FCR)


def month_buckets(agreement_id: str, zone: Any, rng: random.Random) -> list[BucketRow]:
    """Hour, month and quarter buckets of a month of facts (minute buckets are not read)."""
    start, end = period_bounds(PERIOD, zone)
    aggregates: dict[tuple[str, int, str, float], Aggregate] = {}

    def add(family: str, fact: Fact) -> None:
        partition = rng.randrange(PARTITIONS)
        for granularity, bucket in buckets_for(fact.at, zone)[1:]:
            key = (family, partition, granularity, bucket)
            aggregates.setdefault(key, Aggregate()).apply(fact)

    for count, family, kinds in ((TICKETS, "tickets", TICKET_FACTS), (CALLS, "calls", CALL_FACTS)):
        for _ in range(count):
            at = rng.uniform(start, end - 1)
            for kind in kinds:
                value = rng.lognormvariate(7, 1)
                add(family, Fact(kind, at, value, ok=rng.random() < 0.85, flag=True))
    for _ in range(TICKETS // 10):
        at = rng.uniform(start, end - 1)
        add("surveys", Fact(FactKind.SURVEY, at, rng.uniform(1, 5), ok=rng.random() < 0.8))
    return [
        BucketRow(agreement_id, family, partition, granularity, bucket, agg.to_dict())
        for (family, partition, granularity, bucket), agg in aggregates.items()
    ]


async def measure(database_url: str) -> dict[str, Any]:
    now = datetime(2026, 11, 2, 8, tzinfo=UTC)
    draft = load_agreement_inputs(DEMO_AGREEMENTS)[0]
    agreement_id = f"bench-report-{int(time.time())}"
    agreement = resolve(draft.model_copy(update={"agreement_id": agreement_id}), (), now)
    rows = month_buckets(agreement_id, agreement.zone, random.Random(13))
    engine = make_engine(DatabaseSettings(database_url=database_url))
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session:
            await repo.upsert_buckets(session, rows)
            await repo.upsert_stream_positions(
                session, [(agreement_id, "tickets", 0, period_bounds(PERIOD, agreement.zone)[1])]
            )
            await session.commit()
        async with sessions() as session:
            started = time.perf_counter()
            reader = await snapshot_reader(session)
            report = build_report(await fetch_inputs(reader, agreement, PERIOD, now=now))
            json_seconds = time.perf_counter() - started
        started = time.perf_counter()
        page = render_html(report, "zh-CN")
        html_seconds = time.perf_counter() - started
        started = time.perf_counter()
        pdf = render_pdf(page)
        pdf_seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    tickets = next(r for r in report.other_kpis if r.kpi == "tickets_created").this_month.n
    return {
        "tickets": tickets,
        "calls": CALLS,
        "bucket_rows": len(rows),
        "json_seconds": round(json_seconds, 3),
        "html_seconds": round(html_seconds, 3),
        "pdf_seconds": round(pdf_seconds, 3),
        "pdf_bytes": len(pdf),
    }


def run() -> None:
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    print(asyncio.run(measure(database_url)))


if __name__ == "__main__":
    run()
