"""A real worker keeps the open-tickets view and the figure history; the API serves both.

Ticket events go through Kafka to a worker process; the test computes every due instant on
its own (pause intervals + `due_at`, checked against `ticket_clock`) and waits for the rows
in PostgreSQL, then asks the API for the tickets at risk and for the KPI history.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.main import create_app
from services.core.kpi.clock import pause_intervals, ticket_clock
from services.core.kpi.deadlines import due_at
from services.core.kpi.params import MeasurementParams, load_measurement_params
from services.core.settings import ApiSettings, DatabaseSettings, KafkaSettings
from services.core.storage.open_tickets import OpenTicketRow, all_open_tickets
from services.core.storage.session import make_sessionmaker
from tests.auth import ADMIN, ADMIN_HEADERS
from tests.integration.stack import WorkerProcess, create_topics, produce, renamed, worker_env
from tests.integration.stack import write_agreements as write_test_agreements

pytest_plugins = ["tests.integration.db_fixtures"]
T = TypeVar("T")
DEADLINE_SECONDS = 90


_ids = itertools.count()


def ev(kind: str, at: str, ticket: str, agreement: str = "acme-helpdesk", **f: Any) -> dict:
    return {
        "event_id": f"e{next(_ids)}",
        "type": kind,
        "occurred_at": at,
        "agreement_id": agreement,
        "ticket_id": ticket,
        **f,
    }


def created(at: str, ticket: str, priority: str, agreement: str = "acme-helpdesk") -> dict:
    return ev(
        "ticket.created",
        at,
        ticket,
        agreement,
        customer_id="C1",
        channel="email",
        priority=priority,
    )


# Acme: Berlin, Mon-Thu 08-18. Stream time after phase 1: Mon 17:20. Events are produced
# in time order so that none is late on a partition shared with another ticket.
PHASE_1 = [
    created("2026-10-12T08:00:00+02:00", "A4", "urgent"),  # FRT 15 min, resolution 4 h
    created("2026-10-12T16:00:00+02:00", "A2", "normal"),
    ev("ticket.replied", "2026-10-12T16:30:00+02:00", "A2", author="agent", agent_id="x"),
    ev("ticket.status_changed", "2026-10-12T16:45:00+02:00", "A2", status="pending"),
    created("2026-10-12T16:10:00+02:00", "A3", "low"),
    created("2026-10-12T17:00:00+02:00", "A1", "high"),  # FRT 1 h: due 18:00
    ev("ticket.resolved", "2026-10-12T17:20:00+02:00", "A3", agent_id="x"),
    created("2026-10-12T10:00:00-04:00", "G1", "urgent", "globex-hotline"),
]
PHASE_2 = [
    ev("ticket.resolved", "2026-10-12T17:30:00+02:00", "A1", agent_id="x"),
    ev("ticket.status_changed", "2026-10-12T17:31:00+02:00", "A4", status="closed"),
]


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def expected_rows(events: list[dict], params: dict[str, MeasurementParams]) -> set[tuple]:
    """(agreement, ticket, first-response due, resolution due, paused) of open tickets,
    computed from the raw events without the worker's code path."""
    rows = set()
    for ticket in sorted({(e["agreement_id"], e["ticket_id"]) for e in events}):
        mine = sorted(
            (e for e in events if (e["agreement_id"], e["ticket_id"]) == ticket),
            key=lambda e: epoch(e["occurred_at"]),
        )
        last = mine[-1]
        if last["type"] == "ticket.resolved" or last.get("status") == "closed":
            continue
        p = params[ticket[0]]
        start, priority = epoch(mine[0]["occurred_at"]), mine[0]["priority"]
        pauses = pause_intervals(
            [
                (epoch(e["occurred_at"]), e["status"])
                for e in mine
                if e["type"] == "ticket.status_changed"
            ]
        )
        replied = any(e["type"] == "ticket.replied" for e in mine)
        frt = (
            None
            if replied
            else due_at(
                start, p.frt_target_seconds.for_priority(priority), pauses, p.zone, p.calendar
            )
        )
        target = p.resolution_target_seconds.for_priority(priority)
        res = due_at(start, target, pauses, p.zone, p.calendar)
        if res is not None:
            assert ticket_clock(start, res, pauses, p.zone, p.calendar) == pytest.approx(target)
        rows.add((*ticket, frt, res, last.get("status") == "pending"))
    return rows


