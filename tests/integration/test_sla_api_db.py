"""Open tickets and KPI history over the real PostgreSQL: repository and API routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.kpi.figures import Figure
from services.core.kpi.windows import WindowResult
from services.core.settings import KafkaSettings
from services.core.storage import open_tickets as tickets_repo
from services.core.storage import repository as repo
from services.core.storage.open_tickets import OpenTicketRow
from tests.component.api_scenario import write_agreements
from tests.integration.agreements_support import running_api

pytest_plugins = ["tests.integration.db_fixtures"]
T = 1_791_964_800.0  # 2026-10-14T08:00:00Z, the stream time
OLD = 946_684_800.0  # 2000-01-01: far before every other test's snapshots
MINUTE = 60.0


def ticket(
    agreement_id: str, ticket_id: str, frt: float | None, res: float | None, paused: bool = False
) -> OpenTicketRow:
    return OpenTicketRow(
        agreement_id,
        ticket_id,
        "high",
        T - 3600,
        frt,
        res,
        paused,
        frt is None,
        "pending" if paused else "open",
    )


@pytest.fixture
async def client(
    tmp_path: Path, migrated_database: str, kafka_bootstrap: str, agreement_id: str
) -> AsyncIterator[httpx.AsyncClient]:
    agreements = write_agreements(tmp_path / "a.yaml", agreement_id, agreement_id + "-idle")
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    async with running_api(migrated_database, kafka, agreements) as (_, http):
        yield http


async def test_open_tickets_upsert_list_due_and_delete(
    db_session: AsyncSession, agreement_id: str
) -> None:
    rows = [
        ticket(agreement_id, "t/1", T + 10 * MINUTE, T + 600 * MINUTE),
        ticket(agreement_id, "t2", None, T + 50 * MINUTE),
        ticket(agreement_id, "t3", None, None, paused=True),
    ]
    await tickets_repo.upsert_open_tickets(db_session, rows)
    await tickets_repo.upsert_open_tickets(db_session, rows[:1])  # idempotent
    await db_session.commit()

    due = await tickets_repo.open_tickets_due(db_session, agreement_id, T + 30 * MINUTE)
    assert due == rows[:1]
    assert await tickets_repo.all_open_tickets(db_session, agreement_id) == rows
    await tickets_repo.delete_open_tickets(db_session, [(agreement_id, "t/1"), (agreement_id, "x")])
    await db_session.commit()
    assert await tickets_repo.all_open_tickets(db_session, agreement_id) == rows[1:]


async def test_at_risk_lists_deadlines_in_order_with_overdue_and_paused_flags(
    client: httpx.AsyncClient, db_session: AsyncSession, agreement_id: str
) -> None:
    empty = (await client.get(f"/v1/agreements/{agreement_id}/tickets/at-risk")).json()
    assert (empty["stream_time"], empty["deadlines"]) == (None, [])
    await repo.upsert_stream_positions(db_session, [(agreement_id, "tickets", 0, T)])
    await tickets_repo.upsert_open_tickets(
        db_session,
        [
            ticket(agreement_id, "soon", T + 10 * MINUTE, T + 90 * MINUTE),
            ticket(agreement_id, "late", None, T - 5 * MINUTE),
            ticket(agreement_id, "paused-late", T - 20 * MINUTE, None, paused=True),
            ticket(agreement_id, "later", T + 61 * MINUTE, None),
        ],
    )
    await db_session.commit()

    response = await client.get(
        f"/v1/agreements/{agreement_id}/tickets/at-risk", params={"within_minutes": 90}
    )

    body = response.json()
    assert body["until"] == "2026-10-14T09:30:00Z"
    assert [
        (d["ticket_id"], d["reason"], d["overdue"], d["paused"]) for d in body["deadlines"]
    ] == [
        ("paused-late", "first_response", True, True),
        ("late", "resolution", True, False),
        ("soon", "first_response", False, False),
        ("later", "first_response", False, False),
        ("soon", "resolution", False, False),
    ]
    assert (await client.get("/v1/agreements/nobody/tickets/at-risk")).status_code == 404


def result(window: str, value: float) -> WindowResult:
    return WindowResult(window, OLD - 86_400, OLD, {"tickets_created": Figure(value, int(value))})


async def test_history_downsamples_snapshots_and_retention_deletes_old_ones(
    client: httpx.AsyncClient, db_session: AsyncSession, agreement_id: str
) -> None:
    for i in range(6):  # every 20 minutes from OLD: values 0..5
        await repo.write_snapshots(db_session, agreement_id, [result("24h", i)], OLD + i * 1200)
    await db_session.commit()
    url = f"/v1/agreements/{agreement_id}/kpis/history"
    query = {
        "kpi": "tickets_created",
        "window": "24h",
        "from": "2000-01-01T00:00:00Z",
        "to": "2000-01-01T02:00:00Z",
        "step": "1h",
    }

    points = (await client.get(url, params=query)).json()["points"]
    assert [(p["taken_at"], p["value"]) for p in points] == [
        ("2000-01-01T00:40:00Z", 2.0),
        ("2000-01-01T01:40:00Z", 5.0),
    ]
    raw = (await client.get(url, params={**query, "step": "1s"})).json()["points"]
    assert [p["value"] for p in raw] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]

    assert await repo.delete_snapshots_before(db_session, OLD + 1800) == 2
    await db_session.commit()
    raw = (await client.get(url, params={**query, "step": "1s"})).json()["points"]
    assert [p["value"] for p in raw] == [2.0, 3.0, 4.0, 5.0]


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"kpi": "frt_p99_seconds"}, "unknown-kpi"),
        ({"window": "2h"}, "unknown-window"),
        ({"from": "2000-01-02T00:00:00Z"}, "invalid-range"),
        ({"step": "1s", "from": "1999-12-01T00:00:00Z"}, "too-many-points"),
        ({"step": "90"}, "invalid-step"),
        ({"to": "yesterday"}, "invalid-request"),
    ],
)
async def test_history_rejects_bad_parameters(
    client: httpx.AsyncClient, agreement_id: str, change: dict[str, str], kind: str
) -> None:
    query = {
        "kpi": "tickets_created",
        "window": "2026-Q4",
        "from": "2000-01-01T00:00:00Z",
        "to": "2000-01-01T02:00:00Z",
        **change,
    }

    response = await client.get(f"/v1/agreements/{agreement_id}/kpis/history", params=query)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"urn:slawatch:problem:{kind}"
