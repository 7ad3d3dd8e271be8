"""Breakdowns in PostgreSQL: slice rows beside the totals, read per dimension; the grant.

The sink's rows (services/metrics/sink.py) of an engine with breakdowns on go through the
repository; the totals' reader still sees the totals alone, the slice reader one dimension's
slices, and their n add up. `apikeys grant` gives a viewer key per-agent breakdowns.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import api_keys as apikeys
from services.core.auth import key_store as store
from services.core.auth.access import Role, issue_key
from services.core.contract.events import parse_event
from services.core.contract.topics import Family
from services.core.kpi.engine import Engine
from services.core.kpi.params import MeasurementParams, PriorityTargets
from services.core.kpi.retention import Retention
from services.core.kpi.slices import Slicer
from services.core.settings import DatabaseSettings
from services.core.storage.kpi_reader import SqlKpiReader, agreement_kpis
from services.core.storage.kpi_slices import agreement_kpis_by
from services.core.storage.repository import upsert_buckets, upsert_stream_positions
from services.metrics.sink import rows_to_save

pytest_plugins = ["tests.integration.db_fixtures"]
T0 = datetime(2026, 10, 14, 8, 0, tzinfo=UTC).timestamp()
TARGETS = PriorityTargets(low=3600, normal=3600, high=3600, urgent=3600)


def _created(agreement_id: str, n: int, priority: str) -> Any:
    stamp = datetime.fromtimestamp(T0 + 60 * n, UTC).isoformat()
    return parse_event(
        {
            "event_id": f"e{n}",
            "type": "ticket.created",
            "occurred_at": stamp,
            "agreement_id": agreement_id,
            "ticket_id": f"t{n}",
            "customer_id": "c",
            "channel": "email",
            "priority": priority,
        }
    )


async def test_slices_are_stored_beside_the_totals_and_read_per_dimension(
    db_session: AsyncSession, agreement_id: str
) -> None:
    params = MeasurementParams(
        agreement_id=agreement_id, frt_target_seconds=TARGETS, resolution_target_seconds=TARGETS
    )
    engine = Engine(Family.TICKETS, {}, {agreement_id: params}, Retention(), slicer=Slicer())
    for n, priority in enumerate(["high", "high", "low", "urgent"]):
        engine.process(_created(agreement_id, n, priority), n % 2, n)
    buckets, positions = rows_to_save(engine, {0, 1}, engine.dirty)
    assert {b.slice for b in buckets} >= {"", "priority=high", "channel=email", "agent=none"}
    await upsert_buckets(db_session, buckets)
    await upsert_buckets(db_session, buckets)  # idempotent, slices included
    await upsert_stream_positions(db_session, positions)
    await db_session.commit()

    reader = SqlKpiReader(db_session)
    totals = await agreement_kpis(reader, params, period="2026-10")
    assert totals.windows["2026-10"].figures["tickets_created"].n == 4
    by = await agreement_kpis_by(reader, params, "priority", period="2026-10")
    slices = by.windows["2026-10"].slices
    assert {v: r.figures["tickets_created"].n for v, r in slices.items()} == {
        "high": 2,
        "low": 1,
        "urgent": 1,
    }
    day = await agreement_kpis_by(reader, params, "channel", window="24h")
    assert day.windows["24h"].slices["email"].figures["tickets_created"].n == 4


async def test_a_viewer_key_is_granted_agent_detail_with_the_cli(
    migrated_database: str, db_session: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    _, record = issue_key(Role.VIEWER, "acme", "analyst", datetime.now(UTC))
    await store.insert_key(db_session, record)
    await db_session.commit()
    database = DatabaseSettings(database_url=migrated_database)

    async def grant(*extra: str) -> int:
        args = apikeys.parse_args(["grant", record.key_id, "agent_detail", *extra])
        return await apikeys.run(args, database)

    assert await grant() == 0
    db_session.expire_all()
    found = await store.find_key(db_session, record.key_id)
    assert found is not None
    assert found.agent_detail
    assert await grant("--withdraw") == 0
    db_session.expire_all()
    found = await store.find_key(db_session, record.key_id)
    assert found is not None
    assert not found.agent_detail
    args = apikeys.parse_args(["grant", "sw_nosuchkey0000", "agent_detail"])
    assert await apikeys.run(args, database) == 1
    capsys.readouterr()