def as_tuples(rows: list[OpenTicketRow]) -> set[tuple]:
    return {
        (r.agreement_id, r.ticket_id, r.first_response_due_at, r.resolution_due_at, r.paused)
        for r in rows
    }


async def eventually(
    check: Callable[[], Awaitable[T]], done: Callable[[T], bool], worker: WorkerProcess
) -> T:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        value = await check()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"never reached: last {value!r}\n{worker.log_tail()}")
        await asyncio.sleep(0.5)


@pytest.fixture
async def running(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str, migrated_database: str
) -> AsyncIterator[tuple[Path, dict, WorkerProcess]]:
    agreements, mapping = write_test_agreements(tmp_path, topic_prefix)
    env = worker_env(topic_prefix, agreements, migrated_database, kafka_bootstrap, tmp_path)
    await create_topics(kafka_bootstrap, topic_prefix, 4)
    worker = WorkerProcess(env, tmp_path / "worker.log")
    worker.start()
    yield agreements, mapping, worker
    worker.stop()


async def test_open_tickets_at_risk_and_history_from_a_real_worker(
    running: tuple[Path, dict, WorkerProcess],
    topic_prefix: str,
    kafka_bootstrap: str,
    migrated_database: str,
    db_engine: AsyncEngine,
) -> None:
    agreements, mapping, worker = running
    params = load_measurement_params(agreements)
    acme, globex = mapping["acme-helpdesk"], mapping["globex-hotline"]
    phase_1, phase_2 = (
        sorted(
            ({**e, "agreement_id": mapping[e["agreement_id"]]} for e in phase),
            key=lambda e: epoch(e["occurred_at"]),
        )
        for phase in (PHASE_1, PHASE_2)
    )
    sessions = make_sessionmaker(db_engine)

    async def stored() -> set[tuple]:
        async with sessions() as session:
            return as_tuples(
                [*await all_open_tickets(session, acme), *await all_open_tickets(session, globex)]
            )

    started = time.time()
    await produce(kafka_bootstrap, topic_prefix, renamed(phase_1, {}))
    want = expected_rows(phase_1, params)
    assert (acme, "A1", epoch("2026-10-12T18:00:00+02:00")) in {w[:3] for w in want}
    assert await eventually(stored, lambda got: got == want, worker) == want

    app = create_app(
        ApiSettings(agreements_file=agreements),
        DatabaseSettings(database_url=migrated_database),
        KafkaSettings(bootstrap_servers=kafka_bootstrap),
        refresh_interval_seconds=3600,
        security=ADMIN,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://api", headers=ADMIN_HEADERS
        ) as client:
            body = (await client.get(f"/v1/agreements/{acme}/tickets/at-risk")).json()
            assert body["stream_time"] == "2026-10-12T15:20:00Z"
            assert [
                (d["ticket_id"], d["reason"], d["due_at"], d["overdue"]) for d in body["deadlines"]
            ] == [
                ("A4", "first_response", "2026-10-12T06:15:00Z", True),
                ("A4", "resolution", "2026-10-12T10:00:00Z", True),
                ("A1", "first_response", "2026-10-12T16:00:00Z", False),
            ]

            async def history() -> list[dict]:
                response = await client.get(
                    f"/v1/agreements/{acme}/kpis/history",
                    params={
                        "kpi": "tickets_created",
                        "window": "24h",
                        "step": "1s",
                        "from": datetime.fromtimestamp(started, UTC).isoformat(),
                    },
                )
                assert response.status_code == 200, response.text
                return list(response.json()["points"])

            points = await eventually(
                history, lambda p: bool(p) and (p[-1]["value"], p[-1]["n"]) == (4.0, 4), worker
            )
            taken = [p["taken_at"] for p in points]
            assert taken == sorted(set(taken))

    await produce(kafka_bootstrap, topic_prefix, renamed(phase_2, {}))
    want = expected_rows(phase_1 + phase_2, params)
    assert {w[1] for w in want} == {"A2", "G1"}
    assert await eventually(stored, lambda got: got == want, worker) == want
