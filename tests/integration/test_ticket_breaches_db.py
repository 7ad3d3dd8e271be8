"""Breached tickets in PostgreSQL: the sink saves them, a correction deletes them, a replay
after a restore writes the same rows again, and the report's read lists a month's worst."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.core.contract.events import EventBase, parse_event
from services.core.contract.topics import Family
from services.core.kpi.breaches import Breach
from services.core.kpi.engine import Engine
from services.core.kpi.params import load_measurement_params
from services.core.kpi.retention import Retention
from services.core.storage import ticket_breaches as repo
from services.core.storage.session import make_sessionmaker
from services.metrics.instruments import Instruments
from services.metrics.sink import flush

pytest_plugins = ["tests.integration.db_fixtures"]
DEMO = load_measurement_params(Path(__file__).parents[2] / "deploy/agreements/demo.yaml")
OCT, NOV = 1_790_812_800.0, 1_793_491_200.0  # 2026-10-01 and 2026-11-01, 00:00 UTC


def events(agreement_id: str) -> list[EventBase]:
    def ev(n: int, type_: str, at: str, **fields: Any) -> EventBase:
        body = {"event_id": f"e{n}", "type": type_, "occurred_at": at, "ticket_id": "t/1"}
        return parse_event({**body, "agreement_id": agreement_id, **fields})

    return [
        ev(
            0,
            "ticket.created",
            "2026-10-01T10:00:00Z",
            customer_id="c",
            channel="email",
            priority="normal",
        ),
        ev(1, "ticket.replied", "2026-10-01T12:00:00Z", author="agent", agent_id="a"),
        # Happened before the reply: with it, the FRT is 20 minutes, within target.
        ev(2, "ticket.status_changed", "2026-10-01T10:10:00Z", status="pending"),
        ev(3, "ticket.status_changed", "2026-10-01T11:50:00Z", status="open"),
    ]


async def saved(session: AsyncSession, agreement_id: str) -> list[repo.BreachRow]:
    return await repo.top_breaches(session, agreement_id, OCT, NOV)


async def test_the_sink_saves_retracts_and_replays_breaches_once(
    db_engine: AsyncEngine, db_session: AsyncSession, agreement_id: str
) -> None:
    params = {
        agreement_id: DEMO["globex-hotline"].model_copy(update={"agreement_id": agreement_id})
    }
    engine = Engine(Family.TICKETS, {}, params, Retention(lateness_seconds=3 * 3600))
    sessions, instruments = make_sessionmaker(db_engine), Instruments()
    created, replied, *correction = events(agreement_id)
    engine.process(created, 0, 0)
    engine.process(replied, 0, 1)
    await flush(engine, {0}, sessions, instruments)
    (row,) = await saved(db_session, agreement_id)
    assert (row.ticket_id, row.kpi, row.measured_seconds, row.overrun_seconds) == (
        "t/1",
        "frt",
        7200.0,
        3600.0,
    )

    # A crash before the next commit: the restored worker replays and writes every row again.
    restored = Engine(Family.TICKETS, copy.deepcopy(engine.store), params, Retention())
    restored.rebuild_index({0})
    restored.process(replied, 0, 1)
    await flush(restored, {0}, sessions, instruments)
    await flush(restored, {0}, sessions, instruments)
    await db_session.commit()  # a fresh snapshot for the next read
    assert await saved(db_session, agreement_id) == [row]

    for offset, event in enumerate(correction, start=2):
        engine.process(event, 0, offset)
    await flush(engine, {0}, sessions, instruments)
    await db_session.commit()
    assert await saved(db_session, agreement_id) == []


async def test_top_breaches_reads_a_months_worst_by_overrun(
    db_session: AsyncSession, agreement_id: str
) -> None:
    def breach(kpi: str, at: float, measured: float) -> Breach:
        return Breach(kpi, at, measured, 3600.0, "high")

    tickets = [
        (agreement_id, f"t{n}", [breach("frt", OCT + 60 * n, 3600.0 + 10 * n)]) for n in range(25)
    ]
    tickets.append(
        (agreement_id, "t-both", [breach("frt", OCT, 4000), breach("resolution", NOV - 1, 99_999)])
    )
    tickets.append((agreement_id, "t-before", [breach("frt", OCT - 1, 10**6)]))
    tickets.append((agreement_id, "t-after", [breach("frt", NOV, 10**6)]))
    tickets.append((agreement_id + "-other", "t-other", [breach("frt", OCT, 10**6)]))
    await repo.replace_ticket_breaches(db_session, tickets)
    await repo.replace_ticket_breaches(db_session, tickets)  # idempotent
    await db_session.commit()

    top = await repo.top_breaches(db_session, agreement_id, OCT, NOV)
    assert len(top) == 20
    assert [(r.ticket_id, r.kpi) for r in top[:3]] == [
        ("t-both", "resolution"),
        ("t-both", "frt"),
        ("t24", "frt"),
    ]
    assert [r.ticket_id for r in top[3:]] == [f"t{n}" for n in range(23, 6, -1)]
    assert top[0].overrun_seconds == 99_999 - 3600.0


async def test_retention_deletes_breaches_attributed_before_an_instant(
    db_session: AsyncSession, agreement_id: str
) -> None:
    old, new = (
        Breach("frt", OCT, 7200.0, 3600.0, "low"),
        Breach("frt", NOV - 1, 7200.0, 3600.0, "low"),
    )
    await repo.replace_ticket_breaches(
        db_session, [(agreement_id, "old", [old]), (agreement_id, "new", [new])]
    )
    await db_session.commit()
    assert await repo.delete_breaches_before(db_session, OCT + 1) >= 1
    await db_session.commit()
    assert [r.ticket_id for r in await saved(db_session, agreement_id)] == ["new"]
