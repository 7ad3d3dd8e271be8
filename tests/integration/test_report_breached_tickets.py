"""The report's breached tickets equal the oracle's for a generated month: random tickets of
the demo agreement (Berlin, business calendar) go through the engine and the sink into
PostgreSQL, and the report reads the month's top 20 by overrun."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.core.agreements.model import load_agreement_inputs, resolve
from services.core.contract.events import EventBase, parse_event
from services.core.contract.topics import Family
from services.core.kpi.engine import Engine
from services.core.kpi.retention import Retention
from services.core.kpi.windows import period_bounds
from services.core.reports.build import build_report
from services.core.reports.fetch import fetch_inputs
from services.core.storage.kpi_reader import SqlKpiReader
from services.core.storage.session import make_sessionmaker
from services.core.storage.ticket_breaches import top_breaches
from services.metrics.instruments import Instruments
from services.metrics.sink import flush
from tests.oracle import figures as oracle
from tests.report_scenario import DEMO_AGREEMENTS, PERIOD

pytest_plugins = ["tests.integration.db_fixtures"]
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DAY = 86_400.0


def tickets(agreement_id: str, seed: int = 13, count: int = 160) -> list[EventBase]:
    """Tickets created from 2026-09-27 to 2026-11-02: pauses, late replies, reopens."""
    rng = random.Random(seed)
    start = datetime(2026, 9, 27, tzinfo=UTC).timestamp()
    raw: list[dict[str, Any]] = []

    def add(type_: str, at: float, ticket: str, **fields: Any) -> None:
        instant = datetime.fromtimestamp(round(at), UTC).isoformat().replace("+00:00", "Z")
        raw.append({"type": type_, "occurred_at": instant, "ticket_id": ticket, **fields})

    for n in range(count):
        tid, t = f"T-{n:03d}", start + rng.uniform(0, 36 * DAY)
        priority = rng.choice(["low", "normal", "high", "urgent"])
        add("ticket.created", t, tid, customer_id="c", channel="email", priority=priority)
        if rng.random() < 0.3:
            paused = t + rng.uniform(600, 4 * 3600)
            add("ticket.status_changed", paused, tid, status="pending")
            add("ticket.status_changed", paused + rng.uniform(600, DAY), tid, status="open")
        add("ticket.replied", t + rng.uniform(60, 2 * DAY), tid, author="agent", agent_id="a")
        resolved = t + rng.uniform(3600, 9 * DAY)
        add("ticket.resolved", resolved, tid, agent_id="a")
        if rng.random() < 0.25:
            reopened = resolved + rng.uniform(3600, 2 * DAY)
            add("ticket.reopened", reopened, tid)
            add("ticket.resolved", reopened + rng.uniform(600, 6 * DAY), tid, agent_id="a")
    raw.sort(key=lambda e: e["occurred_at"])
    return [
        parse_event({**e, "event_id": f"e{i}", "agreement_id": agreement_id})
        for i, e in enumerate(raw)
    ]


async def test_the_reports_breached_tickets_are_the_oracles_top_20(
    db_engine: AsyncEngine, db_session: AsyncSession, agreement_id: str
) -> None:
    demo = resolve(load_agreement_inputs(DEMO_AGREEMENTS)[0], (), NOW)
    agreement = demo.model_copy(update={"agreement_id": agreement_id})
    params = agreement.measurement_params()
    events = tickets(agreement_id)
    engine = Engine(Family.TICKETS, {}, {agreement_id: params}, Retention())
    sessions, instruments = make_sessionmaker(db_engine), Instruments()
    for offset, event in enumerate(events):
        engine.process(event, 0, offset)
        if offset % 50 == 0:  # the worker's timer: rows expire between flushes
            await flush(engine, {0}, sessions, instruments)
    await flush(engine, {0}, sessions, instruments)

    inputs = await fetch_inputs(
        SqlKpiReader(db_session),
        agreement,
        PERIOD,
        now=NOW,
        breaches=partial(top_breaches, db_session),
    )
    listed = build_report(inputs).breached_tickets
    assert listed is not None

    since, until = period_bounds(PERIOD, agreement.zone)
    found = [b for b in oracle.breached_tickets(events, params) if since <= b[2] < until]
    want = sorted(found, key=lambda b: (-(b[3] - b[4]), b[0], b[1], b[2]))[:20]
    assert len(found) > 20  # the month has more breaches than the report lists
    got = [
        (b.ticket_id, b.kpi, b.attributed_at.timestamp(), b.measured_seconds, b.target_seconds)
        for b in listed
    ]
    assert [g[:3] for g in got] == [w[:3] for w in want]
    for g, w in zip(got, want, strict=True):
        assert g[3:] == pytest.approx(w[3:5], abs=1e-3), g[0]
    assert {b.priority for b in listed} <= {"low", "normal", "high", "urgent"}
